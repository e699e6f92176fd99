/**
 * Resolving a path inside a root file system the way the kernel resolves it inside a chroot
 * (openat2's RESOLVE_IN_ROOT, Go's securejoin): each component is looked up with lstat, and a
 * symlink met on the way is re-interpreted relative to the ROOT — an absolute target restarts at
 * the root and `..` never climbs above it — so the result always names something beneath the
 * root, whatever the links say. Shared by layer extraction and `docker cp` (notes/security.md:
 * CVE-2018-15664, CVE-2019-10152 resolved symlinks in the host's context instead).
 *
 * Node has no openat()/openat2(), so this is a walk of lstat calls on path strings. It is only
 * race-free while nothing else changes the tree: a staging directory private to the daemon
 * (layer unpack) or a container that is stopped or frozen for the operation (cp). Callers
 * guarantee that; this module cannot.
 */
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument, notFound } from '../../lib/errors.js';

/** Like the kernel's limit on symlinks followed in one lookup (ELOOP). */
export const MAX_SYMLINKS = 40;

export interface ResolveOptions {
  /**
   * Follow a symlink in the final component as well. Without it the final component is taken
   * as it is (lstat); a trailing `/` or `/.` still makes the kernel, and us, follow it.
   */
  followFinal?: boolean;
  /** Creates every missing component as a directory (layer entries may omit their parents). */
  mkdir?: (abs: string) => Promise<void>;
  /** Past a missing or non-directory component, continue lexically (Docker's LinkTarget). */
  lexical?: boolean;
  /** Real directories known from earlier calls (components joined by `/`); filled as we go. */
  known?: Set<string>;
}

export interface Resolved {
  /** The real path as components below the root: no `.`, `..`, or symlink except an unfollowed final one. */
  comps: string[];
  /** True when the result exists. */
  exists: boolean;
  /** True when the result is a directory (never true for a symlink). */
  isDir: boolean;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Appends `rest` to `cur` without looking at the disk (`..` stops at the root). */
function lexicalTail(cur: string[], rest: string[]): string[] {
  const out = [...cur];
  for (const c of rest) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

/**
 * Resolves `p` (a `/`-separated path, absolute or not, or its components) inside `root`.
 * A missing intermediate component is NotFound and a non-directory one InvalidArgument (unless
 * `mkdir` or `lexical` say otherwise); a missing final component gives `exists: false`.
 */
export async function resolveInRoot(root: string, p: string | readonly string[], o: ResolveOptions = {}): Promise<Resolved> {
  const shown = `/${(typeof p === 'string' ? p.split('/') : [...p]).filter(Boolean).join('/')}`;
  const queue = typeof p === 'string' ? p.split('/') : [...p];
  const abs = (comps: string[]) => path.join(root, ...comps);
  let cur: string[] = [];
  let isDir = true; // `cur` starts at the root
  let links = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      cur.pop(); // at the root `..` stays at the root, as in a chroot
      isDir = true;
      continue;
    }
    // Trailing `/` or `.` left in the queue make this component an intermediate one, as for the kernel.
    const final = queue.length === 0;
    const next = [...cur, c];
    const key = next.join('/');
    if (o.known?.has(key)) {
      cur = next;
      isDir = true;
      continue;
    }
    const st = await lstatOrUndefined(abs(next));
    if (!st) {
      if (o.mkdir) {
        await o.mkdir(abs(next));
        o.known?.add(key);
        cur = next;
        isDir = true;
        continue;
      }
      if (o.lexical) return { comps: lexicalTail(next, queue), exists: false, isDir: false };
      if (final) return { comps: next, exists: false, isDir: false };
      throw notFound(`${shown}: no such file or directory`);
    }
    if (st.isSymbolicLink() && (!final || o.followFinal)) {
      if (++links > MAX_SYMLINKS) throw invalidArgument(`${shown}: too many levels of symbolic links`);
      const target = await fs.readlink(abs(next));
      // The link's target is data from the container or layer: it is read relative to the root.
      if (target.startsWith('/')) cur = [];
      isDir = true;
      queue.unshift(...target.split('/'));
      continue;
    }
    if (!final && !st.isDirectory()) {
      if (o.lexical) return { comps: lexicalTail(next, queue), exists: false, isDir: false };
      throw invalidArgument(`${shown}: not a directory`);
    }
    cur = next;
    isDir = st.isDirectory();
    if (isDir) o.known?.add(key);
  }
  return { comps: cur, exists: true, isDir };
}

/** The host path of resolved components. */
export function hostPath(root: string, comps: readonly string[]): string {
  return path.join(root, ...comps);
}
