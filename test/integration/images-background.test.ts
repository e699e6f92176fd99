/**
 * Background layer unpacking through a real daemon and the real docker CLI: `docker load`
 * returns once blobs and records are committed, a container runs from the image right away
 * (create waits for its snapshots), a kill -9 between load and unpack leaves a runnable image,
 * hostile layers are still refused by `load`, and a layer shared by images is stored once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { BUSYBOX_TAR, TestDaemon } from './harness.js';
import { dockerArchive, layer } from '../unit/images/archives.js';
import { makeTar } from '../unit/snapshots/tarutil.js';
import { chainIds } from '../../src/engine/snapshots/snapshotter.js';

/** The (uncompressed) layer tar of the busybox test image. */
async function busyboxLayer(): Promise<Buffer> {
  const files = new Map<string, Buffer>();
  const ex = tar.extract();
  const feeding = fs.readFile(BUSYBOX_TAR).then((b) => ex.end(b));
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    files.set(e.header.name, Buffer.concat(chunks));
  }
  await feeding;
  const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Layers: string[] }>;
  const l = files.get(manifest[0]!.Layers[0]!)!;
  return l[0] === 0x1f && l[1] === 0x8b ? gunzipSync(l) : l;
}

describe('background layer unpacking (daemon)', { skip: process.getuid?.() === 0 ? false : 'needs root' }, () => {
  const d = new TestDaemon('bgunpack');
  let bb: Buffer;
  const snapshotDirs = async () => (await fs.readdir(path.join(d.dataRoot, 'snapshots'))).filter((n) => /^[a-f0-9]{64}$/.test(n));
  const loadArchive = async (name: string, t: Buffer) => {
    const file = path.join(d.dir, name);
    await fs.writeFile(file, t);
    return d.docker(['load', '-i', file]);
  };
  const env = { config: { Cmd: ['sh'], Env: ['PATH=/bin:/usr/bin'] } };

  before(async () => {
    bb = await busyboxLayer();
    await d.start();
  });
  after(() => d.stop());

  it('runs a container from an image right after load', async () => {
    const extra = await layer({ 'data/big': 'x'.repeat(8 << 20) });
    const r = await loadArchive('bg1.tar', (await dockerArchive([{ layers: [bb, extra], tags: ['bg:1'], config: env }])).tar);
    assert.equal(r.code, 0, r.stderr);
    const run = d.docker(['run', '--rm', 'bg:1', 'wc', '-c', '/data/big']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), `${8 << 20} /data/big`);
  });

  it('runs an image whose snapshots were lost in a crash between load and unpack', async () => {
    const r = await loadArchive('bg2.tar', (await dockerArchive([{ layers: [bb, await layer({ f: 'after crash' })], tags: ['bg:2'], config: env }])).tar);
    assert.equal(r.code, 0, r.stderr);
    await d.crash();
    // Whatever the unpacker had finished, pretend it had not started; leave a half-staged layer.
    for (const n of await snapshotDirs()) await fs.rm(path.join(d.dataRoot, 'snapshots', n), { recursive: true });
    await fs.mkdir(path.join(d.dataRoot, 'snapshots/tmp/halfdone/fs'), { recursive: true });
    await d.start();
    const run = d.docker(['run', '--rm', 'bg:2', 'cat', '/f']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'after crash');
    assert.equal(d.docker(['run', '--rm', 'busybox', 'true']).code, 0);
    await assert.rejects(fs.access(path.join(d.dataRoot, 'snapshots/tmp/halfdone')));
  });

  it('refuses a hostile layer at load and keeps no trace of it', async () => {
    const hostile = await makeTar([{ name: '../../escape', body: 'x' }]);
    const r = await loadArchive('bad.tar', (await dockerArchive([{ layers: [hostile], tags: ['bad:1'] }])).tar);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /escapes the layer root/);
    assert.notEqual(d.docker(['image', 'inspect', 'bad:1']).code, 0);
  });

  it('stores a layer shared by several images once', async () => {
    assert.equal(d.docker(['run', '--rm', 'bg:1', 'true']).code, 0); // its snapshots were wiped by the crash test
    const want = new Set<string>();
    for (const ref of ['busybox', 'bg:1', 'bg:2']) {
      const r = d.docker(['image', 'inspect', ref, '--format', '{{json .RootFS.Layers}}']);
      assert.equal(r.code, 0, r.stderr);
      for (const c of chainIds(JSON.parse(r.stdout) as string[])) want.add(c.slice(7));
    }
    assert.equal(want.size, 3); // busybox's layer is the base of both bg images
    // Every image has been used by a container since the restart, so every snapshot is unpacked.
    assert.deepEqual((await snapshotDirs()).sort(), [...want].sort());
  });
});
