/** Registry storage: per-repository links over shared blobs, tags, referrers, catalog, crash leftovers. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../../src/engine/content/store.js';
import { RegistryStorage } from '../../../src/registry/storage.js';

describe('RegistryStorage', () => {
  let dir: string;
  let s: RegistryStorage;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-regstore-'));
    s = await RegistryStorage.open(dir);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('shares blob bytes but serves them only from repositories that link them', async () => {
    const { digest } = await s.content.write(Buffer.from('layer'));
    assert.equal(await s.blobSize('a/b', digest), undefined);
    await s.linkBlob('a/b', digest);
    await s.linkBlob('c', digest);
    assert.equal(await s.blobSize('a/b', digest), 5);
    assert.ok(await s.unlinkBlob('a/b', digest));
    assert.equal(await s.unlinkBlob('a/b', digest), false);
    assert.equal(await s.blobSize('a/b', digest), undefined);
    assert.equal(await s.blobSize('c', digest), 5, 'other repositories keep their link');
    assert.ok(await s.hasRepository('a/b'));
    assert.ok(!(await s.hasRepository('a')));
  });

  it('stores manifests, tags them, and deletes a manifest with its tags and referrer entry', async () => {
    const subject = Buffer.from('{"subject":true}');
    const sd = digestOf(subject);
    await s.putManifest('m', sd, subject, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: subject.length });
    const ref = Buffer.from('{"referrer":true}');
    const rd = digestOf(ref);
    await s.putManifest('m', rd, ref, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: ref.length, subject: sd });
    await s.addReferrer('m', sd, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: rd, size: ref.length, artifactType: 'x/sig' });
    for (const t of ['v2', 'v10', 'V1', 'latest']) await s.tag('m', t, sd);
    await s.tag('m', 'sig', rd);
    assert.deepEqual(await s.tags('m'), ['V1', 'latest', 'sig', 'v10', 'v2']);
    assert.equal(await s.resolveTag('m', 'v2'), sd);
    assert.deepEqual((await s.referrers('m', sd)).map((r) => r.digest), [rd]);
    await assert.rejects(s.putManifest('m', digestOf('other'), ref, { mediaType: 'x', size: 1 }), 'bytes are verified against the digest');

    assert.ok(await s.untag('m', 'latest'));
    assert.equal(await s.untag('m', 'latest'), false);
    assert.ok(await s.deleteManifest('m', rd));
    assert.deepEqual(await s.referrers('m', sd), []);
    assert.deepEqual(await s.tags('m'), ['V1', 'v10', 'v2']);
    assert.ok(await s.deleteManifest('m', sd));
    assert.deepEqual(await s.tags('m'), []);
    assert.equal(await s.manifest('m', sd), undefined);
    assert.equal(await s.deleteManifest('m', sd), false);
  });

  it('lists repositories, nested ones included, in lexical order', async () => {
    const { digest } = await s.content.write(Buffer.from('x'));
    for (const r of ['z', 'lib/busybox', 'lib', 'lib-x', 'lib/busybox/sub']) await s.linkBlob(r, digest);
    const all = await s.repositories();
    assert.deepEqual(all, [...all].sort());
    for (const r of ['lib', 'lib-x', 'lib/busybox', 'lib/busybox/sub', 'z']) assert.ok(all.includes(r), r);
  });

  it('ignores and sweeps interrupted link writes, keeping repositories and tags named like them', async () => {
    const { digest } = await s.content.write(Buffer.from('y'));
    await s.linkBlob('t', digest);
    await s.tag('t', 'v1.tmp-1', digest);
    const tagDir = path.join(dir, 'repositories', 't', '_manifests', 'tags');
    await fs.mkdir(path.join(tagDir, 'half'));
    await fs.writeFile(path.join(tagDir, 'half', 'current.tmp-abcd1234'), digest.slice(0, 10));
    await fs.writeFile(path.join(dir, 'repositories', 't', '_layers', 'feed.tmp-00000000'), '');
    assert.deepEqual(await s.tags('t'), ['v1.tmp-1'], 'a tag without its link is not listed');
    const reopened = await RegistryStorage.open(dir);
    assert.deepEqual(await fs.readdir(path.join(tagDir, 'half')), []);
    assert.ok(!(await fs.readdir(path.join(dir, 'repositories', 't', '_layers'))).some((n) => n.includes('.tmp-')));
    assert.deepEqual(await reopened.tags('t'), ['v1.tmp-1']);
  });
});
