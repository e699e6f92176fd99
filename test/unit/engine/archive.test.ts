/**
 * The engine side of `docker cp` (containers/archive.ts) on the recording host: a running
 * container is frozen for the whole operation and thawed afterwards even when it fails, a paused
 * one is left paused, a stopped one is mounted only meanwhile; errors carry Docker's wording.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { RecordingHost } from '../../../src/host/fake.js';
import { isKind } from '../../../src/lib/errors.js';
import { archiveContainerPath, extractToContainer, statContainerPath } from '../../../src/engine/containers/archive.js';
import { initialState, type ContainerRecord } from '../../../src/engine/containers/record.js';
import { ContainerService } from '../../../src/engine/containers/service.js';
import type { Status } from '../../../src/engine/containers/state.js';
import type { OciRuntime } from '../../../src/engine/runtime/runtime.js';
import { chunks, makeTar } from '../snapshots/tarutil.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-archive-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function setup(status: Status, extra: Partial<ContainerRecord> = {}) {
  const host = new RecordingHost();
  const calls: string[] = [];
  let received = 0;
  const runtime = {
    pause: async (id: string) => void calls.push(`pause ${id}`),
    resume: async (id: string) => void calls.push(`resume ${id} after ${received} bytes`),
  } as unknown as OciRuntime;
  const snapshots = {
    prepare: async (key: string) => ({ lower: ['/l0'], upper: `/u/${key}`, work: `/w/${key}` }),
    paths: (key: string) => ({ lower: ['/l0'], upper: `/u/${key}`, work: `/w/${key}` }),
    remove: async () => undefined,
    diff: async () => [],
    usage: async () => 0,
    layerTar: () => { throw new Error('unused'); },
  };
  const svc = new ContainerService({
    dataRoot: path.join(dir, 'data'), execRoot: path.join(dir, 'exec'), host, runtime,
    images: { resolve: () => { throw new Error('unused'); } }, snapshots, cgroupParent: '/berth-test',
  });
  const id = `c${Math.random().toString(16).slice(2)}`;
  const rec: ContainerRecord = {
    Id: id, Name: `/${id}`, Created: '', ImageRef: 'busybox', ImageId: 'sha256:x', ChainIds: ['sha256:a'], Path: 'true', Args: [],
    Config: { Image: 'busybox' }, HostConfig: { NetworkMode: 'none' }, State: { ...initialState(), Status: status }, RestartCount: 0, ...extra,
  };
  const root = svc.rootfsDir(id);
  fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  fs.writeFileSync(path.join(root, 'data/hello'), 'hello\n');
  fs.symlinkSync('/', path.join(root, 'escape'));
  const sink = () => {
    const parts: Buffer[] = [];
    const w = new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), (received += c.length), cb()) });
    return { w, bytes: () => Buffer.concat(parts) };
  };
  return { svc, rec, host, calls, root, id, sink };
}

describe('cp in the engine', () => {
  it('freezes a running container for a stat and thaws it, also when the path is missing', async () => {
    const { svc, rec, calls, id } = setup('running');
    const stat = await statContainerPath(svc, rec, 'web', '/escape');
    assert.equal(stat.name, 'escape');
    assert.equal(stat.linkTarget, '/');
    assert.equal(stat.mode, 2 ** 27 + 0o777);
    await assert.rejects(statContainerPath(svc, rec, 'web', '/escape/nosuch'), (e) => isKind(e, 'NotFound') && (e as Error).message === 'Could not find the file /escape/nosuch in container web');
    assert.deepEqual(calls, [`pause ${id}`, `resume ${id} after 0 bytes`, `pause ${id}`, `resume ${id} after 0 bytes`]);
  });

  it('thaws only after the whole archive was written', async () => {
    const { svc, rec, calls, id, sink } = setup('running');
    const out = sink();
    let stat;
    await archiveContainerPath(svc, rec, 'web', '/data', (s) => ((stat = s), out.w));
    assert.equal(stat!.name, 'data');
    assert.equal(out.bytes().length, 2560); // two headers, one data block, the end marker
    assert.deepEqual(calls, [`pause ${id}`, `resume ${id} after 2560 bytes`]);
  });

  it('leaves a paused container paused, and mounts an exited one only meanwhile', async () => {
    const paused = setup('paused');
    await statContainerPath(paused.svc, paused.rec, 'p', '/data');
    assert.deepEqual(paused.calls, []);
    const exited = setup('exited');
    await statContainerPath(exited.svc, exited.rec, 'e', '/data/hello');
    assert.deepEqual(exited.host.calls.map((c) => c.op), ['mountOverlay', 'unmount']);
    assert.deepEqual(exited.calls, []);
  });

  it('extracts inside the container through its own links, and thaws on a refused archive', async () => {
    const { svc, rec, calls, root, id } = setup('running');
    const tar = await makeTar([{ name: 'sub/new', body: 'new\n' }]);
    await extractToContainer(svc, rec, 'web', '/escape/data', chunks(tar), { noOverwriteDirNonDir: true, copyUIDGID: false });
    assert.equal(fs.readFileSync(path.join(root, 'data/sub/new'), 'utf8'), 'new\n');
    const bad = await makeTar([{ name: '../outside', body: 'x' }]);
    await assert.rejects(extractToContainer(svc, rec, 'web', '/data', chunks(bad), { noOverwriteDirNonDir: true, copyUIDGID: false }), (e) => isKind(e, 'InvalidArgument'));
    const overwrite = await makeTar([{ name: 'data', body: 'x' }]);
    await assert.rejects(extractToContainer(svc, rec, 'web', '/', chunks(overwrite), { noOverwriteDirNonDir: true, copyUIDGID: false }), /cannot overwrite directory "\/data" with non-directory "\/"/);
    assert.equal(calls.filter((c) => c.startsWith('pause')).length, 3);
    assert.equal(calls.filter((c) => c.startsWith('resume')).length, 3);
    assert.equal(calls.at(-1), `resume ${id} after 0 bytes`);
  });

  it('refuses a destination that is missing, not a directory, or read-only', async () => {
    const { svc, rec } = setup('exited', { HostConfig: { NetworkMode: 'none', ReadonlyRootfs: true } });
    const empty = await makeTar([]);
    const put = (p: string) => extractToContainer(svc, rec, 'web', p, chunks(empty), { noOverwriteDirNonDir: false, copyUIDGID: false });
    await assert.rejects(put('/nosuch'), /Could not find the file \/nosuch in container web/);
    await assert.rejects(put('/data/hello'), /extraction point is not a directory/);
    await assert.rejects(put('/data'), /container rootfs is marked read-only/);
  });
});
