/**
 * `ps` output: the container row context (docker's formatter.ContainerContext) and the
 * default table `CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES`.
 * Rows are computed from `GET /containers/json` summaries.
 */
import { familiarString, parseNormalizedNamed } from '../reference.js';
import { RowContext, TABLE, renderRows } from './formatter.js';
import { STRUCT_NAME } from './template.js';
import { ellipsis, goTimeString, humanSince, humanSize, truncateId } from './units.js';

/** A port entry of a container summary. */
export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** The fields of `GET /containers/json` items that `ps` reads. */
export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: PortSummary[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  NetworkSettings?: { Networks?: Record<string, unknown> } | null;
  Mounts?: { Name?: string; Source?: string; Driver?: string }[];
  ImageManifestDescriptor?: { platform?: { os?: string; architecture?: string; variant?: string } } | null;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** Column titles for every container field (docker's container header context). */
export const CONTAINER_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

/** One `ps` row; each getter is a template field such as `{{.Status}}`. */
export class ContainerRow extends RowContext {
  protected readonly jsonFields = [
    'Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names',
    'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status',
  ] as const;

  constructor(
    private readonly c: ContainerSummary,
    private readonly trunc: boolean,
    private readonly now = Date.now(),
  ) {
    super();
  }

  get [STRUCT_NAME](): string {
    return '*formatter.ContainerContext';
  }

  get ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }

  get Names(): string {
    let names = (this.c.Names ?? []).map((n) => n.slice(1));
    if (this.trunc) {
      // Legacy link aliases (`/other/alias`) are hidden; the first plain name is kept.
      const plain = names.find((n) => !n.includes('/'));
      if (plain !== undefined) names = [plain];
    }
    return names.join(',');
  }

  get Image(): string {
    const image = this.c.Image ?? '';
    if (image === '') return '<no image>';
    if (this.trunc) {
      const short = truncateId(this.c.ImageID ?? '');
      if (short === truncateId(image)) return short;
      try {
        // Drop a digest for display: `busybox:latest@sha256:…` → `busybox:latest`.
        const ref = parseNormalizedNamed(image);
        return familiarString({ domain: ref.domain, path: ref.path, tag: ref.tag });
      } catch {
        return image;
      }
    }
    return image;
  }

  get Command(): string {
    const command = this.trunc ? ellipsis(this.c.Command ?? '', 20) : (this.c.Command ?? '');
    return goQuote(command);
  }

  get CreatedAt(): string {
    return goTimeString(new Date((this.c.Created ?? 0) * 1000));
  }

  get RunningFor(): string {
    return humanSince(this.c.Created ?? 0, this.now);
  }

  get Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }

  get State(): string {
    return this.c.State ?? '';
  }

  get Status(): string {
    return this.c.Status ?? '';
  }

  get Size(): string {
    const srw = humanSize(this.c.SizeRw ?? 0, 3);
    const rootfs = this.c.SizeRootFs ?? 0;
    return rootfs > 0 ? `${srw} (virtual ${humanSize(rootfs, 3)})` : srw;
  }

  get Labels(): string {
    const labels = this.c.Labels ?? {};
    return Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(',');
  }

  /** `{{.Label "key"}}`: one label's value. */
  Label(name: unknown): string {
    return this.c.Labels?.[String(name)] ?? '';
  }

  get Mounts(): string {
    return (this.c.Mounts ?? [])
      .map((m) => {
        const name = m.Name ? m.Name : (m.Source ?? '');
        return this.trunc ? ellipsis(name, 15) : name;
      })
      .join(',');
  }

  get LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }

  /** The image platform (`linux/amd64`), or null when the daemon does not report one. */
  get Platform(): string | null {
    const p = this.c.ImageManifestDescriptor?.platform;
    if (!p?.os) return null;
    return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  }

  get Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {}).join(',');
  }
}

/** Go's strconv.Quote for the printable strings commands usually are. */
export function goQuote(s: string): string {
  return JSON.stringify(s)
    .replace(/\\u([0-9a-f]{4})/g, (_, h: string) => (h === '0007' ? '\\a' : h === '000b' ? '\\v' : `\\x${h.slice(2)}`))
    .replace(/\u007f/g, '\\x7f');
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function comparePorts(a: PortSummary, b: PortSummary): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function formGroup(key: string, start: number, last: number): string {
  const parts = key.split('/');
  let type = parts[0]!;
  let ip = '';
  if (parts.length > 1) {
    ip = parts[0]!;
    type = parts[1]!;
  }
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/**
 * DisplayablePorts: `0.0.0.0:8080->80/tcp, [::]:8080->80/tcp`, with runs of consecutive
 * ports folded into ranges (`8000-8002/tcp`), exactly as `docker ps` prints them.
 */
export function displayablePorts(ports: readonly PortSummary[]): string {
  const sorted = [...ports].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const port of sorted) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if ((port.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(port.IP, String(port.PublicPort ?? 0))}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === group.last + 1) {
      group.last = current;
      continue;
    }
    result.push(formGroup(key, group.first, group.last));
    // The key keeps its first position, as Go's groupMapKeys does.
    group.first = current;
    group.last = current;
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

/** Options of `ps` rendering. */
export interface PsFormatOptions {
  format?: string;
  quiet?: boolean;
  size?: boolean;
  trunc?: boolean;
  now?: number;
}

/** NewContainerFormat: the effective format string for `ps` flags. */
export function containerFormat(source: string | undefined, quiet: boolean, size: boolean): string {
  if (!source || source === TABLE) {
    if (quiet) return '{{.ID}}';
    return size ? `${DEFAULT_TABLE}\t{{.Size}}` : DEFAULT_TABLE;
  }
  return quiet ? '{{.ID}}' : source;
}

/** Renders container summaries as `ps` prints them. */
export function formatContainers(list: readonly ContainerSummary[], opts: PsFormatOptions = {}): string {
  const format = containerFormat(opts.format, opts.quiet ?? false, opts.size ?? false);
  const rows = list.map((c) => new ContainerRow(c, opts.trunc ?? true, opts.now));
  return renderRows(format, rows, CONTAINER_HEADERS);
}
