/**
 * Which registry endpoint an image's domain means, and whether plain HTTP may be used for it
 * (dockerd's registry service config; lecture concept: Docker Hub is the default public
 * registry, a private registry is named by its host in the image reference).
 *
 * - `docker.io` is served by `registry-1.docker.io` over HTTPS.
 * - Plain HTTP (and HTTPS without certificate checks) only for "insecure" registries:
 *   loopback by default (`localhost`, 127.0.0.0/8, ::1), plus what `--insecure-registry`
 *   lists — `host[:port]` or a CIDR, as dockerd's flag of that name takes.
 */
import net from 'node:net';
import { invalidArgument } from '../../lib/errors.js';
import { DEFAULT_DOMAIN } from '../images/reference.js';

/** The host dockerd talks to for Docker Hub. */
export const HUB_ENDPOINT = 'registry-1.docker.io';

/** Where a registry domain is served: its host[:port] and whether insecure transports are allowed. */
export interface Endpoint {
  /** The domain as written in image references (`docker.io`, `127.0.0.1:5000`). */
  domain: string;
  /** host[:port] to connect to. */
  host: string;
  insecure: boolean;
}

interface Cidr {
  base: bigint;
  bits: number;
  v6: boolean;
}

function ipToBig(ip: string): { v: bigint; v6: boolean } | undefined {
  if (net.isIPv4(ip)) return { v: ip.split('.').reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n), v6: false };
  if (!net.isIPv6(ip)) return undefined;
  // Expand `::` and an embedded IPv4 tail into eight 16-bit groups.
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = ipToBig(v4[1]!)!.v;
    s = `${s.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { v: groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n), v6: true };
}

function parseCidr(s: string): Cidr | undefined {
  const m = /^(.+)\/(\d+)$/.exec(s);
  if (!m) return undefined;
  const ip = ipToBig(m[1]!);
  const bits = Number(m[2]);
  if (!ip || bits > (ip.v6 ? 128 : 32)) return undefined;
  return { base: ip.v, bits, v6: ip.v6 };
}

function inCidr(c: Cidr, ip: string): boolean {
  const a = ipToBig(ip);
  if (!a || a.v6 !== c.v6) return false;
  const width = BigInt(c.v6 ? 128 : 32);
  const shift = width - BigInt(c.bits);
  return a.v >> shift === c.base >> shift;
}

/** The host part of `host[:port]` (brackets of an IPv6 literal removed). */
export function hostOnly(hostPort: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hostPort);
  if (v6) return v6[1]!;
  const i = hostPort.lastIndexOf(':');
  return i > 0 && !hostPort.slice(0, i).includes(':') ? hostPort.slice(0, i) : hostPort;
}

/** The daemon's registry settings (`--insecure-registry`). */
export class RegistryHosts {
  private readonly names = new Set<string>();
  private readonly cidrs: Cidr[] = [];

  /** `insecure`: the `--insecure-registry` values; a malformed CIDR is InvalidArgument. */
  constructor(readonly insecure: string[] = []) {
    for (const raw of insecure) {
      const v = raw.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      if (/\/\d+$/.test(v)) {
        const c = parseCidr(v);
        if (!c) throw invalidArgument(`insecure registry ${raw} is not a valid CIDR`);
        this.cidrs.push(c);
      } else {
        if (!v || v.includes('/')) throw invalidArgument(`insecure registry ${raw} should not contain '/'`);
        this.names.add(v.toLowerCase());
      }
    }
  }

  /** True when `hostPort` may be reached over plain HTTP. */
  isInsecure(hostPort: string): boolean {
    const hp = hostPort.toLowerCase();
    const host = hostOnly(hp);
    if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
    if (net.isIPv4(host) && host.startsWith('127.')) return true;
    if (this.names.has(hp) || this.names.has(host)) return true;
    return net.isIP(host) !== 0 && this.cidrs.some((c) => inCidr(c, host));
  }

  /** The endpoint serving `domain`. */
  endpoint(domain: string): Endpoint {
    const host = domain === DEFAULT_DOMAIN ? HUB_ENDPOINT : domain;
    return { domain, host, insecure: domain !== DEFAULT_DOMAIN && this.isInsecure(host) };
  }

  /** `/info`'s RegistryConfig (docker info lists the insecure registries). */
  info(): object {
    const cidrs = ['127.0.0.0/8', '::1/128', ...this.insecure.filter((s) => /\/\d+$/.test(s))];
    const indexConfigs: Record<string, object> = {
      'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true },
    };
    for (const n of this.names) indexConfigs[n] = { Name: n, Mirrors: [], Secure: false, Official: false };
    return { IndexConfigs: indexConfigs, InsecureRegistryCIDRs: cidrs, Mirrors: [] };
  }
}
