/**
 * Background unpacking: `load` commits blobs and records and returns; layers are unpacked
 * afterwards, consumers wait for them, crashes leave valid images, hostile layers still fail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { RecordingHost } from '../../../src/host/fake.js';
import { ImageService } from '../../../src/engine/images/service.js';
import { dockerArchive, layer, leftovers } from './archives.js';
import { gzip, makeTar } from '../snapshots/tarutil.js';

let dataRoot: string;
let svc: ImageService;
const host = new RecordingHost();
const nobody = () => undefined;
const stream = (b: Buffer) => Readable.from([b]);
const snapshotDirs = async () => (await fs.readdir(path.join(dataRoot, 'snapshots'))).filter((n) => /^[a-f0-9]{64}$/.test(n));
const exists = (p: string) => fs.access(p).then(() => true, () => false);

beforeEach(async () => {
  dataRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bg-'));
  svc = await ImageService.open(dataRoot, host);
});
afterEach(async () => {
  await svc.close();
  await fs.rm(dataRoot, { recursive: true, force: true });
});

describe('background unpacking', () => {
  it('load returns before the unpack; prepare waits for it', async () => {
    const resume = svc.unpacker.pause();
    const { tar } = await dockerArchive([{ layers: [await layer({ 'bin/sh': 'shell' })], tags: ['app:1'] }]);
    assert.deepEqual(await svc.load(stream(tar)), ['Loaded image: app:1']);
    const img = svc.resolve('app:1');
    assert.equal(img.size, 'shell'.length); // known from the scan, before any unpack
    assert.deepEqual(await snapshotDirs(), []);
    let prepared = false;
    const preparing = svc.snapshots.prepare('c1', img.chainIds).then((m) => ((prepared = true), m));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(prepared, false, 'prepare must wait for the layer');
    resume();
    const m = await preparing;
    assert.equal(await fs.readFile(path.join(m.lower[0]!, 'bin/sh'), 'utf8'), 'shell');
    await svc.snapshots.remove('c1');
  });

  it('an image whose snapshots are missing after a crash is still valid and gets them back', async () => {
    const { tar } = await dockerArchive([{ layers: [await layer({ a: '1' }), await layer({ b: '2' })], tags: ['app:1'] }]);
    await svc.load(stream(tar));
    await svc.close(); // kill -9 before (or during) the background unpack
    for (const d of await snapshotDirs()) await fs.rm(path.join(dataRoot, 'snapshots', d), { recursive: true });
    await fs.mkdir(path.join(dataRoot, 'snapshots/tmp/half/fs'), { recursive: true }); // a half unpack
    svc = await ImageService.open(dataRoot, host);
    const img = svc.resolve('app:1');
    const m = await svc.snapshots.prepare('c1', img.chainIds);
    assert.equal(await fs.readFile(path.join(m.lower[0]!, 'b'), 'utf8'), '2');
    assert.equal(await fs.readFile(path.join(m.lower[1]!, 'a'), 'utf8'), '1');
    await svc.idle();
    assert.equal((await snapshotDirs()).length, 2);
    assert.ok(!(await exists(path.join(dataRoot, 'snapshots/tmp/half'))));
    await svc.snapshots.remove('c1');
  });

  it('unpacks a layer shared by two images, or loaded twice, once', async () => {
    const base = await layer({ 'base.txt': 'base' });
    const a = await dockerArchive([{ layers: [base, await layer({ a: 'a' })], tags: ['a:1'] }]);
    const b = await dockerArchive([{ layers: [base, await layer({ b: 'b' })], tags: ['b:1'] }]);
    await Promise.all([svc.load(stream(a.tar)), svc.load(stream(b.tar))]);
    await svc.load(stream(a.tar));
    await svc.idle();
    assert.equal(svc.unpacker.unpacked, 3);
    assert.equal((await snapshotDirs()).length, 3);
  });

  it('still refuses hostile and corrupt layers at load, leaving nothing', async () => {
    const hostile = [
      await makeTar([{ name: '../escape', body: 'x' }]),
      await makeTar([{ name: 'a/../../escape', body: 'x' }]),
      await makeTar([{ name: 'x', body: 'x' }, { name: 'l', type: 'link', linkname: '../../etc/passwd' }]),
      await makeTar([{ name: '.wh..' }]),
      gzip(await makeTar([{ name: 'f', body: 'x'.repeat(5000) }])).subarray(0, 60),
    ];
    for (const l of hostile) {
      const { tar } = await dockerArchive([{ layers: [l], tags: ['bad:1'] }]);
      await assert.rejects(svc.load(stream(tar)), (e) => isKind(e, 'InvalidArgument'));
    }
    await svc.idle();
    assert.deepEqual(await leftovers(dataRoot), []);
    assert.equal(svc.list().length, 0);
  });

  it('a layer only the extractor can reject makes the image unusable, naming the layer', async () => {
    // A hardlink to a file the layer never created: only known when unpacking.
    const l = await makeTar([{ name: 'link', type: 'link', linkname: 'missing' }]);
    const { tar } = await dockerArchive([{ layers: [l], tags: ['odd:1'] }]);
    await svc.load(stream(tar));
    const img = svc.resolve('odd:1');
    const digest = svc.lookup('odd:1').layers[0]!.digest;
    await assert.rejects(svc.snapshots.prepare('c1', img.chainIds), (e) => isKind(e, 'FailedPrecondition') && e.message.includes(digest) && /does not exist/.test(e.message));
    assert.deepEqual(await snapshotDirs(), []);
    await svc.remove('odd:1', { usedBy: nobody });
    assert.deepEqual(await leftovers(dataRoot), []);
  });

  it('removing an image cancels its pending unpack', async () => {
    const resume = svc.unpacker.pause();
    const { tar } = await dockerArchive([{ layers: [await layer({ a: '1' })], tags: ['gone:1'] }]);
    await svc.load(stream(tar));
    const removing = svc.remove('gone:1', { usedBy: nobody });
    resume();
    await removing;
    await svc.idle();
    assert.deepEqual(await leftovers(dataRoot), []);
  });

  it('imports return before the unpack too', async () => {
    const resume = svc.unpacker.pause();
    const rec = await svc.importRootfs(Readable.from([await makeTar([{ name: 'hello', body: 'hi' }])]), { repo: 'imp' });
    assert.deepEqual(await snapshotDirs(), []);
    resume();
    const m = await svc.snapshots.prepare('c2', rec.chainIds);
    assert.equal(await fs.readFile(path.join(m.lower[0]!, 'hello'), 'utf8'), 'hi');
    await svc.snapshots.remove('c2');
  });
});
