/**
 * The image service end to end on a temporary data root with the recording fake host:
 * load (docker-archive, legacy layout, OCI layout), resolve, tag, rmi semantics, prune,
 * save → load round trips, and that bad archives leave nothing behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import tar from 'tar-stream';
import { isKind } from '../../../src/lib/errors.js';
import { RecordingHost } from '../../../src/host/fake.js';
import { ImageService } from '../../../src/engine/images/service.js';
import { dockerArchive, layer, leftovers, ociLayout } from './archives.js';
import { makeTar } from '../snapshots/tarutil.js';

let dataRoot: string;
let svc: ImageService;
const host = new RecordingHost();
const nobody = () => undefined;

const stream = (b: Buffer) => Readable.from([b.subarray(0, 1000), b.subarray(1000)].filter((x) => x.length));

async function readTar(s: NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
  const ex = tar.extract();
  (s as Readable).pipe(ex as unknown as NodeJS.WritableStream);
  const files = new Map<string, Buffer>();
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    files.set(e.header.name, Buffer.concat(chunks));
  }
  return files;
}

beforeEach(async () => {
  dataRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-images-'));
  svc = await ImageService.open(dataRoot, host);
});
afterEach(async () => {
  await svc.close();
  await fs.rm(dataRoot, { recursive: true, force: true });
});

describe('ImageService.load', () => {
  it('loads a docker-archive and resolves it every way Docker does', async () => {
    const base = await layer({ 'bin/sh': 'shell', 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
    const { tar: t, ids } = await dockerArchive([{ layers: [base], tags: ['busybox:latest'] }]);
    assert.deepEqual(await svc.load(stream(t)), ['Loaded image: busybox:latest']);
    const id = ids[0]!;
    const hex = id.slice(7);
    for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 8)}`]) {
      assert.equal(svc.resolve(ref).id, id, ref);
    }
    const rec = svc.resolve('busybox');
    assert.deepEqual(rec.repoTags, ['busybox:latest']);
    assert.equal(rec.size, 'shell'.length + 'root:x:0:0::/root:/bin/sh\n'.length);
    assert.deepEqual(rec.config.config?.Cmd, ['sh']);
    await svc.idle(); // layers are unpacked in the background
    const [lower] = svc.snapshots.lowerDirs(rec.chainIds);
    assert.equal(await fs.readFile(path.join(lower!, 'bin/sh'), 'utf8'), 'shell');
    assert.throws(() => svc.resolve('nothere'), (e) => isKind(e, 'NotFound') && e.message === 'No such image: nothere:latest');
    assert.throws(() => svc.resolve('Bad/Name'), (e) => isKind(e, 'InvalidArgument'));
    // Loading again is idempotent.
    assert.deepEqual(await svc.load(stream(t)), ['Loaded image: busybox:latest']);
    assert.equal(svc.list().length, 1);
  });

  it('unpacks a shared base layer once (legacy layout, two images)', async () => {
    const base = await layer({ 'base.txt': 'base' });
    const a = await layer({ 'a.txt': 'a' });
    const b = await layer({ 'b.txt': 'b' });
    const { tar: t } = await dockerArchive([{ layers: [base, a], tags: ['app-a:1'] }, { layers: [base, b], tags: ['app-b:1', 'app-b:latest'] }], true);
    assert.deepEqual(await svc.load(stream(t)), ['Loaded image: app-a:1', 'Loaded image: app-b:1', 'Loaded image: app-b:latest']);
    await svc.idle();
    const snaps = (await fs.readdir(path.join(dataRoot, 'snapshots'))).filter((n) => /^[a-f0-9]{64}$/.test(n));
    assert.equal(snaps.length, 3);
    const ra = svc.resolve('app-a:1');
    const rb = svc.resolve('app-b');
    assert.equal(ra.chainIds[0], rb.chainIds[0]);
    const lowers = svc.snapshots.lowerDirs(rb.chainIds);
    assert.equal(await fs.readFile(path.join(lowers[0]!, 'b.txt'), 'utf8'), 'b');
    assert.equal(await fs.readFile(path.join(lowers[1]!, 'base.txt'), 'utf8'), 'base');
  });

  it('loads an OCI layout with gzip layers and names from annotations', async () => {
    const l = await layer({ hello: 'world' });
    const { tar: t, ids } = await ociLayout({ layers: [l] }, { 'io.containerd.image.name': 'localhost:5000/ns/app:v1', 'org.opencontainers.image.ref.name': 'v1' });
    assert.deepEqual(await svc.load(stream(t)), ['Loaded image: localhost:5000/ns/app:v1']);
    assert.equal(svc.resolve('localhost:5000/ns/app:v1').id, ids[0]);
    const bare = await ociLayout({ layers: [await layer({ x: 'y' })] }, { 'org.opencontainers.image.ref.name': 'latest' });
    assert.deepEqual(await svc.load(stream(bare.tar)), [`Loaded image ID: ${bare.ids[0]}`]);
  });

  it('moves a tag and says so', async () => {
    const one = await dockerArchive([{ layers: [await layer({ v: '1' })], tags: ['app:latest'] }]);
    const two = await dockerArchive([{ layers: [await layer({ v: '2' })], tags: ['app:latest'] }]);
    await svc.load(stream(one.tar));
    assert.deepEqual(await svc.load(stream(two.tar)), [`The image app:latest already exists, renaming the old one with ID ${one.ids[0]} to empty string`, 'Loaded image: app:latest']);
    assert.deepEqual(svc.resolve(one.ids[0]!).repoTags, []);
  });

  for (const [what, make] of [
    ['a truncated archive', async () => (await dockerArchive([{ layers: [await layer({ f: 'x'.repeat(4000) })], tags: ['t:1'] }])).tar.subarray(0, 3000)],
    ['an archive cut before manifest.json', async () => {
      const t = (await dockerArchive([{ layers: [await layer({ f: 'x'.repeat(4000) })], tags: ['t:1'] }])).tar;
      return t.subarray(0, t.length - 2048);
    }],
    ['garbage', async () => Buffer.from('this is not a tar'.repeat(100))],
    ['a diff ID mismatch', async () => (await dockerArchive([{ layers: [await layer({ f: 'x' })], tags: ['t:1'], config: { rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } } }])).tar],
    ['a hostile layer', async () => (await dockerArchive([{ layers: [await makeTar([{ name: '../escape', body: 'x' }])], tags: ['t:1'] }])).tar],
    ['a blob whose name lies', async () => {
      const t = await makeTar([
        { name: `blobs/sha256/${'a'.repeat(64)}`, body: '{}' },
        { name: 'manifest.json', body: JSON.stringify([{ Config: `blobs/sha256/${'a'.repeat(64)}`, RepoTags: ['t:1'], Layers: [] }]) },
      ]);
      return t;
    }],
  ] as const) {
    it(`rejects ${what} and leaves nothing behind`, async () => {
      const good = await dockerArchive([{ layers: [await layer({ keep: 'me' })], tags: ['keep:1'] }]);
      await svc.load(stream(good.tar));
      await svc.idle();
      const before = await leftovers(dataRoot);
      await assert.rejects(svc.load(stream(await make())), (e) => isKind(e, 'InvalidArgument'));
      assert.deepEqual(await leftovers(dataRoot), before);
      assert.equal(svc.list().length, 1);
      assert.throws(() => svc.resolve('t:1'), (e) => isKind(e, 'NotFound'));
    });
  }
});

describe('ImageService.save', () => {
  it('writes a docker-archive + OCI layout that loads back with the same ID', async () => {
    const { tar: t, ids } = await dockerArchive([{ layers: [await layer({ a: '1' }), await layer({ b: '2' })], tags: ['app:v1'] }]);
    await svc.load(stream(t));
    await svc.tag('app:v1', 'other/app:v2');
    const files = await readTar(svc.save(['app:v1']));
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    assert.deepEqual(manifest[0]!.RepoTags, ['app:v1']);
    assert.equal(manifest[0]!.Config, `blobs/sha256/${ids[0]!.slice(7)}`);
    assert.equal(manifest[0]!.Layers.length, 2);
    for (const n of ['index.json', 'oci-layout', 'repositories']) assert.ok(files.has(n), n);
    const index = JSON.parse(files.get('index.json')!.toString());
    assert.equal(index.manifests[0].annotations['io.containerd.image.name'], 'docker.io/library/app:v1');
    assert.throws(() => svc.save(['missing']), (e) => isKind(e, 'NotFound'));

    const other = await ImageService.open(await fs.mkdtemp(path.join(os.tmpdir(), 'berth-images2-')), host);
    try {
      const saved = Buffer.concat(await Readable.from(svc.save(['app:v1', 'other/app'])).toArray());
      assert.deepEqual(await other.load(stream(saved)), ['Loaded image: app:v1', 'Loaded image: other/app:v2']);
      assert.equal(other.resolve('other/app:v2').id, ids[0]);
      // …and the OCI half alone loads too.
      const ociOnly = await makeTar([...files].filter(([n]) => n !== 'manifest.json' && !n.endsWith('/')).map(([name, body]) => ({ name, body })));
      await other.remove('app:v1', { usedBy: nobody });
      await other.remove('other/app:v2', { usedBy: nobody });
      assert.deepEqual(await other.load(stream(ociOnly)), ['Loaded image: app:v1']);
      assert.equal(other.resolve('app:v1').id, ids[0]);
    } finally {
      await other.close();
      await fs.rm(other.dataRoot, { recursive: true, force: true });
    }
  });
});

describe('ImageService.remove and prune', () => {
  let id: string;
  beforeEach(async () => {
    const b = await dockerArchive([{ layers: [await layer({ a: '1' })], tags: ['busybox:latest'] }]);
    id = b.ids[0]!;
    await svc.load(stream(b.tar));
  });
  const short = () => id.slice(7, 19);

  it('untags one of several names, then deletes with the last one', async () => {
    await svc.tag('busybox', 'mybox:1');
    assert.deepEqual(await svc.remove('busybox', { usedBy: nobody }), [{ Untagged: 'busybox:latest' }]);
    const chain = svc.resolve('mybox:1').chainIds[0];
    assert.deepEqual(await svc.remove('mybox:1', { usedBy: nobody }), [{ Untagged: 'mybox:1' }, { Deleted: id }, { Deleted: chain }]);
    assert.deepEqual(await leftovers(dataRoot), []);
  });

  it('refuses an ID with names in several repositories unless forced', async () => {
    await svc.tag('busybox', 'mybox:1');
    await assert.rejects(svc.remove(short(), { usedBy: nobody }), (e) => isKind(e, 'Conflict') && e.message === `conflict: unable to delete ${short()} (must be forced) - image is referenced in multiple repositories`);
    const items = await svc.remove(short(), { force: true, usedBy: nobody });
    assert.deepEqual(items.slice(0, 3), [{ Untagged: 'busybox:latest' }, { Untagged: 'mybox:1' }, { Deleted: id }]);
  });

  it('refuses an image a container uses, in Docker words', async () => {
    const c = 'c0ffee'.padEnd(64, '1');
    await assert.rejects(svc.remove('busybox', { usedBy: () => c }), (e) => isKind(e, 'Conflict') && e.message === `conflict: unable to remove repository reference "busybox" (must force) - container ${c.slice(0, 12)} is using its referenced image ${short()}`);
    await assert.rejects(svc.remove(id, { usedBy: () => c }), (e) => isKind(e, 'Conflict') && e.message === `conflict: unable to delete ${short()} (must be forced) - image is being used by stopped container ${c.slice(0, 12)}`);
    await assert.rejects(svc.remove(id, { force: true, usedBy: () => c, isRunning: () => true }), (e) => isKind(e, 'Conflict') && e.message.includes('(cannot be forced) - image is being used by running container'));
    // Forced: untagged, but the image (and its layers) stay for the container.
    assert.deepEqual(await svc.remove('busybox', { force: true, usedBy: () => c }), [{ Untagged: 'busybox:latest' }]);
    assert.equal(svc.resolve(id).repoTags.length, 0);
  });

  it('prunes dangling images only, or all unused ones', async () => {
    const other = await dockerArchive([{ layers: [await layer({ z: 'z' })] }]);
    await svc.load(stream(other.tar));
    const r1 = await svc.prune({ usedBy: nobody });
    assert.equal(r1.ImagesDeleted[0]!.Deleted, other.ids[0]);
    assert.equal(r1.SpaceReclaimed, 1);
    assert.deepEqual((await svc.prune({ all: true, usedBy: () => 'x' })).ImagesDeleted, []);
    const r2 = await svc.prune({ all: true, usedBy: nobody });
    assert.deepEqual(r2.ImagesDeleted.slice(0, 2), [{ Untagged: 'busybox:latest' }, { Deleted: id }]);
    assert.equal(svc.list().length, 0);
  });

  it('history lists config history newest first', async () => {
    const h = svc.history('busybox');
    assert.equal(h.length, 1);
    assert.deepEqual(h[0], { Id: id, Created: 1704067200, CreatedBy: 'step 0', Tags: ['busybox:latest'], Size: 1, Comment: '' });
  });
});

describe('ImageService.open reconciles after a crash', () => {
  it('drops records whose data is missing and collects orphans and temp files', async () => {
    const a = await dockerArchive([{ layers: [await layer({ a: '1' })], tags: ['a:1'] }]);
    const b = await dockerArchive([{ layers: [await layer({ b: '2' })], tags: ['b:1'] }]);
    await svc.load(stream(a.tar));
    await svc.load(stream(b.tar));
    const recB = svc.resolve('b:1');
    // kill -9 leftovers: a blob of b vanished, stray temp files, an orphan blob and snapshot.
    await fs.rm(path.join(dataRoot, 'content/blobs/sha256', recB.id.slice(7)));
    await fs.writeFile(path.join(dataRoot, 'content/ingest/deadbeef'), 'partial');
    await fs.writeFile(path.join(dataRoot, 'images/records/x.json.tmp-1234'), '{');
    await fs.writeFile(path.join(dataRoot, 'content/blobs/sha256', 'f'.repeat(64)), 'orphan');
    await fs.mkdir(path.join(dataRoot, 'snapshots/tmp/half'), { recursive: true });
    const reopened = await ImageService.open(dataRoot, host);
    assert.deepEqual(reopened.list().map((i) => i.repoTags), [['a:1']]);
    assert.throws(() => reopened.resolve('b:1'), (e) => isKind(e, 'NotFound'));
    const left = await leftovers(dataRoot);
    assert.ok(!left.some((p) => p.includes('f'.repeat(64)) || p.includes('deadbeef') || p.includes('tmp-') || p.includes('half')), left.join('\n'));
    assert.ok(!left.includes(`snapshots/${recB.chainIds[0]!.slice(7)}`));
  });
});
