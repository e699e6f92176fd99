/**
 * A container's sandbox: its root file system (image layers + container layer as one overlay)
 * and its network namespace (loopback up; bridge networking plugs in here). Both are made in
 * parallel, and `create` starts making them in the background so that `start` — which
 * `docker run` calls right after — finds them ready.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { failedPrecondition } from '../../lib/errors.js';
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
  const mode = rec.HostConfig.NetworkMode ?? 'default';
  if (mode === 'host') return undefined;
  // `--network container:<id>` joins the other container's namespace.
  if (mode.startsWith('container:')) return path.join(netnsDir(svc), mode.slice('container:'.length));
  return path.join(netnsDir(svc), rec.Id);
}

/** True when the container made its namespace itself (and so must release it). */
function ownsNetns(rec: ContainerRecord): boolean {
  const mode = rec.HostConfig.NetworkMode ?? 'default';
  return mode !== 'host' && !mode.startsWith('container:');
}

/** Makes the container's network namespace and plugs it into its networks. */
async function makeNetwork(svc: ContainerService, rec: ContainerRecord, ns: string): Promise<void> {
  if (!ownsNetns(rec)) {
    if (!(await fs.access(ns).then(() => true, () => false))) throw failedPrecondition(`cannot join network of a non running container: ${rec.HostConfig.NetworkMode!.slice('container:'.length)}`);
    return;
  }
  if (!(await fs.access(ns).then(() => true, () => false))) await svc.opts.host.createNetns(ns);
  // Attached once per sandbox: a namespace that survived (daemon restart) keeps its endpoints.
  if (svc.opts.network && !Object.values(rec.Networks ?? {}).some((e) => e.IfName)) {
    await svc.opts.network.attach(rec, ns);
    // Recorded at once: after a crash, the next start must know what to detach.
    if (svc.find(rec.Id)) await svc.save(rec);
  }
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
    ns && span(rec.Id, 'network', () => makeNetwork(svc, rec, ns)),
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

/**
 * The namespace whose interfaces `network connect`/`disconnect` must change now: a running
 * container's, or a created one's whose sandbox `create` already prepared (start will not plug
 * anything in again); undefined when only the records change (they are plugged in at start).
 */
export async function pluggedNetns(svc: ContainerService, rec: ContainerRecord): Promise<string | undefined> {
  const live = rec.State.Status === 'running' || rec.State.Status === 'paused';
  if (!live) await pending.get(rec.Id)?.catch(() => undefined);
  const ns = netnsFile(svc, rec);
  if (!ns || live) return ns;
  // A prepared sandbox is not prepared again at start: changes must reach its namespace now.
  return ownsNetns(rec) && (await fs.access(ns).then(() => true, () => false)) ? ns : undefined;
}

/** Unmounts the root file system and removes the network namespace. */
export async function releaseSandbox(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  const p = pending.get(rec.Id);
  pending.delete(rec.Id);
  await p?.catch(() => undefined);
  const ns = ownsNetns(rec) ? netnsFile(svc, rec) : undefined;
  const network = async () => {
    if (!ns) return;
    svc.opts.network?.detach(rec);
    await svc.opts.host.removeNetns(ns);
  };
  await Promise.all([svc.opts.host.unmount(svc.rootfsDir(rec.Id)), network()]);
  await releaseMounts(svc, rec);
}
