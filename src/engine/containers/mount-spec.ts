/**
 * Parsing and validating a container's mount requests, with the rules and wording of Docker's
 * Linux mount parser: `HostConfig.Binds` (`src:dst[:mode]`), `HostConfig.Mounts` (typed
 * `bind`/`volume`/`tmpfs` objects), `HostConfig.Tmpfs` and `HostConfig.VolumesFrom`. Pure
 * functions; nothing here looks at the disk or creates anything.
 */
import path from 'node:path';
import { invalidArgument, notImplemented } from '../../lib/errors.js';

export type MountType = 'bind' | 'volume' | 'tmpfs';

/** One mount of a container, as its record keeps it (Docker's MountPoint). */
export interface MountPoint {
  Type: MountType;
  /** Volume name (volumes only). */
  Name?: string;
  /** Host path (binds only; a volume's is its mountpoint, looked up when needed). */
  Source?: string;
  Destination: string;
  Driver?: string;
  /** The mode as written in a bind spec (`ro,z`), or Docker's `z` for local volumes. */
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Copy the image's content at the destination into the volume while it is empty. */
  CopyData?: boolean;
  /** Created for this container (no source given): `rm -v` and `--rm` remove it. */
  Anonymous?: boolean;
  /** A `-v /host/dir:…` source is created on the host when missing. */
  CreateSource?: boolean;
  /** `bind` instead of `rbind` (mounts below the source are not carried along). */
  NonRecursive?: boolean;
  /** tmpfs data options (`size=64m,mode=1777`). */
  Tmpfs?: string;
  /** Labels and driver options for creating the volume (from `--mount`). */
  VolumeLabels?: Record<string, string> | null;
  VolumeOptions?: Record<string, string> | null;
}

/** One entry of `HostConfig.Mounts` (api/types/mount.Mount). */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
    Subpath?: string;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] | null } | null;
}

const RW_MODES = ['rw', 'ro'];
const LABEL_MODES = ['z', 'Z'];
export const PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared'];
const COPY_MODES = ['nocopy'];

/** Docker's linuxValidMountMode: comma-separated, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = [RW_MODES, LABEL_MODES, PROPAGATIONS, COPY_MODES].findIndex((set) => set.includes(o));
    if (kind < 0) return false;
    counts[kind]!++;
  }
  return counts.every((c) => c <= 1);
}

/** False when `mode` makes the mount read-only (or is invalid). */
export function readWrite(mode: string): boolean {
  return validMountMode(mode) && !mode.split(',').includes('ro');
}

/** Go's path.Clean: normalized, without a trailing slash. */
export function cleanPath(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

const invalidSpec = (raw: string) => `invalid volume specification: '${raw}'`;
const mountConfigError = (type: string, msg: string) => invalidArgument(`invalid mount config for type "${type}": ${msg}`);

function checkAbsolute(p: string): string | undefined {
  return p.startsWith('/') ? undefined : `invalid mount path: '${p}' mount path must be absolute`;
}

/** Destination rules shared by every mount type. */
function checkTarget(target: string): string | undefined {
  if (target === '') return 'field Target must not be empty';
  if (cleanPath(target) === '/') return "invalid specification: destination can't be '/'";
  return checkAbsolute(target);
}

/** `--tmpfs` and `HostConfig.Tmpfs` destinations. */
export function validateTmpfsDestination(dest: string): void {
  const err = dest === '' ? checkAbsolute(dest) : checkTarget(dest);
  if (err) throw invalidArgument(err);
}

/**
 * Docker's ParseMountSpec: one `HostConfig.Mounts` entry to a mount point. The existence of a
 * bind source is the caller's check (it needs the disk).
 */
export function parseMount(m: ApiMount, fromBind = false): MountPoint {
  const type = m.Type ?? '';
  const target = m.Target ?? '';
  const fail = (msg: string) => mountConfigError(type, msg);
  const targetErr = checkTarget(target);
  if (targetErr) throw fail(targetErr);
  const source = m.Source ?? '';
  const mp: MountPoint = { Type: type as MountType, Destination: cleanPath(target), Mode: '', RW: !m.ReadOnly, Propagation: '' };
  switch (type) {
    case 'bind': {
      if (!source) throw fail('field Source must not be empty');
      const prop = m.BindOptions?.Propagation ?? '';
      if (prop && !PROPAGATIONS.includes(prop)) throw fail(`invalid propagation mode: ${prop}`);
      if (m.VolumeOptions) throw fail('field VolumeOptions must not be specified');
      const srcErr = checkAbsolute(source);
      if (srcErr) throw fail(srcErr);
      mp.Source = cleanPath(source);
      mp.Propagation = prop || 'rprivate';
      if (m.BindOptions?.NonRecursive) mp.NonRecursive = true;
      // -v creates a missing host directory; --mount only with CreateMountpoint.
      if (fromBind || m.BindOptions?.CreateMountpoint) mp.CreateSource = true;
      return mp;
    }
    case 'volume': {
      if (m.BindOptions) throw fail('field BindOptions must not be specified');
      const anonymous = source === '';
      if (m.VolumeOptions?.Subpath) throw notImplemented('NotImplemented: volume subpaths (VolumeOptions.Subpath)');
      if (m.ReadOnly && anonymous) throw fail('must not set ReadOnly mode when using anonymous volumes');
      const driver = m.VolumeOptions?.DriverConfig?.Name || 'local';
      Object.assign(mp, { Driver: driver, CopyData: !m.VolumeOptions?.NoCopy }, anonymous ? { Anonymous: true } : { Name: source });
      if (m.VolumeOptions?.Labels) mp.VolumeLabels = m.VolumeOptions.Labels;
      if (m.VolumeOptions?.DriverConfig?.Options) mp.VolumeOptions = m.VolumeOptions.DriverConfig.Options;
      return mp;
    }
    case 'tmpfs': {
      if (m.BindOptions) throw fail('field BindOptions must not be specified');
      if (source) throw fail('field Source must not be specified');
      mp.Tmpfs = tmpfsData(m.TmpfsOptions ?? null, !!m.ReadOnly);
      mergeTmpfsOptions(mp.Tmpfs ? mp.Tmpfs.split(',') : []);
      return mp;
    }
    case 'image':
      throw notImplemented('NotImplemented: image mounts (type "image")');
    default:
      throw fail('mount type unknown');
  }
}

/** Docker's ParseMountRaw: one `HostConfig.Binds` entry (`name:/dst`, `/src:/dst:ro`, `/dst`). */
export function parseBind(raw: string, volumeDriver = ''): MountPoint {
  const arr = raw.split(':');
  if (arr[0] === '') throw invalidArgument(invalidSpec(raw));
  const m: ApiMount = {};
  let mode = '';
  if (arr.length === 1) m.Target = arr[0];
  else if (arr.length === 2) {
    // `/dst:ro` is not a volume: volumes cannot carry a mode without a source.
    if (validMountMode(arr[1]!)) throw invalidArgument(invalidSpec(raw));
    [m.Source, m.Target] = arr;
  } else if (arr.length === 3) [m.Source, m.Target, mode] = arr;
  else throw invalidArgument(invalidSpec(raw));
  if (!validMountMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);
  const opts = mode.split(',');
  m.Type = (m.Source ?? '').startsWith('/') ? 'bind' : 'volume';
  m.ReadOnly = !readWrite(mode);
  if (volumeDriver && m.Type === 'volume') m.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  if (opts.includes('nocopy')) m.VolumeOptions = { ...(m.VolumeOptions ?? {}), NoCopy: true };
  const prop = opts.find((o) => PROPAGATIONS.includes(o));
  if (prop) m.BindOptions = { Propagation: prop };
  let mp: MountPoint;
  try {
    mp = parseMount(m, true);
  } catch (err) {
    throw invalidArgument(`${invalidSpec(raw)}: ${(err as Error).message}`);
  }
  mp.Mode = mode;
  return mp;
}

/** Docker's ParseVolumesFrom: `container[:ro|rw]`. */
export function parseVolumesFrom(spec: string): { id: string; mode: string } {
  if (spec === '') throw invalidArgument('volumes-from specification cannot be an empty string');
  const colon = spec.indexOf(':');
  const id = colon < 0 ? spec : spec.slice(0, colon);
  const mode = colon < 0 ? '' : spec.slice(colon + 1);
  if (mode === '') return { id, mode: 'rw' };
  const opts = mode.split(',');
  if (!validMountMode(mode) || opts.some((o) => PROPAGATIONS.includes(o) || COPY_MODES.includes(o))) throw invalidArgument(`invalid mode: ${mode}`);
  return { id, mode };
}

/** Docker's ConvertTmpfsOptions: `TmpfsOptions` to mount data (`ro,mode=1777,size=64m`). */
export function tmpfsData(o: ApiMount['TmpfsOptions'], readOnly: boolean): string {
  const raw: string[] = [];
  if (readOnly) raw.push('ro');
  if (o?.Mode) raw.push(`mode=${o.Mode.toString(8)}`);
  if (o?.SizeBytes) {
    let size = o.SizeBytes;
    let suffix = '';
    // The largest unit that divides the size evenly, or plain bytes.
    for (const [s, d] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const opt of o?.Options ?? []) raw.push(opt.join('='));
  return raw.join(',');
}

// Mount flags tmpfs accepts, grouped by the kernel flag they set (a later one overrides an
// earlier one of its group); every propagation mode is one group.
const FLAG_GROUPS: string[][] = [
  ['ro', 'rw'], ['suid', 'nosuid'], ['dev', 'nodev'], ['exec', 'noexec'], ['sync', 'async'], ['dirsync'], ['remount'],
  ['mand', 'nomand'], ['atime', 'noatime'], ['diratime', 'nodiratime'], ['bind'], ['rbind'], ['relatime', 'norelatime'],
  ['strictatime', 'nostrictatime'], ['unbindable', 'runbindable', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'],
];
const TMPFS_DATA = ['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol'];

/** Docker's MergeTmpfsOptions: later options win, one per flag group or data key; unknown ones are refused. */
export function mergeTmpfsOptions(options: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const option of [...options].reverse()) {
    if (option === 'defaults') continue;
    const group = FLAG_GROUPS.findIndex((g) => g.includes(option));
    if (group >= 0) {
      if (!seen.has(`f${group}`)) out.unshift(option);
      seen.add(`f${group}`);
      continue;
    }
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq);
    if (eq < 0 || !TMPFS_DATA.includes(key)) {
      const parts = eq < 0 ? [option] : [key, option.slice(eq + 1)];
      throw invalidArgument(`invalid tmpfs option [${parts.map((p) => JSON.stringify(p)).join(' ')}]`);
    }
    if (!seen.has(`d${key}`)) out.unshift(option);
    seen.add(`d${key}`);
  }
  return out;
}

/** The OCI options of a tmpfs mount: Docker's defaults, then the user's data options. */
export function tmpfsOciOptions(data: string): string[] {
  return mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...(data ? data.split(',') : [])]);
}
