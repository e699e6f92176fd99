/**
 * One daemon per data root and exec root: a second daemon on the same roots would fight the
 * first over containers, mounts and runtime state. Like dockerd's pid file, a live owner
 * refuses the start; a stale file (its process gone) is taken over.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { failedPrecondition } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/fsutil.js';

function isLiveDaemon(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('daemon');
  } catch {
    return false;
  }
}

/** Claims `files` for this process or throws naming the one a running daemon holds. */
export async function claimPidFiles(files: string[]): Promise<void> {
  for (const file of files) {
    const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    if (isLiveDaemon(pid)) throw failedPrecondition(`pid file found, ensure berth is not running or delete ${file} (held by process ${pid})`);
  }
  for (const file of files) await writeFileAtomic(file, `${process.pid}\n`, 0o644);
}

/** Releases the pid files if they are still ours. */
export async function releasePidFiles(files: string[]): Promise<void> {
  for (const file of files) {
    const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    if (pid === process.pid) await fs.rm(file, { force: true });
  }
}
