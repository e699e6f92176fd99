/**
 * A container's mounts from create to removal (the lecture's host directories, named volumes,
 * volume containers and tmpfs): at create, every request — `VolumesFrom`, `Binds`, `Mounts`,
 * `Tmpfs` and the anonymous volumes of `Config.Volumes` (the image's `VOLUME`s among them) —
 * is validated before anything is made, then the volumes are created and the resulting mount
 * points recorded; `rm -v` removes the anonymous ones; inspect and ps show them as Docker does.
 * Start-time work (mounting, copying image content, the OCI mounts) is in `mounts-start.ts`.
 */
import fs from 'node:fs/promises';
import { invalidArgument, isKind, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { validateLocalOptions, validateVolumeName } from '../volumes/store.js';
import type { VolumeService } from '../volumes/service.js';
import { cleanPath, mergeTmpfsOptions, parseBind, parseMount, parseVolumesFrom, readWrite, validateTmpfsDestination, type ApiMount, type MountPoint } from './mount-spec.js';
import type { ContainerConfig, ContainerRecord, HostConfig } from './record.js';
import type { ContainerService } from './service.js';

/** The mount points of a create, and how to finish or undo its volume side. */
export interface MountRegistration {
  points: MountPoint[];
  /** After a failed create: removes the volumes this create made. */
  undo(): Promise<void>;
  /** Drops the create's own references to its volumes (its record holds them from now on). */
  done(): void;
}

function volumesOf(svc: ContainerService): VolumeService {
  if (!svc.opts.volumes) throw invalidArgument('volumes are not available in this engine');
  return svc.opts.volumes;
}

const duplicate = (dest: string) => invalidArgument(`Duplicate mount point: ${dest}`);

/** A list field of the request (`null` and absent are empty); anything else is a client error. */
function list<T>(v: unknown, field: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidArgument(`invalid HostConfig.${field}: expected an array`);
  return v as T[];
}

/** Checks every request and returns the mount points, without creating anything. */
async function plan(svc: ContainerService, config: ContainerConfig, hc: HostConfig): Promise<MountPoint[]> {
  const byDest = new Map<string, MountPoint>();
  // Docker's order: volumes of other containers first; binds and mounts may then replace them.
  for (const spec of list<string>(hc.VolumesFrom, 'VolumesFrom')) {
    const { id, mode } = parseVolumesFrom(spec);
    const src = svc.find(id);
    if (!src) throw invalidArgument(`No such container: ${id}`);
    for (const m of src.MountPoints ?? []) {
      const { VolumeLabels: _l, VolumeOptions: _o, ...rest } = m;
      byDest.set(m.Destination, { ...rest, Mode: '', RW: m.RW && readWrite(mode), CopyData: false });
    }
  }
  const tmpfs = (hc.Tmpfs as Record<string, string> | null | undefined) ?? {};
  if (typeof tmpfs !== 'object' || Array.isArray(tmpfs)) throw invalidArgument('invalid HostConfig.Tmpfs: expected an object');
  for (const [dest, data] of Object.entries(tmpfs)) {
    if (typeof data !== 'string') throw invalidArgument(`invalid HostConfig.Tmpfs options for ${dest}: expected a string`);
    validateTmpfsDestination(dest);
    mergeTmpfsOptions(data ? data.split(',') : []);
  }
  const tmpfsDests = new Set(Object.keys(tmpfs).map((d) => cleanPath(d)));
  const taken = new Set<string>();
  const add = (mp: MountPoint, shown: string) => {
    if (taken.has(mp.Destination) || tmpfsDests.has(mp.Destination)) throw duplicate(shown);
    // Local volumes get the SELinux shared label mode, which Docker shows as `z`.
    if (mp.Type === 'volume' && !mp.Mode) mp.Mode = 'z';
    taken.add(mp.Destination);
    byDest.set(mp.Destination, mp);
  };
  for (const raw of list<string>(hc.Binds, 'Binds')) {
    const mp = parseBind(raw, (hc.VolumeDriver as string | undefined) ?? '');
    add(mp, mp.Destination);
  }
  for (const m of list<ApiMount>(hc.Mounts, 'Mounts')) {
    const mp = parseMount(m);
    if (mp.Type === 'bind' && !mp.CreateSource && !(await fs.stat(mp.Source!).then(() => true, () => false))) {
      throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${mp.Source}`);
    }
    add(mp, m.Target ?? '');
  }
  for (const d of tmpfsDests) byDest.delete(d);
  // Anonymous volumes for `-v /path` and the image's VOLUMEs, unless something is mounted there.
  for (const dest of Object.keys(config.Volumes ?? {})) {
    validateTmpfsDestination(dest);
    const d = cleanPath(dest);
    if (byDest.has(d) || tmpfsDests.has(d)) continue;
    byDest.set(d, { Type: 'volume', Destination: d, Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true, Anonymous: true });
  }
  const points = [...byDest.values()];
  // Volume names and options are checked here too, so that a bad one fails before any is made.
  for (const mp of points) {
    if (mp.Type !== 'volume' || mp.Anonymous) continue;
    if (mp.Driver && mp.Driver !== 'local') throw invalidArgument(`create ${mp.Name}: error looking up volume plugin ${mp.Driver}: plugin "${mp.Driver}" not found`);
    validateVolumeName(mp.Name!);
    validateLocalOptions(mp.Name!, mp.VolumeOptions ?? null);
  }
  return points;
}

/**
 * Validates the mount requests of a create and creates the volumes they need (named ones
 * that do not exist yet, and anonymous ones). Throws Docker's 400s before making anything.
 */
export async function registerMounts(svc: ContainerService, id: string, config: ContainerConfig, hc: HostConfig): Promise<MountRegistration> {
  const points = await plan(svc, config, hc);
  const volumes = points.filter((m) => m.Type === 'volume');
  const made: string[] = [];
  const refs: string[] = [];
  const undo = async () => {
    for (const name of made) {
      volumesOf(svc).dropRef(name, id);
      await volumesOf(svc).remove(name).catch(() => undefined);
    }
  };
  const done = () => refs.forEach((name) => svc.opts.volumes?.dropRef(name, id));
  if (volumes.length === 0) return { points, undo, done };
  const vs = volumesOf(svc);
  try {
    for (const mp of volumes) {
      const existed = !mp.Anonymous && vs.has(mp.Name!);
      const v = await vs.create({ Name: mp.Name, DriverOpts: mp.VolumeOptions ?? null, Labels: mp.VolumeLabels ?? null }, { anonymous: mp.Anonymous, ref: id });
      mp.Name = v.Name;
      refs.push(v.Name);
      if (!existed) made.push(v.Name);
      delete mp.VolumeLabels;
      delete mp.VolumeOptions;
    }
  } catch (err) {
    await undo();
    done();
    throw err;
  }
  return { points, undo, done };
}

/** `rm -v` and `--rm`: removes the container's anonymous volumes no other container uses. */
export async function removeAnonymousVolumes(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  for (const mp of rec.MountPoints ?? []) {
    if (mp.Type !== 'volume' || !mp.Anonymous || !mp.Name) continue;
    await svc.opts.volumes?.remove(mp.Name).catch((err) => {
      // Still used by another container (shared through --volumes-from): that is not an error.
      if (!isKind(err, 'Conflict') && !isKind(err, 'NotFound')) log.warn('volume removal failed', { volume: mp.Name, error: messageOf(err) });
    });
  }
}

/** Containers (any state) whose mounts name volume `name`. */
export function volumeUsers(svc: ContainerService, name: string): string[] {
  return svc.all().filter((r) => r.MountPoints?.some((m) => m.Type === 'volume' && m.Name === name)).map((r) => r.Id);
}

/** Volume name → running containers using it (for re-adopting volume mounts after a restart). */
export function runningVolumeUsers(svc: ContainerService): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of svc.all()) {
    if (!['running', 'paused', 'restarting'].includes(r.State.Status)) continue;
    for (const m of r.MountPoints ?? []) if (m.Type === 'volume' && m.Name) out.set(m.Name, [...(out.get(m.Name) ?? []), r.Id]);
  }
  return out;
}

/** `Mounts` of inspect and list (api/types.MountPoint). */
export function mountsView(svc: ContainerService, rec: ContainerRecord): Array<Record<string, unknown>> {
  return (rec.MountPoints ?? []).map((m) => {
    let source = m.Source ?? '';
    if (m.Type === 'volume' && m.Name) source = svc.opts.volumes?.store.dataDir(m.Name) ?? '';
    return {
      Type: m.Type,
      ...(m.Name ? { Name: m.Name } : {}),
      Source: source,
      Destination: m.Destination,
      ...(m.Driver ? { Driver: m.Driver } : {}),
      Mode: m.Mode,
      RW: m.RW,
      Propagation: m.Propagation,
    };
  });
}
