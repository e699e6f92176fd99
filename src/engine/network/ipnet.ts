/** IPv4 addresses and CIDR subnets as numbers: parsing, overlap, and the n-th host. */
import { invalidArgument } from '../../lib/errors.js';

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw invalidArgument(`invalid IP address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export interface Cidr {
  base: number; // network address
  bits: number;
}

export function parseCidr(s: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m || Number(m[2]) > 32) throw invalidArgument(`invalid CIDR address: ${s}`);
  const bits = Number(m[2]);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(ipToInt(m[1]!) / size) * size, bits };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

export function contains(c: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= c.base && n < c.base + cidrSize(c);
}

/** The `n`-th address of the subnet (1 = first host, Docker's default gateway). */
export function nthHost(c: Cidr, n: number): string {
  return intToIp(c.base + n);
}
