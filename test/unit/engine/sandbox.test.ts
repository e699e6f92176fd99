/** Sandbox preparation against the recording host: one mount and one netns per container, released together. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RecordingHost } from '../../../src/host/fake.js';
import { initialState, type ContainerRecord } from '../../../src/engine/containers/record.js';
import { prepareInBackground, prepareSandbox, releaseSandbox } from '../../../src/engine/containers/sandbox.js';
import { ContainerService } from '../../../src/engine/containers/service.js';
import type { OciRuntime } from '../../../src/engine/runtime/runtime.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sandbox-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function service(host: RecordingHost): ContainerService {
  const snapshots = {
    prepare: async (key: string) => ({ lower: ['/l1', '/l0'], upper: `/u/${key}`, work: `/w/${key}` }),
    paths: (key: string) => ({ lower: ['/l1', '/l0'], upper: `/u/${key}`, work: `/w/${key}` }),
    remove: async () => undefined,
    diff: async () => [],
    usage: async () => 0,
    layerTar: () => { throw new Error('unused'); },
  };
  return new ContainerService({
    dataRoot: path.join(dir, 'data'), execRoot: path.join(dir, 'exec'), host, runtime: {} as OciRuntime,
    images: { resolve: () => { throw new Error('unused'); } }, snapshots, cgroupParent: '/berth-test',
  });
}

function rec(id: string, network = 'default'): ContainerRecord {
  return {
    Id: id, Name: `/${id}`, Created: '', ImageRef: 'busybox', ImageId: 'sha256:x', ChainIds: ['sha256:a'], Path: 'true', Args: [],
    Config: { Image: 'busybox' }, HostConfig: { NetworkMode: network }, State: initialState(), RestartCount: 0,
  };
}

describe('container sandbox', () => {
  it('mounts the rootfs and makes the netns once, from create to start, and releases both', async () => {
    const host = new RecordingHost();
    const svc = service(host);
    const r = rec('a'.repeat(64));
    prepareInBackground(svc, r);
    await prepareSandbox(svc, r);
    const ops = host.calls.map((c) => c.op);
    assert.equal(ops.filter((o) => o === 'mountOverlay').length, 1);
    assert.equal(ops.filter((o) => o === 'createNetns').length, 1);
    assert.deepEqual(host.calls.find((c) => c.op === 'mountOverlay')!.args, [['/l1', '/l0'], `/u/${r.Id}`, `/w/${r.Id}`, svc.rootfsDir(r.Id)]);
    await releaseSandbox(svc, r);
    assert.ok(host.calls.some((c) => c.op === 'unmount' && c.args[0] === svc.rootfsDir(r.Id)));
    assert.ok(host.calls.some((c) => c.op === 'removeNetns' && String(c.args[0]).endsWith(`/netns/${r.Id}`)));
    assert.equal(host.mounts.size, 0);
  });

  it('makes no network namespace for --network host', async () => {
    const host = new RecordingHost();
    const svc = service(host);
    const r = rec('b'.repeat(64), 'host');
    await prepareSandbox(svc, r);
    await releaseSandbox(svc, r);
    assert.ok(!host.calls.some((c) => c.op === 'createNetns' || c.op === 'removeNetns'));
  });
});
