/**
 * Choosing a subnet for a network that does not collide with anything on the host — routes,
 * other networks of this daemon, and networks of other Berth daemons running side by side.
 * Docker's default pools: 172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/20 … 192.168.240.0/20.
 *
 * Two daemons may pick at the same moment, so a choice is claimed by creating a directory
 * named after the subnet in a host-wide claims directory (mkdir is atomic); the claim names
 * its owner and is dropped when the network is removed, or found stale when its owner's
 * network record is gone.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { routedSubnets } from '../../host/net.js';
import { failedPrecondition } from '../../lib/errors.js';
import { formatCidr, overlaps, parseCidr, type Cidr } from './ipnet.js';

export const CLAIMS_DIR = '/run/berth-subnets';

function pool(): Cidr[] {
  const out: Cidr[] = [];
  for (let b = 17; b <= 31; b++) out.push(parseCidr(`172.${b}.0.0/16`));
  for (let c = 0; c < 256; c += 16) out.push(parseCidr(`192.168.${c}.0/20`));
  return out;
}

function claimName(c: Cidr): string {
  return formatCidr(c).replace('/', '_');
}

/**
 * A claim is stale when the record it names no longer exists. A fresh claim names a record
 * that is written just after it (and may have no owner file yet), so only old claims count.
 */
async function staleClaim(dir: string): Promise<boolean> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st || Date.now() - st.mtimeMs < 30_000) return false;
  const owner = await fs.readFile(path.join(dir, 'owner'), 'utf8').catch(() => undefined);
  if (owner === undefined) return true;
  return !(await fs.access(owner.trim()).then(() => true, () => false));
}

/** Claims `c` for the network whose record file is `ownerFile`; false when taken. */
export async function claim(c: Cidr, ownerFile: string): Promise<boolean> {
  await fs.mkdir(CLAIMS_DIR, { recursive: true });
  const dir = path.join(CLAIMS_DIR, claimName(c));
  try {
    await fs.mkdir(dir);
  } catch {
    const owner = await fs.readFile(path.join(dir, 'owner'), 'utf8').catch(() => '');
    if (owner.trim() === ownerFile) return true;
    if (!(await staleClaim(dir))) return false;
    await fs.rm(dir, { recursive: true, force: true });
    return claim(c, ownerFile);
  }
  await fs.writeFile(path.join(dir, 'owner'), ownerFile);
  return true;
}

/** Drops the claim on `subnet` if it is `ownerFile`'s (never another daemon's). */
export async function release(subnet: string, ownerFile: string): Promise<void> {
  const dir = path.join(CLAIMS_DIR, claimName(parseCidr(subnet)));
  const owner = await fs.readFile(path.join(dir, 'owner'), 'utf8').catch(() => undefined);
  if (owner === undefined || owner.trim() === ownerFile) await fs.rm(dir, { recursive: true, force: true });
}

/** Picks and claims the first free subnet of the default pools. */
export async function allocateSubnet(taken: string[], ownerFile: string): Promise<string> {
  const busy = [...taken, ...(await routedSubnets())].map(parseCidr);
  for (const c of pool()) {
    if (busy.some((b) => overlaps(b, c))) continue;
    if (await claim(c, ownerFile)) return formatCidr(c);
  }
  throw failedPrecondition('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}
