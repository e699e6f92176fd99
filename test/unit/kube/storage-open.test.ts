/** Which store a `--datastore-endpoint` names. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { prefixEnd } from '../../../src/kube/storage/backend.js';
import { EtcdBackend } from '../../../src/kube/storage/etcd/backend.js';
import { openStorage } from '../../../src/kube/storage/open.js';
import { SqliteBackend } from '../../../src/kube/storage/sqlite/backend.js';

const root = mkdtempSync(join(tmpdir(), 'berth-kstore-open-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('openStorage', () => {
  it('defaults to the SQLite file in the data dir, or the sqlite:// path given', async () => {
    const a = openStorage(undefined, { dataDir: root });
    assert.ok(a instanceof SqliteBackend);
    assert.ok(existsSync(join(root, 'db', 'state.db')));
    await a.close();
    const b = openStorage(`sqlite://${join(root, 'other.db')}`, { dataDir: root });
    assert.equal((b as SqliteBackend).file, join(root, 'other.db'));
    await b.close();
  });

  it('takes etcd://, http:// and https:// endpoints, comma-separated', async () => {
    for (const ep of ['etcd://127.0.0.1:1,127.0.0.1:2', 'http://127.0.0.1:1', 'https://127.0.0.1:1']) {
      const s = openStorage(ep, { dataDir: root });
      assert.ok(s instanceof EtcdBackend);
      await s.close();
    }
  });

  it('rejects anything else by name', () => {
    assert.throws(() => openStorage('mysql://db', { dataDir: root }), (e: unknown) => isKind(e, 'InvalidArgument') && /mysql:\/\/db/.test(String(e)));
  });
});

describe('prefixEnd', () => {
  it('is the first key past every key with the prefix', () => {
    assert.equal(prefixEnd('/registry/pods/'), '/registry/pods0');
    assert.equal(prefixEnd('a'), 'b');
    assert.equal(prefixEnd(''), undefined);
  });
});
