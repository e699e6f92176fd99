/**
 * The mount flags of `run`/`create`, as the docker CLI reads them: `-v` specs split by the
 * compose loader's ParseVolume (named and anonymous volumes, binds, a relative `./dir` made
 * absolute), `--mount` CSV fields (opts.MountOpt), `--tmpfs path[:options]`, `--volumes-from`
 * and `--volume-driver`, and the part of the create body they make.
 */
import path from 'node:path';
import { invalidFlagValue } from '../errors.js';
import { parseRamInBytes } from '../format/units.js';

/** One `HostConfig.Mounts` entry as the docker CLI sends it (empty options are left out). */
export interface MountSpec {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** What ParseVolume makes of a `-v` value. */
export interface VolumeSpec {
  type: 'volume' | 'bind';
  source: string;
  target: string;
  readOnly: boolean;
}

const BIND_OPTIONS = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];

/** loader.ParseVolume: `[source:]target[:options]`; a one-letter source is a Windows drive. */
export function parseVolumeSpec(spec: string): VolumeSpec {
  const v: VolumeSpec = { type: 'volume', source: '', target: '', readOnly: false };
  if (spec.length === 0) throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { ...v, target: spec };
  const isFilePath = (s: string) => s !== '' && ('./~'.includes(s[0]!) || /^[A-Za-z]:/.test(s) || s.startsWith('\\\\'));
  const fail = (why: string) => {
    throw new Error(`invalid spec: ${spec}: ${why}`);
  };
  let buffer = '';
  const END = -1;
  const chars: Array<string | typeof END> = [...spec, END];
  for (const ch of chars) {
    if (ch === ':' && [...buffer].length === 1 && /\p{L}/u.test(buffer)) {
      buffer += ch;
      continue;
    }
    if (ch !== ':' && ch !== END) {
      buffer += ch;
      continue;
    }
    if (buffer === '') fail('empty section between colons');
    else if (v.source === '' && ch === END) v.target = buffer;
    else if (v.source === '') v.source = buffer;
    else if (v.target === '') v.target = buffer;
    else if (ch === ':') fail('too many colons');
    else {
      // The options field: unknown options are ignored, as docker ignores them.
      for (const o of buffer.split(',')) {
        if (o === 'ro') v.readOnly = true;
        else if (o === 'rw') v.readOnly = false;
      }
    }
    buffer = '';
  }
  v.type = isFilePath(v.source) ? 'bind' : 'volume';
  return v;
}

/** Go's encoding/csv for one line: comma-separated, `"…"` quoting with `""` for a quote. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error(`parse error on line 1, column ${line.length + 1}: extraneous or missing " in quoted-field`);
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i < line.length && line[i] !== ',') throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      const c = line.indexOf(',', i);
      field = c < 0 ? line.slice(i) : line.slice(i, c);
      if (field.includes('"')) throw new Error(`parse error on line 1, column ${i + field.indexOf('"') + 1}: bare " in non-quoted-field`);
      i = c < 0 ? line.length : c;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** opts.MountOpt.Set: one `--mount` value. Throws with docker's reason (the caller words the flag error). */
export function parseMountFlag(value: string): MountSpec {
  const m: MountSpec = { Type: 'volume' };
  const volumeOptions = () => (m.VolumeOptions ??= { DriverConfig: {} });
  const bindOptions = () => (m.BindOptions ??= {});
  const tmpfsOptions = () => (m.TmpfsOptions ??= {});
  const setOnMap = (target: Record<string, string>, kv: string) => {
    const eq = kv.indexOf('=');
    const k = eq < 0 ? kv : kv.slice(0, eq);
    if (k !== '') target[k] = eq < 0 ? '' : kv.slice(eq + 1);
  };
  const boolValue = (key: string, val: string) => {
    const b = parseGoBool(val);
    if (b === undefined) throw new Error(`invalid value for ${key}: ${val}`);
    return b;
  };
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') m.ReadOnly = true;
      else if (key === 'volume-nocopy') volumeOptions().NoCopy = true;
      else if (key === 'bind-nonrecursive') bindOptions().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type':
        m.Type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        m.Source = val === '.' || val.startsWith('./') ? path.resolve(val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = boolValue(key, val);
        break;
      case 'consistency':
        m.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = boolValue(key, val);
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = val;
        break;
      case 'volume-nocopy':
        volumeOptions().NoCopy = boolValue('volume-nocopy', val);
        break;
      case 'volume-label':
        setOnMap((volumeOptions().Labels ??= {}), val);
        break;
      case 'volume-driver':
        volumeOptions().DriverConfig.Name = val;
        break;
      case 'volume-opt':
        setOnMap((volumeOptions().DriverConfig.Options ??= {}), val);
        break;
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = parseRamInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfsOptions().Mode = parseInt(val, 8);
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (m.Type === '') throw new Error('type is required');
  if (!m.Target) throw new Error('target is required');
  if (m.VolumeOptions && m.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}

/** `--mount` as a commander option parser: collects entries, flag errors worded by pflag. */
export function mountFlag(v: string, prev: MountSpec[] | undefined): MountSpec[] {
  try {
    return [...(prev ?? []), parseMountFlag(v)];
  } catch (e) {
    throw invalidFlagValue('--mount', v, (e as Error).message);
  }
}

/** The flags this file reads. */
export interface MountFlags {
  volume?: string[];
  mount?: MountSpec[];
  tmpfs?: string[];
  volumesFrom?: string[];
  volumeDriver?: string;
}

/** The create body's mount fields for the parsed flags (docker's `parse`). */
export function mountBody(f: MountFlags): {
  Volumes: Record<string, Record<string, never>>;
  HostConfig: { Binds: string[] | null; VolumeDriver: string; VolumesFrom: string[] | null; Tmpfs?: Record<string, string>; Mounts?: MountSpec[] };
} {
  const volumes: Record<string, Record<string, never>> = {};
  const binds: string[] = [];
  // Docker reads -v values as a set: a repeated value counts once.
  for (const spec of new Set(f.volume ?? [])) {
    const parsed = parseVolumeSpec(spec);
    if (parsed.source === '') {
      volumes[spec] = {};
      continue;
    }
    let toBind = spec;
    const colon = spec.indexOf(':');
    if (parsed.type === 'bind' && colon >= 0) {
      const host = spec.slice(0, colon);
      if (!host.startsWith('/') && host.startsWith('.')) toBind = `${path.resolve(host)}:${spec.slice(colon + 1)}`;
    }
    binds.push(toBind);
  }
  const tmpfs: Record<string, string> = {};
  for (const t of f.tmpfs ?? []) {
    const colon = t.indexOf(':');
    tmpfs[colon < 0 ? t : t.slice(0, colon)] = colon < 0 ? '' : t.slice(colon + 1);
  }
  return {
    Volumes: volumes,
    HostConfig: {
      Binds: binds.length ? binds : null,
      VolumeDriver: f.volumeDriver ?? '',
      VolumesFrom: f.volumesFrom?.length ? f.volumesFrom : null,
      ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
      ...(f.mount?.length ? { Mounts: f.mount } : {}),
    },
  };
}
