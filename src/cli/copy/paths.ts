/**
 * The client half of `docker cp`'s path rules (docker/cli cp.go and go-archive copy.go): which
 * side of `:` names a container, what the local source and destination are, and how archive
 * entries are renamed so that `cp a b` means what `cp -a` would locally — `b` is created as a
 * copy of `a`, or `a` lands inside `b` when `b` is a directory, and `a/.` copies contents.
 */
import fs from 'node:fs/promises';
import * as gopath from '../../lib/gopath.js';

/** What a copy source or destination is (go-archive CopyInfo). */
export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** The name the source's entries must carry instead of the resolved one ('' for none). */
  rebaseName: string;
}

/** How an archive's entries must be renamed before extraction: `from` → `to` at the start. */
export type Rename = [from: string, to: string];

/** Applies go-archive's RebaseArchiveEntries rule to one entry name. */
export function rebase(name: string, [from, to]: Rename): string {
  // The root directory's entries are `/x`: an empty `from` puts `to` in front instead.
  return gopath.replaceFirst(name, from === '/' ? '' : from, to);
}

/** Go's wording for a failed system call on a path, e.g. `lstat /x: no such file or directory`. */
export function goPathError(op: string, p: string, err: unknown): Error {
  const texts: Record<string, string> = {
    ENOENT: 'no such file or directory',
    ENOTDIR: 'not a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ELOOP: 'too many levels of symbolic links',
    EEXIST: 'file exists',
    EISDIR: 'is a directory',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
  };
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return new Error(`${op} ${p}: ${texts[code] ?? (err as Error).message}`);
}

/**
 * Splits a `docker cp` argument into container and path. A local path containing `:` must be
 * written as an absolute or `./` path, as with scp.
 */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (gopath.isAbs(arg)) return { container: '', path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

/** An absolute local path that keeps a trailing `/` or `/.` (they carry meaning). */
export function resolveLocalPath(p: string): string {
  const abs = gopath.clean(gopath.isAbs(p) ? p : `${process.cwd()}/${p}`);
  return gopath.preserveTrailingDotOrSeparator(abs, p);
}

/** Go's filepath.EvalSymlinks, failing like it does (`lstat <first missing>: …`). */
export async function evalSymlinks(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch (err) {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/') || '/';
      const failed = await fs.lstat(prefix).then(() => undefined, (e: unknown) => e);
      if (failed) throw goPathError('lstat', prefix, failed);
    }
    throw goPathError('lstat', p, err);
  }
}

/** go-archive GetRebaseName: the resolved path with `p`'s trailing `/.` or `/`, and the name to keep. */
export function getRebaseName(p: string, resolved: string): [string, string] {
  let out = resolved;
  if (gopath.specifiesCurrentDir(p) && !gopath.specifiesCurrentDir(out)) out += '/.';
  if (gopath.hasTrailingSeparator(p) && !gopath.hasTrailingSeparator(out)) out += '/';
  return [out, gopath.base(p) !== gopath.base(out) ? gopath.base(p) : ''];
}

/** go-archive CopyInfoSourcePath: a local source, symlinks before the last `/` (or all, with -L) resolved. */
export async function copyInfoSourcePath(p: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName = '';
  if (followLink) {
    [resolved, rebaseName] = getRebaseName(p, await evalSymlinks(p));
  } else {
    const [dirPath, basePath] = gopath.split(p);
    resolved = `${await evalSymlinks(dirPath)}/${basePath}`;
    if (gopath.hasTrailingSeparator(p) && gopath.base(p) !== gopath.base(resolved)) rebaseName = gopath.base(p);
  }
  const st = await fs.lstat(resolved).catch((err: unknown) => {
    throw goPathError('lstat', resolved, err);
  });
  return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
}

/**
 * go-archive CopyInfoDestinationPath: a local destination, its symlinks followed (a dangling
 * one names the file to create). A missing destination needs an existing parent directory.
 */
export async function copyInfoDestinationPath(p: string): Promise<CopyInfo> {
  let cur = p;
  let st = await fs.lstat(cur).then((s) => s, (e: NodeJS.ErrnoException) => e);
  for (let n = 0; !(st instanceof Error) && st.isSymbolicLink(); n++) {
    if (n > 10) throw new Error(`too many symlinks in ${p}`);
    const target = await fs.readlink(cur);
    cur = gopath.isAbs(target) ? target : gopath.join(gopath.splitPathDirEntry(cur)[0], target);
    st = await fs.lstat(cur).then((s) => s, (e: NodeJS.ErrnoException) => e);
  }
  if (!(st instanceof Error)) return { path: cur, exists: true, isDir: st.isDirectory(), rebaseName: '' };
  if (st.code !== 'ENOENT') throw goPathError('lstat', cur, st);
  const parent = gopath.splitPathDirEntry(cur)[0];
  const pst = await fs.stat(parent).catch((err: unknown) => {
    throw goPathError('stat', parent, err);
  });
  if (!pst.isDirectory()) throw new Error('not a directory');
  return { path: cur, exists: false, isDir: false, rebaseName: '' };
}

/**
 * go-archive PrepareArchiveCopy: the directory to extract into, and the renaming that makes the
 * archived source arrive under the destination's name when it is not an existing directory.
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dstDir: string; rename?: Rename } {
  const [dstDir, dstBase] = gopath.splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName || gopath.splitPathDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dstDir: dst.path };
  if (dst.exists && src.isDir) throw new Error('cannot copy directory');
  if (!dst.exists && !src.isDir && gopath.assertsDirectory(dst.path)) throw new Error('no such directory');
  return { dstDir, rename: [srcBase, dstBase] };
}

/** Docker's FileMode checks on a destination (`got a device`, `got an irregular file`). */
export function outputModeProblem(goMode: number): string | undefined {
  if (Math.floor(goMode / 2 ** 26) % 2 === 1) return 'got a device';
  if (Math.floor(goMode / 2 ** 19) % 2 === 1) return 'got an irregular file';
  return undefined;
}

/** docker's ValidateOutputPath for a local destination of `cp CONTAINER:SRC DEST`. */
export async function validateOutputPath(p: string): Promise<void> {
  const parent = gopath.dir(gopath.clean(p));
  if (parent !== '' && parent !== '.') {
    const e = await fs.stat(parent).then(() => undefined, (err: NodeJS.ErrnoException) => err);
    if (e?.code === 'ENOENT') throw new Error(`invalid output path: directory "${parent}" does not exist`);
  }
  const st = await fs.stat(p).then((s) => s, (err: NodeJS.ErrnoException) => err);
  if (st instanceof Error) {
    if (st.code === 'ENOENT') return;
    throw goPathError('stat', p, st);
  }
  if (st.isDirectory() || st.isFile()) return;
  if (st.isBlockDevice() || st.isCharacterDevice()) throw new Error(`invalid output path: "${p}" must be a directory or a regular file: got a device`);
}
