/**
 * `docker diff` and `SizeRw` over a container's writable overlay layer (lecture concept: the
 * container layer holds only what the container changed; deletions are whiteouts).
 *
 * The rules follow Docker's overlay change walk: a whiteout (char device 0/0) or an opaque
 * directory is a deletion (2); anything else is an addition (1) unless the path exists in a
 * lower layer, then a modification (0); a directory identical to its lower copy is not a change
 * by itself, but the parent of every addition or deletion is reported as modified.
 */
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Host } from '../../host/host.js';

/** One `docker diff` line: 0 modified, 1 added, 2 deleted. */
export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** Directories under `upper` marked opaque (trusted.overlay.opaque=y). */
export async function opaqueDirs(upper: string, host: Host): Promise<Set<string>> {
  // Only directories can be opaque (never the upper root): with none, there is nothing to ask.
  const top = await fs.readdir(upper, { withFileTypes: true }).catch(() => []);
  if (!top.some((e) => e.isDirectory())) return new Set();
  // Node cannot read xattrs; getfattr prints only files that carry the matching attribute.
  let out = '';
  try {
    const r = await host.run('getfattr', ['-R', '-d', '--absolute-names', '-m', '^trusted\\.overlay\\.opaque$', upper]);
    out = r.stdout;
  } catch {
    // getfattr missing (package `attr`): opaque directories then show as modified, not deleted.
    return new Set();
  }
  const found = new Set<string>();
  let file: string | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('# file: ')) file = line.slice(8).replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    else if (file && /^trusted\.overlay\.opaque="y"$/.test(line.trim())) found.add(file);
  }
  return found;
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fs.lstat(p);
  } catch {
    return null;
  }
}

/** Computes the changes in `upper` against `lowers` (any order). */
export async function changes(upper: string, lowers: string[], host: Host): Promise<Change[]> {
  const opaque = await opaqueDirs(upper, host);
  const out: Change[] = [];
  const changedDirs = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    const names = (await fs.readdir(path.join(upper, rel)).catch(() => [] as string[])).sort();
    for (const name of names) {
      const childRel = rel === '/' ? `/${name}` : `${rel}/${name}`;
      const abs = path.join(upper, childRel);
      const st = await fs.lstat(abs);
      let kind: Change['Kind'];
      let skip = false;
      if (isWhiteout(st) || (st.isDirectory() && opaque.has(abs))) kind = 2;
      else {
        kind = 1;
        for (const lower of lowers) {
          const ls = await lstatOrNull(path.join(lower, childRel));
          if (!ls) continue;
          if (ls.isDirectory() && st.isDirectory() && ls.mode === st.mode && ls.size === st.size && ls.mtimeMs === st.mtimeMs) skip = true;
          kind = 0;
          break;
        }
      }
      if (skip) {
        // An untouched directory: not a change itself, but descend (a child may be one).
        await walk(childRel);
        continue;
      }
      if (st.isDirectory()) changedDirs.add(childRel);
      if (kind !== 0) {
        const parent = path.posix.dirname(childRel);
        if (parent !== '/' && !changedDirs.has(parent)) {
          out.push({ Path: parent, Kind: 0 });
          changedDirs.add(parent);
        }
      }
      out.push({ Path: childRel, Kind: kind });
      if (st.isDirectory()) await walk(childRel);
    }
  };
  await walk('/');
  return out;
}

/** Bytes in a directory tree: non-directory sizes, hardlinked inodes counted once. */
export async function dirUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await fs.lstat(p).catch(() => null);
      if (!st) continue;
      const id = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
