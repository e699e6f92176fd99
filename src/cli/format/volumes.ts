/**
 * `volume ls` output: the volume row context (docker's formatter.volumeContext), the default
 * table `DRIVER    VOLUME NAME`, and the natural sort order the docker CLI lists volumes in.
 */
import { RowContext, TABLE, renderRows } from './formatter.js';
import { STRUCT_NAME } from './template.js';
import { humanSize } from './units.js';

/** The fields of `GET /volumes` items that `volume ls` reads. */
export interface VolumeSummary {
  Name: string;
  Driver?: string;
  Scope?: string;
  Mountpoint?: string;
  CreatedAt?: string;
  Labels?: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

const DEFAULT_TABLE = 'table {{.Driver}}\t{{.Name}}';

export const VOLUME_HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Group: 'GROUP',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
};

/** One `volume ls` row; each getter is a template field such as `{{.Name}}`. */
export class VolumeRow extends RowContext {
  protected readonly jsonFields = ['Availability', 'Driver', 'Group', 'Labels', 'Links', 'Mountpoint', 'Name', 'Scope', 'Size', 'Status'] as const;

  constructor(private readonly v: VolumeSummary) {
    super();
  }

  get [STRUCT_NAME](): string {
    return '*formatter.volumeContext';
  }
  get Name(): string {
    return this.v.Name;
  }
  get Driver(): string {
    return this.v.Driver ?? '';
  }
  get Scope(): string {
    return this.v.Scope ?? '';
  }
  get Mountpoint(): string {
    return this.v.Mountpoint ?? '';
  }
  get CreatedAt(): string {
    return this.v.CreatedAt ?? '';
  }
  get Labels(): string {
    // Go ranges over a map here (random order); sorted keeps the output stable.
    return Object.entries(this.v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).sort().join(',');
  }
  /** `{{.Label "key"}}`: one label's value. */
  Label(name: unknown): string {
    return this.v.Labels?.[String(name)] ?? '';
  }
  get Links(): string {
    return this.v.UsageData ? String(this.v.UsageData.RefCount) : 'N/A';
  }
  get Size(): string {
    return this.v.UsageData ? humanSize(this.v.UsageData.Size) : 'N/A';
  }
  // Cluster (swarm) volume fields: never set for local volumes.
  get Group(): string {
    return 'N/A';
  }
  get Availability(): string {
    return 'N/A';
  }
  get Status(): string {
    return 'N/A';
  }
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** sortorder.NaturalLess: digit runs compare as numbers, digits sort before other characters. */
export function naturalLess(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const d1 = isDigit(a[i]);
    const d2 = isDigit(b[j]);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (a[i] !== b[j]) return a[i]! < b[j]!;
      i++;
      j++;
      continue;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    const nz1 = i;
    const nz2 = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2;
    const n1 = a.slice(nz1, i);
    const n2 = b.slice(nz2, j);
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return a.length < b.length;
}

/** NewVolumeFormat: the effective format for `volume ls` flags. */
export function volumeFormat(source: string | undefined, quiet: boolean): string {
  if (!source || source === TABLE) return quiet ? '{{.Name}}' : DEFAULT_TABLE;
  if (source === 'raw') return quiet ? 'name: {{.Name}}' : 'name: {{.Name}}\\ndriver: {{.Driver}}\\n';
  return source;
}

/** Renders volumes as `volume ls` prints them (naturally sorted by name). */
export function formatVolumes(list: readonly VolumeSummary[], opts: { format?: string; quiet?: boolean } = {}): string {
  const sorted = [...list].sort((x, y) => (naturalLess(x.Name, y.Name) ? -1 : naturalLess(y.Name, x.Name) ? 1 : 0));
  return renderRows(volumeFormat(opts.format, opts.quiet ?? false), sorted.map((v) => new VolumeRow(v)), VOLUME_HEADERS);
}
