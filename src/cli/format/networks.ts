/**
 * `network ls` output: the row context after docker's network formatter (networkContext),
 * the default table `NETWORK ID   NAME   DRIVER   SCOPE`, `-q`, `raw`, and the natural name
 * order docker sorts networks in (sortorder.NaturalLess: `net2` before `net10`).
 */
import { RowContext, TABLE, renderRows } from './formatter.js';
import { STRUCT_NAME } from './template.js';
import { truncateId } from './units.js';

/** The fields of `GET /networks` items that `network ls` reads. */
export interface NetworkSummary {
  Name: string;
  Id: string;
  Created?: string;
  Scope?: string;
  Driver?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/**
 * Go's time.Time.String() for an RFC 3339 timestamp as the client decodes it:
 * `2026-11-22 07:06:50.942 +0000 UTC` (fraction without trailing zeros, the zone as given).
 */
export function goTimeFromRfc3339(s: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return '0001-01-01 00:00:00 +0000 UTC';
  const frac = (m[3] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''} ${zone}`;
}

/** One `network ls` row; each getter is a template field such as `{{.Driver}}`. */
export class NetworkRow extends RowContext {
  protected readonly jsonFields = ['CreatedAt', 'Driver', 'ID', 'IPv4', 'IPv6', 'Internal', 'Labels', 'Name', 'Scope'] as const;

  constructor(
    private readonly n: NetworkSummary,
    private readonly trunc: boolean,
  ) {
    super();
  }

  get [STRUCT_NAME](): string {
    return '*network.networkContext';
  }

  get ID(): string {
    return this.trunc ? truncateId(this.n.Id) : this.n.Id;
  }

  get Name(): string {
    return this.n.Name;
  }

  get Driver(): string {
    return this.n.Driver ?? '';
  }

  get Scope(): string {
    return this.n.Scope ?? '';
  }

  get IPv4(): string {
    return String(this.n.EnableIPv4 ?? false);
  }

  get IPv6(): string {
    return String(this.n.EnableIPv6 ?? false);
  }

  get Internal(): string {
    return String(this.n.Internal ?? false);
  }

  /**
   * docker joins labels in Go's map order, which starts at a random entry; the daemon's order
   * is always one of the orders docker can print.
   */
  get Labels(): string {
    return Object.entries(this.n.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }

  /** `{{.Label "key"}}`: one label's value. */
  Label(name: unknown): string {
    return this.n.Labels?.[String(name)] ?? '';
  }

  get CreatedAt(): string {
    return goTimeFromRfc3339(this.n.Created ?? '');
  }
}

/** sortorder.NaturalLess: digit runs compare as numbers (fewer leading zeros first), the rest bytewise. */
export function naturalLess(a: string, b: string): boolean {
  const digit = (c: number) => c >= 48 && c <= 57;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a.charCodeAt(i);
    const c2 = b.charCodeAt(j);
    const d1 = digit(c1);
    const d2 = digit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === '0') i++;
    while (j < b.length && b[j] === '0') j++;
    const nz1 = i;
    const nz2 = j;
    while (i < a.length && digit(a.charCodeAt(i))) i++;
    while (j < b.length && digit(b.charCodeAt(j))) j++;
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2;
    const n1 = a.slice(nz1, i);
    const n2 = b.slice(nz2, j);
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return a.length < b.length;
}

/** A comparator for Array.sort from naturalLess. */
export function naturalCompare(a: string, b: string): number {
  return naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0;
}

/** NewFormat for networks: `table` (or `-q`), `raw`, or the given template. */
export function networkFormat(source: string | undefined, quiet: boolean): string {
  const src = source || TABLE;
  if (src === TABLE) return quiet ? '{{.ID}}' : DEFAULT_TABLE;
  if (src === 'raw') {
    return quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';
  }
  return src;
}

/** Options of `network ls` rendering. */
export interface NetworkFormatOptions {
  format?: string;
  quiet?: boolean;
  trunc?: boolean;
}

/** Renders networks as `network ls` prints them, sorted by name. */
export function formatNetworks(list: readonly NetworkSummary[], opts: NetworkFormatOptions = {}): string {
  const sorted = [...list].sort((a, b) => naturalCompare(a.Name, b.Name));
  const rows = sorted.map((n) => new NetworkRow(n, opts.trunc ?? true));
  return renderRows(networkFormat(opts.format, opts.quiet ?? false), rows, NETWORK_HEADERS);
}
