/**
 * The capabilities this process may hand to containers: its own bounding set. A sandboxed
 * host can lack some (this kind of VM has no CAP_SYS_RESOURCE), and runc refuses to grant a
 * capability outside the bounding set, so `--privileged` means "all that we hold".
 */
import { readFileSync } from 'node:fs';

let cached: number[] | undefined;

/** Capability numbers in this process's bounding set. */
export function boundingCapNumbers(): number[] {
  if (cached) return cached;
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  const mask = BigInt(`0x${m?.[1] ?? '0'}`);
  cached = [];
  for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) cached.push(i);
  return cached;
}
