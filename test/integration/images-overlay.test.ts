/**
 * Real overlayfs with the real host (root only): layers with whiteouts and opaque directories
 * are unpacked by the image service, stacked with a container's writable layer, and the
 * merged view, `docker diff` and SizeRw are checked. Every mount is removed afterwards.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { realHost } from '../../src/host/real.js';
import { ImageService } from '../../src/engine/images/service.js';
import { dockerArchive } from '../unit/images/archives.js';
import { makeTar } from '../unit/snapshots/tarutil.js';

const isRoot = process.getuid?.() === 0;

describe('overlay snapshots on the real host', { skip: isRoot ? false : 'needs root (overlay mounts, whiteout device nodes)' }, () => {
  let dir: string;
  let svc: ImageService;
  const mounts: string[] = [];

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-overlay-'));
    svc = await ImageService.open(path.join(dir, 'data'), realHost);
  });

  after(async () => {
    for (const m of mounts.reverse()) await realHost.unmount(m);
    for (const m of mounts) assert.equal(await realHost.isMounted(m), false, `${m} still mounted`);
    await svc?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('turns whiteouts into overlay whiteouts that hide lower files', async () => {
    const l1 = await makeTar([
      { name: 'a', body: 'gone soon' },
      { name: 'keep', body: 'kept' },
      { name: 'dir/old1', body: 'o1' },
      { name: 'dir/old2', body: 'o2' },
    ]);
    const l2 = await makeTar([{ name: '.wh.a' }, { name: 'dir/.wh..wh..opq' }, { name: 'dir/new', body: 'n' }]);
    const { tar } = await dockerArchive([{ layers: [l1, l2], tags: ['wh:test'] }]);
    assert.deepEqual(await svc.load(Readable.from([tar])), ['Loaded image: wh:test']);
    const img = svc.resolve('wh:test');
    await svc.idle(); // layers are unpacked in the background
    const [top] = svc.snapshots.lowerDirs(img.chainIds);
    const st = await fs.lstat(path.join(top!, 'a'));
    assert.ok(st.isCharacterDevice() && st.rdev === 0, 'whiteout is a 0/0 char device');
    const attr = spawnSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', path.join(top!, 'dir')], { encoding: 'utf8' });
    assert.equal(attr.stdout, 'y');

    const key = 'c'.repeat(64);
    const m = await svc.snapshots.prepare(key, img.chainIds);
    const merged = path.join(dir, 'merged');
    await fs.mkdir(merged);
    await realHost.mountOverlay(m.lower, m.upper, m.work, merged);
    mounts.push(merged);
    assert.deepEqual((await fs.readdir(merged)).sort(), ['dir', 'keep']);
    assert.deepEqual(await fs.readdir(path.join(merged, 'dir')), ['new']);

    // The container changes things; diff and usage read the writable layer.
    await fs.rm(path.join(merged, 'keep'));
    await fs.writeFile(path.join(merged, 'dir/new'), 'changed');
    await fs.writeFile(path.join(merged, 'added'), '12345');
    const changes = await svc.snapshots.diff(key, img.chainIds);
    assert.deepEqual(changes, [
      { Path: '/added', Kind: 1 },
      // /dir was copied up unchanged (same mode, size, mtime): not a change by itself (Docker's rule)
      { Path: '/dir/new', Kind: 0 },
      { Path: '/keep', Kind: 2 },
    ]);
    assert.equal(await svc.snapshots.usage(key), 'changed'.length + 5);

    await realHost.unmount(merged);
    mounts.pop();
    await svc.snapshots.remove(key);
    await svc.remove('wh:test', { usedBy: () => undefined });
    assert.deepEqual((await fs.readdir(path.join(dir, 'data/snapshots'))).filter((n) => /^[a-f0-9]{64}$/.test(n)), []);
  });
});
