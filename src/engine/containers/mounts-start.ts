/**
 * A container's mounts at start and stop: each volume is acquired (its own file system mounted
 * if it has one) and, on first use, filled with the image's content at the mount point while it
 * is empty; a missing `-v` host directory is created; every destination is resolved inside the
 * container's root (mount-target.ts); and the OCI mounts are added to the runtime spec, in
 * Docker's order (parents before children, replacing a default mount at the same place).
 * When the container stops, its volumes are released.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import type { OciMount } from '../runtime/defaults.js';
import { tmpfsOciOptions, type MountPoint } from './mount-spec.js';
import { resolveInRoot } from './mount-target.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';

function bindMount(destination: string, source: string, mp: MountPoint): OciMount {
  const options = [mp.NonRecursive ? 'bind' : 'rbind', mp.RW ? 'rw' : 'ro', mp.Propagation || 'rprivate'];
  return { destination, type: 'bind', source, options };
}

/** Copies the image's directory at `dest` into volume `mp.Name` if the volume is empty. */
async function copyImageContent(svc: ContainerService, rootfs: string, dest: string, mp: MountPoint): Promise<void> {
  const src = path.join(rootfs, dest);
  // `dest` is resolved inside the root, so `src` is a real path beneath it (or missing).
  const st = await fs.lstat(src).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await svc.opts.volumes!.populate(mp.Name!, src);
}

/**
 * Prepares the container's mounts and returns their OCI entries. The root file system must be
 * mounted. On failure the caller releases what was acquired (releaseMounts).
 */
export async function setupMounts(svc: ContainerService, rec: ContainerRecord, rootfs: string): Promise<OciMount[]> {
  const out: OciMount[] = [];
  for (const mp of rec.MountPoints ?? []) {
    const dest = await resolveInRoot(rootfs, mp.Destination);
    if (mp.Type === 'volume') {
      if (!svc.opts.volumes || !mp.Name) throw invalidArgument(`volume for ${mp.Destination} is not available`);
      const data = await svc.opts.volumes.acquire(mp.Name, rec.Id);
      if (mp.CopyData) {
        await copyImageContent(svc, rootfs, dest, mp);
        // Docker copies once, when the container is created; later starts never copy again.
        mp.CopyData = false;
      }
      out.push(bindMount(dest, data, mp));
    } else if (mp.Type === 'bind') {
      if (mp.CreateSource) await svc.opts.volumes?.ensureHostDir(mp.Source!);
      out.push(bindMount(dest, mp.Source!, mp));
    } else {
      out.push({ destination: dest, type: 'tmpfs', source: 'tmpfs', options: tmpfsOciOptions(mp.Tmpfs ?? '') });
    }
  }
  for (const [d, data] of Object.entries((rec.HostConfig.Tmpfs as Record<string, string> | null | undefined) ?? {})) {
    out.push({ destination: await resolveInRoot(rootfs, d), type: 'tmpfs', source: 'tmpfs', options: tmpfsOciOptions(data) });
  }
  return out;
}

/** Releases the container's volumes (their own mounts go when no running container needs them). */
export async function releaseMounts(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  for (const mp of rec.MountPoints ?? []) {
    if (mp.Type !== 'volume' || !mp.Name) continue;
    await svc.opts.volumes?.release(mp.Name, rec.Id).catch((err) => log.warn('volume release failed', { volume: mp.Name, error: messageOf(err) }));
  }
}

const depth = (p: string) => p.split('/').filter(Boolean).length;

/**
 * Adds the user's mounts to an OCI spec: a default mount at the same destination (and, for a
 * user `/dev`, everything below it) gives way; user mounts go last, parents before children.
 */
export function applyUserMounts(spec: Record<string, unknown>, user: OciMount[]): void {
  if (user.length === 0) return;
  const dests = new Set(user.map((m) => m.destination));
  const base = (spec.mounts as OciMount[]).filter((m) => !dests.has(m.destination) && !(dests.has('/dev') && m.destination.startsWith('/dev/')));
  const sorted = user.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i).map((x) => x.m);
  spec.mounts = [...base, ...sorted];
  // A shared bind needs a shared root for mounts to propagate back to the host.
  if (user.some((m) => m.options.includes('shared') || m.options.includes('rshared'))) {
    (spec.linux as Record<string, unknown>).rootfsPropagation = 'rshared';
  }
}
