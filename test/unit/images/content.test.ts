/** The content store: verified writes, nothing visible on mismatch, read/list/delete. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { ContentStore, digestOf } from '../../../src/engine/content/store.js';

describe('ContentStore', () => {
  let dir: string;
  let store: ContentStore;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-content-'));
    store = await ContentStore.open(dir);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('stores a stream under its digest and reads it back', async () => {
    const data = Buffer.from('hello blobs');
    const { digest, size } = await store.write(Readable.from([data.subarray(0, 4), data.subarray(4)]), { digest: digestOf(data), size: data.length });
    assert.equal(digest, digestOf(data));
    assert.equal(size, data.length);
    assert.ok(await store.exists(digest));
    assert.equal(await store.size(digest), data.length);
    assert.deepEqual(Buffer.concat(await (await store.read(digest)).toArray()), data);
    assert.deepEqual(await store.list(), [digest]);
    await store.delete(digest);
    assert.equal(await store.exists(digest), false);
    await assert.rejects(store.read(digest), (e) => isKind(e, 'NotFound'));
  });

  it('verifies digest and size before anything becomes visible', async () => {
    const data = Buffer.from('payload');
    const wrong = digestOf('other');
    await assert.rejects(store.write(data, { digest: wrong }), (e) => isKind(e, 'InvalidArgument'));
    await assert.rejects(store.write(data, { size: 3 }), (e) => isKind(e, 'InvalidArgument'));
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(await fs.readdir(store.ingestDir), []);
    assert.throws(() => store.path('md5:abc'), (e) => isKind(e, 'InvalidArgument'));
  });

  it('discards interrupted writes when opened', async () => {
    await fs.writeFile(path.join(store.ingestDir, 'partial'), 'x');
    const again = await ContentStore.open(dir);
    assert.deepEqual(await fs.readdir(again.ingestDir), []);
  });
});
