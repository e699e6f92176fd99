/**
 * Host effects of volumes and container mounts: mounting a volume's file system (the `local`
 * driver's `type`/`device`/`o` options), creating a missing bind-mount source on the host, and
 * copying an image directory into a fresh volume. Kept apart from `Host` so that the volume code
 * depends on these few operations only; `realMountHost` is the real one, unit tests use
 * `RecordingMountHost` from `fake-mounts.ts`.
 */
import fs from 'node:fs/promises';
import { internal } from '../lib/errors.js';
import { runProgram } from './process.js';
import { realHost } from './real.js';

export interface MountHost {
  /** `mount -t type -o options device target` (options may be empty). */
  mount(type: string, device: string, target: string, options: string): Promise<void>;
  /** Unmounts `target` (lazily if busy); succeeds when nothing is mounted there. */
  unmount(target: string): Promise<void>;
  /** True when `target` is a mount point. */
  isMounted(target: string): Promise<boolean>;
  /** `mkdir -p` of a host path (a `-v /host/dir:/path` source) unless something exists there (a file is bound as is). */
  makeDirs(dir: string): Promise<void>;
  /**
   * Copies the contents of directory `src` into directory `dst`, preserving owners, modes,
   * times, xattrs, links and device nodes; symlinks are copied as links, never followed. `dst`
   * takes `src`'s own owner and mode, as Docker gives a fresh volume the image directory's.
   */
  copyTree(src: string, dst: string): Promise<void>;
}

async function must(file: string, args: string[], what: string): Promise<void> {
  const r = await runProgram(file, args);
  if (r.code !== 0) throw internal(`${what}: ${r.stderr.trim() || `${file} exited ${r.code}`}`);
}

export const realMountHost: MountHost = {
  async mount(type, device, target, options) {
    // `--` ends mount's options, so a device spelled like a flag stays a device.
    const args = ['-t', type, ...(options ? ['-o', options] : []), '--', device, target];
    await must('mount', args, `failed to mount local volume: mount ${device}:${target}`);
  },
  unmount: (target) => realHost.unmount(target),
  isMounted: (target) => realHost.isMounted(target),
  async makeDirs(dir) {
    if (await fs.stat(dir).then(() => true, () => false)) return;
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  },
  async copyTree(src, dst) {
    // -a: recursive, no dereferencing, all attributes; -T: `dst` is the directory itself.
    await must('cp', ['-a', '-T', '--', src, dst], `copy ${src} to ${dst}`);
  },
};
