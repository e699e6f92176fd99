/**
 * The etcd backend over https with client certificates (`--datastore-endpoint https://…` with
 * a CA, certificate and key), against an etcd that requires them. Certificates are made here
 * with openssl: a CA, a server certificate for 127.0.0.1 and a client certificate.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalEtcd, type LocalEtcd } from '../../../src/host/etcd.js';
import { isKind } from '../../../src/lib/errors.js';
import { openStorage } from '../../../src/kube/storage/open.js';

const root = mkdtempSync(join(tmpdir(), 'berth-kstore-tls-'));
const f = (name: string) => join(root, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Issues `name`.crt/.key signed by the CA, with the given extensions. */
function issue(name: string, cn: string, ext: string): void {
  writeFileSync(f(`${name}.ext`), ext);
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2',
    '-out', f(`${name}.crt`), '-extfile', f(`${name}.ext`));
}

describe('etcd store over https with client certificates', () => {
  let etcd: LocalEtcd;
  before(async () => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=berth-test-ca');
    issue('server', 'etcd', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
    issue('client', 'berth', 'extendedKeyUsage=clientAuth\n');
    etcd = await startLocalEtcd(join(root, 'etcd'), { tls: { cert: f('server.crt'), key: f('server.key'), clientCA: f('ca.crt') } });
  });
  after(async () => {
    await etcd?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads and writes with a client certificate', async () => {
    assert.match(etcd.endpoint, /^https:/);
    const s = openStorage(etcd.endpoint, { dataDir: root, caFile: f('ca.crt'), certFile: f('client.crt'), keyFile: f('client.key') });
    try {
      const r = await s.create('/tls/a', Buffer.from('secret'));
      assert.deepEqual((await s.get('/tls/a')).modRevision, r);
    } finally {
      await s.close();
    }
  });

  it('is refused without one', async () => {
    const s = openStorage(etcd.endpoint, { dataDir: root, caFile: f('ca.crt') });
    try {
      await assert.rejects(s.get('/tls/a'), (e: unknown) => isKind(e, 'Unavailable'));
    } finally {
      await s.close();
    }
  });
});
