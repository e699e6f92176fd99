/**
 * `rm` and `container prune`: a container is removed only when stopped (or with force, after
 * SIGKILL). The record is deleted first — the commit point — then its writable layer.
 */
import fs from 'node:fs/promises';
import { exited } from './lifecycle.js';
import { cancelRestart, releaseRuntime } from './monitor.js';
import { removeAnonymousVolumes } from './mounts.js';
import { releaseSandbox } from './sandbox.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';
import { check } from './state.js';

export interface RemoveOptions {
  force?: boolean;
  volumes?: boolean;
}

/** Removes a stopped container. Call with the container's lock held. */
export async function removeContainer(svc: ContainerService, rec: ContainerRecord, opts: RemoveOptions): Promise<void> {
  cancelRestart(svc, rec);
  check('remove', rec.State.Status, rec.Id);
  // An exited container was released when it exited; a created one may hold a prepared sandbox,
  // and a dead one may still hold runtime state.
  const status = rec.State.Status;
  rec.State.Status = 'removing';
  if (status === 'dead') await releaseRuntime(svc, rec);
  else if (status === 'created') await releaseSandbox(svc, rec);
  await svc.forget(rec.Id);
  if (opts.volumes) await removeAnonymousVolumes(svc, rec);
  await svc.opts.snapshots.remove(rec.Id);
  await fs.rm(svc.bundleDir(rec.Id), { recursive: true, force: true });
  svc.announce('destroy', rec);
  svc.emit('destroy', rec.Id);
}

/**
 * `DELETE /containers/{id}`. The decision is made under the container's lock; with force, a live
 * container is killed and its exit awaited outside the lock (the exit handler needs it), then
 * the decision is made again — a policy restart may have raced in meanwhile.
 */
export async function removeByRequest(svc: ContainerService, rec: ContainerRecord, opts: RemoveOptions): Promise<void> {
  for (;;) {
    const step = await svc.withLock(rec.Id, async () => {
      // An auto-remove container may already be gone once it exited.
      if (!svc.find(rec.Id)) return undefined;
      cancelRestart(svc, rec);
      if (opts.force && ['running', 'paused'].includes(rec.State.Status)) {
        rec.State.ManuallyStopped = true;
        const done = exited(svc, rec, 30_000);
        if (rec.State.Status === 'paused') await svc.opts.runtime.resume(rec.Id).catch(() => undefined);
        svc.opts.host.kill(rec.State.Pid, 'SIGKILL');
        return { done };
      }
      await removeContainer(svc, rec, opts);
      return undefined;
    });
    if (!step) return;
    await step.done;
  }
}

/** Removes every stopped container; returns Docker's prune report. */
export async function pruneContainers(svc: ContainerService, until?: number): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
  const deleted: string[] = [];
  let space = 0;
  for (const rec of svc.all()) {
    if (!['exited', 'created', 'dead'].includes(rec.State.Status)) continue;
    if (until !== undefined && Date.parse(rec.Created) / 1000 >= until) continue;
    space += await svc.opts.snapshots.usage(rec.Id).catch(() => 0);
    await svc.withLock(rec.Id, () => removeContainer(svc, rec, {}));
    deleted.push(rec.Id);
  }
  return { ContainersDeleted: deleted, SpaceReclaimed: space };
}
