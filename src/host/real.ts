/** The real `Host`: spawns mount/umount/mknod/setfattr and signals processes. */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { internal } from '../lib/errors.js';
import type { Host } from './host.js';
import { runProgram, streamProgram } from './process.js';

async function must(file: string, args: string[], what: string): Promise<void> {
  const r = await runProgram(file, args);
  if (r.code !== 0) throw internal(`${what}: ${r.stderr.trim() || `${file} exited ${r.code}`}`);
}

async function mountedTargets(): Promise<Set<string>> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  // Field 5 is the mount point, with spaces and specials octal-escaped.
  return new Set(text.split('\n').filter(Boolean).map((l) => l.split(' ')[4]!.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)))));
}

export const realHost: Host = {
  run: runProgram,
  stream: streamProgram,
  async mountOverlay(lower, upper, work, target) {
    // Overlay needs at least one lower dir; an image with no layers gets an empty one from the caller.
    const opts = `lowerdir=${lower.join(':')},upperdir=${upper},workdir=${work},index=off`;
    await must('mount', ['-t', 'overlay', 'overlay', '-o', opts, target], `mount overlay on ${target}`);
  },
  async unmount(target) {
    if (!(await mountedTargets()).has(target)) return;
    const r = await runProgram('umount', [target]);
    if (r.code !== 0) await must('umount', ['-l', target], `unmount ${target}`);
  },
  async isMounted(target) {
    return (await mountedTargets()).has(target);
  },
  async makeWhiteout(path) {
    await must('mknod', [path, 'c', '0', '0'], `whiteout ${path}`);
  },
  async setOpaque(dir) {
    await must('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', dir], `opaque ${dir}`);
  },
  async privateMountDir(dir) {
    if ((await mountedTargets()).has(dir)) return;
    await must('mount', ['--bind', '--make-private', dir, dir], `private mount ${dir}`);
  },
  async createNetns(file) {
    await fs.writeFile(file, '');
    // unshare binds the new namespace onto `file`, then runs `ip` inside it.
    await must('unshare', [`--net=${file}`, 'ip', 'link', 'set', 'lo', 'up'], 'create network namespace');
  },
  async removeNetns(file) {
    await runProgram('umount', [file]);
    await fs.rm(file, { force: true });
  },
  kill(pid, signal) {
    // pid 0 and negative pids address whole process groups: never what a caller means here.
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  },
  alive(pid) {
    // A zombie still answers kill(pid, 0), so read its state: 'Z' (zombie) and 'X' (dead) are gone.
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  },
};
