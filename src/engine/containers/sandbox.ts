/**
 * A container's sandbox: its root file system (image layers + container layer as one overlay)
 * and its network namespace (loopback up; bridge networking plugs in here). Both are made in
 * parallel, and `create` starts making them in the background so that `start` — which
 * `docker run` calls right after — finds them ready.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { span } from '../../lib/trace.js';
import { releaseMounts } from './mounts-start.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';

const pending = new Map<string, Promise<void>>();

export function netnsDir(svc: ContainerService): string {
  return path.join(svc.opts.execRoot, 'netns');
}

/** The namespace file of a container, or undefined when it shares the host's network. */
export function netnsFile(svc: ContainerService, rec: ContainerRecord): string | undefined {
  return rec.HostConfig.NetworkMode === 'host' ? undefined : path.join(netnsDir(svc), rec.Id);
}

/** Mounts the container's root file system (image layers + container layer) if it is not. */
export async function mountRootfs(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  const { host, snapshots } = svc.opts;
  const rootfs = svc.rootfsDir(rec.Id);
  const layer = await snapshots.prepare(rec.Id, rec.ChainIds);
  await fs.mkdir(rootfs, { recursive: true });
  if (!(await host.isMounted(rootfs))) await host.mountOverlay(layer.lower, layer.upper, layer.work, rootfs);
}

async function make(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  const ns = netnsFile(svc, rec);
  await Promise.all([
    span(rec.Id, 'mount rootfs', () => mountRootfs(svc, rec)),
    ns && span(rec.Id, 'network', () => fs.access(ns).catch(() => svc.opts.host.createNetns(ns))),
  ]);
}

/** Starts preparing the sandbox without waiting (from `create`); errors surface at `start`. */
export function prepareInBackground(svc: ContainerService, rec: ContainerRecord): void {
  const p = make(svc, rec);
  p.catch(() => undefined);
  pending.set(rec.Id, p);
}

/** Waits for (or makes) the sandbox. */
export async function prepareSandbox(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  const p = pending.get(rec.Id);
  pending.delete(rec.Id);
  if (p) {
    try {
      return await p;
    } catch {
      // The background attempt failed; try once more in the foreground so the error is current.
    }
  }
  await make(svc, rec);
}

/** Unmounts the root file system and removes the network namespace. */
export async function releaseSandbox(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  const p = pending.get(rec.Id);
  pending.delete(rec.Id);
  await p?.catch(() => undefined);
  const ns = netnsFile(svc, rec);
  await Promise.all([svc.opts.host.unmount(svc.rootfsDir(rec.Id)), ns ? svc.opts.host.removeNetns(ns) : undefined]);
  await releaseMounts(svc, rec);
}
