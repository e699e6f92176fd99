/**
 * Address and list parsing for the networking flags, with the semantics of the Go functions
 * the docker CLI calls (net.ParseIP and IP.String, net.ParseCIDR and IPNet.Contains, pflag's
 * comma-separated `strings` flags), so that values are accepted, rejected and normalized as
 * docker does before they reach the request body.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** net.ParseIP: the 16-byte form of an IPv4 or IPv6 address, or undefined (no zones). */
export function parseIp(s: string): Uint8Array | undefined {
  if (isIPv4(s)) return v4Mapped(s.split('.').map(Number));
  if (!isIPv6(s) || s.includes('%')) return undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const v4 = text.slice(lastColon + 1);
  if (v4.includes('.')) {
    // An embedded IPv4 address is the last two 16-bit groups.
    const o = v4.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const words = (p: string | undefined) => (p ? p.split(':').filter((x) => x !== '').map((h) => parseInt(h, 16)) : []);
  const a = words(head);
  const b = words(rest);
  const groups = rest === undefined ? a : [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function v4Mapped(octets: number[]): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(octets, 12);
  return out;
}

/** True for `::ffff:a.b.c.d`, which Go treats (and prints) as IPv4. */
function isV4(ip: Uint8Array): boolean {
  return ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
}

/** IP.String: dotted quad for IPv4, RFC 5952 (longest zero run of two or more as `::`) otherwise. */
export function formatIp(ip: Uint8Array): string {
  if (isV4(ip)) return [...ip.slice(12)].join('.');
  const g = Array.from({ length: 8 }, (_, i) => (ip[2 * i]! << 8) | ip[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return g.map((x) => x.toString(16)).join(':');
  const left = g.slice(0, best).map((x) => x.toString(16)).join(':');
  const right = g.slice(best + bestLen).map((x) => x.toString(16)).join(':');
  return `${left}::${right}`;
}

/** An IP network as net.ParseCIDR returns it. */
export interface Cidr {
  ip: Uint8Array;
  bits: number;
  v4: boolean;
}

/** net.ParseCIDR; throws Go's `invalid CIDR address: X`. */
export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  const ip = slash > 0 ? parseIp(s.slice(0, slash)) : undefined;
  const bitsText = s.slice(slash + 1);
  const v4 = ip !== undefined && isIPv4(s.slice(0, slash));
  const max = v4 ? 32 : 128;
  if (!ip || slash < 0 || !/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max || (bitsText.length > 1 && bitsText[0] === '0')) {
    throw new Error(`invalid CIDR address: ${s}`);
  }
  return { ip, bits: Number(bitsText), v4 };
}

/** IPNet.Contains: same family, same leading bits. */
export function cidrContains(net: Cidr, ip: Uint8Array): boolean {
  if (net.v4 !== isV4(ip)) return false;
  const offset = net.v4 ? 12 : 0;
  for (let bit = 0; bit < net.bits; bit++) {
    const byte = offset + (bit >> 3);
    const mask = 0x80 >> (bit & 7);
    if ((net.ip[byte]! & mask) !== (ip[byte]! & mask)) return false;
  }
  return true;
}

/**
 * pflag's `strings` flags (`--subnet a,b`, `--alias x,y`): each use is read as one CSV
 * record and its fields appended, so commas split values and quotes may protect them.
 */
export function stringSliceFlag(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...(value === '' ? [] : readCsvRecord(value))];
}

/** Go's encoding/csv for a single line: fields split on commas, `"…"` quoting with `""`. */
export function readCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (; i < line.length; i++) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            i++;
            break;
          }
        } else field += line[i];
      }
      // Anything after the closing quote up to the comma is kept, as lazy quotes would.
      while (i < line.length && line[i] !== ',') field += line[i++];
    } else {
      while (i < line.length && line[i] !== ',') field += line[i++];
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++;
  }
}
