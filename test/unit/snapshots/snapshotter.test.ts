/** The overlay snapshotter's bookkeeping: chain IDs, staging/commit, writable layers, diff, usage. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { RecordingHost } from '../../../src/host/fake.js';
import { chainIds, OverlaySnapshotter } from '../../../src/engine/snapshots/snapshotter.js';

const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('OverlaySnapshotter', () => {
  let root: string;
  let snaps: OverlaySnapshotter;
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-snap-'));
    snaps = await OverlaySnapshotter.open(root, new RecordingHost());
  });
  after(() => fs.rm(root, { recursive: true, force: true }));

  it('computes chain IDs per the OCI spec', () => {
    const [a, b] = [d('a'), d('b')];
    const ids = chainIds([a, b]);
    assert.equal(ids[0], a);
    assert.equal(ids[1], d(`${a} ${b}`));
  });

  it('commits staged layers once and prepares writable layers on top', async () => {
    const [c1, c2] = chainIds([d('l1'), d('l2')]);
    for (const [id, file] of [[c1!, 'one'], [c2!, 'two']] as const) {
      const st = await snaps.stage();
      await fs.writeFile(path.join(st.fs, file), file);
      await snaps.commit(st, { chainId: id, diffId: id, size: 3 });
    }
    const dup = await snaps.stage();
    await snaps.commit(dup, { chainId: c1!, diffId: c1!, size: 3 }); // already there: discarded
    assert.deepEqual(await fs.readdir(path.join(root, 'tmp')), []);
    assert.deepEqual((await snaps.list()).sort(), [c1, c2].sort());
    assert.deepEqual(snaps.lowerDirs([c1!, c2!]), [snaps.fsDir(c2!), snaps.fsDir(c1!)]);
    assert.deepEqual(snaps.lowerDirs([]), [path.join(root, 'empty')]);

    const m = await snaps.prepare('ctr1', [c1!, c2!]);
    assert.equal(m.upper, path.join(root, 'active/ctr1/upper'));
    await fs.writeFile(path.join(m.upper, 'two'), 'changed!');
    await fs.mkdir(path.join(m.upper, 'newdir'));
    await fs.writeFile(path.join(m.upper, 'newdir/f'), '12345');
    const changes = await snaps.diff('ctr1', [c1!, c2!]);
    assert.deepEqual(changes, [
      { Path: '/newdir', Kind: 1 },
      { Path: '/newdir/f', Kind: 1 },
      { Path: '/two', Kind: 0 },
    ]);
    assert.equal(await snaps.usage('ctr1'), 'changed!'.length + 5);
    await snaps.remove('ctr1');
    await assert.rejects(fs.access(path.join(root, 'active/ctr1')));
    await assert.rejects(snaps.prepare('ctr2', [d('missing')]), (e) => isKind(e, 'FailedPrecondition'));
    await assert.rejects(snaps.prepare('../evil', []), (e) => isKind(e, 'InvalidArgument'));
    await snaps.delete(c2!);
    assert.deepEqual(await snaps.list(), [c1]);
  });
});
