/**
 * Where a mount lands inside a container's root file system. A destination such as `/data` may
 * be a symlink in the image (`/data -> /etc`, or `-> ../../../../host/path`); it must be
 * resolved the way the kernel resolves it *inside* the container — absolute targets restart at
 * the container's root and `..` never climbs above it — never in the host's context, or the
 * daemon would copy host files into a volume or point a mount at a host path (Docker's
 * FollowSymlinkInScope; notes/security.md, CVE-2021-30465 class).
 *
 * Node has no openat2(RESOLVE_IN_ROOT), so this walks with lstat. It runs while the container
 * is not running (at start, before its process exists), so its own files cannot change under
 * the walk; runc resolves the destination once more, scoped as well, when it mounts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument } from '../../lib/errors.js';

const MAX_LINKS = 255;

/**
 * Resolves `dest` inside `root`; returns the container path with every symlink resolved
 * (components that do not exist are kept as written: runc creates them beneath the root).
 */
export async function resolveInRoot(root: string, dest: string): Promise<string> {
  const queue = dest.split('/');
  const done: string[] = [];
  let links = 0;
  let missing = false;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    if (missing) {
      done.push(c);
      continue;
    }
    let st;
    try {
      st = await fs.lstat(path.join(root, ...done, c));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      // Nothing below a missing component exists either; the rest is lexical.
      missing = true;
      done.push(c);
      continue;
    }
    if (!st.isSymbolicLink()) {
      done.push(c);
      continue;
    }
    if (++links > MAX_LINKS) throw invalidArgument(`too many links resolving ${dest} in the container`);
    const target = await fs.readlink(path.join(root, ...done, c));
    if (target.startsWith('/')) done.length = 0;
    queue.unshift(...target.split('/'));
  }
  return `/${done.join('/')}`;
}
