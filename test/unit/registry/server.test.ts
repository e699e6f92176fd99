/** RegistryServer lifecycle: ready with the real port, serving, clean stop, start-up errors. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryServer } from '../../../src/registry/server.js';

describe('RegistryServer', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-regserver-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('reports its address when ready and stops when the signal aborts', async () => {
    const server = new RegistryServer({ addr: '127.0.0.1:0', root: path.join(dir, 'root') });
    const stop = new AbortController();
    const serving = server.start(stop.signal);
    const url = await server.ready;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${url}/v2/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const up = await fetch(`${url}/v2/a/blobs/uploads/`, { method: 'POST' });
    assert.equal(up.status, 202);
    stop.abort();
    await serving;
    await assert.rejects(fetch(`${url}/v2/`));
  });

  it('fails to start, through ready too, on a bad address, half a TLS pair or a missing htpasswd', async () => {
    for (const opts of [
      { addr: 'nowhere' },
      { addr: '127.0.0.1:0', tlsCert: '/nonexistent.pem' },
      { addr: '127.0.0.1:0', htpasswd: path.join(dir, 'missing') },
    ]) {
      const server = new RegistryServer({ root: path.join(dir, 'root2'), ...opts });
      await assert.rejects(server.start(new AbortController().signal));
      await assert.rejects(server.ready);
    }
  });
});
