/**
 * Leaves the host as the benchmark found it: every process, runc container and mount that a
 * benchmark daemon left under its temp dir is removed, then the dir itself.
 *
 * Used after a normal run, after a failure and on Ctrl-C. Each step is best effort and says what
 * it could not undo instead of throwing, so one stuck mount does not leave processes running.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listProcs, run, signal, waitGone } from './proc.js';

/** Processes (not zombies) whose command line mentions `dir`: shims, conmon, containerd, runc. */
export function processesUnder(dir: string): number[] {
  return listProcs()
    .filter((p) => p.pid !== process.pid && p.state !== 'Z' && p.cmdline.includes(dir))
    .map((p) => p.pid);
}

/** Stops `pid` with SIGTERM, then SIGKILL after `graceMs`; true when it took the SIGKILL. */
export async function stopProcess(pid: number, graceMs: number): Promise<boolean> {
  signal(pid, 'SIGTERM');
  if (await waitGone(pid, graceMs)) return false;
  signal(pid, 'SIGKILL');
  await waitGone(pid, 5000);
  return true;
}

/**
 * runc state roots under `dir` (a directory whose subdirectories hold `state.json`), so that
 * containers a crashed daemon left behind can be deleted with `runc --root R delete --force`.
 */
function runcRoots(dir: string, depth = 6): string[] {
  const roots: string[] = [];
  const walk = (d: string, left: number): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    const subdirs = entries.filter((e) => e.isDirectory() && !e.isSymbolicLink());
    if (subdirs.some((e) => existsSync(join(d, e.name, 'state.json')))) {
      roots.push(d);
      return;
    }
    // Never descend into overlay filesystems or snapshots: they can be huge and hold no state.
    if (left === 0 || /overlay|snapshots|diff|merged|rootfs|layers/.test(d)) return;
    for (const e of subdirs) walk(join(d, e.name), left - 1);
  };
  walk(dir, depth);
  return roots;
}

/** Deletes every runc container recorded under `dir` (kills its processes first). */
export async function deleteRuncContainers(dir: string): Promise<string[]> {
  const deleted: string[] = [];
  for (const root of runcRoots(dir)) {
    for (const id of readdirSync(root)) {
      if (!existsSync(join(root, id, 'state.json'))) continue;
      const r = await run('runc', ['--root', root, 'delete', '--force', id], { timeoutMs: 20_000 });
      if (r.code === 0) deleted.push(id.slice(0, 12));
    }
  }
  return deleted;
}

/** Mount points at or below `dir`, deepest first (decoded from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  const decode = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => decode(l.split(' ')[4] ?? ''))
    .filter((p) => p === dir || p.startsWith(dir + '/'));
  return [...new Set(points)].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/** Unmounts everything under `dir` (lazily if a plain unmount fails); returns what is still mounted. */
export async function unmountAll(dir: string): Promise<string[]> {
  for (let pass = 0; pass < 5; pass++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return [];
    for (const p of points) {
      const r = await run('umount', [p]);
      if (r.code !== 0) await run('umount', ['-l', p]);
    }
  }
  return mountsUnder(dir);
}

/**
 * Full clean-up of a temp tree: kill leftover processes that mention it, delete leftover runc
 * containers, unmount, remove. Returns human-readable problems (empty when all went well).
 */
export async function cleanTree(dir: string, keep: boolean): Promise<string[]> {
  const problems: string[] = [];
  if (!existsSync(dir)) return problems;
  const deleted = await deleteRuncContainers(dir);
  if (deleted.length) problems.push(`deleted ${deleted.length} leftover runc container(s)`);
  for (let round = 0; round < 2; round++) {
    const pids = processesUnder(dir);
    if (pids.length === 0) break;
    if (round === 0) problems.push(`killed ${pids.length} leftover process(es) under ${dir}`);
    for (const pid of pids) signal(pid, 'SIGKILL');
    await Promise.all(pids.map((p) => waitGone(p, 5000)));
  }
  const still = await unmountAll(dir);
  if (still.length) {
    problems.push(`still mounted, so ${dir} was not removed: ${still.join(', ')}`);
    return problems;
  }
  if (!keep) {
    try {
      if (statSync(dir).isDirectory()) rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      problems.push(`could not remove ${dir}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** Directories dockerd and containerd-shim create at fixed paths outside our roots, deepest first. */
const FIXED_DIRS = ['/run/containerd/s', '/run/containerd', '/run/docker/plugins', '/run/docker'];

/** Which of the fixed directories exist now (call before starting the daemons). */
export function fixedDirsBefore(): Set<string> {
  return new Set(FIXED_DIRS.filter((d) => existsSync(d)));
}

/** Removes the fixed directories that did not exist before, only if they are empty. */
export function removeFixedDirs(before: Set<string>): string[] {
  const problems: string[] = [];
  for (const d of FIXED_DIRS) {
    if (before.has(d) || !existsSync(d)) continue;
    try {
      rmdirSync(d);
    } catch (e) {
      problems.push(`left ${d} in place: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return problems;
}

/**
 * Removes cgroup `name` (e.g. "/berth-bench-docker-abc") and its empty children from every
 * mounted hierarchy (v1 controllers and v2). rmdir only: a cgroup that still has processes stays,
 * and is reported.
 */
export function removeCgroup(name: string): string[] {
  const problems: string[] = [];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.includes('cgroup') || f.includes('cgroup2'))
    .map((f) => f[4]!);
  for (const m of new Set(mounts)) {
    const top = join(m, name);
    if (!existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      dirs.push(d);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    };
    try {
      walk(top);
    } catch {
      continue;
    }
    for (const d of dirs.reverse()) {
      try {
        rmdirSync(d);
      } catch (e) {
        problems.push(`cgroup ${d} not removed: ${(e as NodeJS.ErrnoException).code}`);
      }
    }
  }
  return problems;
}
