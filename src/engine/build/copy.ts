/**
 * COPY and ADD (lecture concept: files from the build context — or from another stage — become a
 * layer of the image). The rules are the legacy builder's: sources are relative to the context
 * (a leading `/` or `./` means the same), may use filepath.Match wildcards, and a top-level
 * symlink is followed; a directory source copies its contents; several sources need a
 * destination ending in `/`; a relative destination starts at WORKDIR; a file goes into an existing
 * directory (or one named with a trailing `/`) under its own name. Copies belong to root unless
 * `--chown` names a user (looked up in the image's /etc/passwd) — except `COPY --from` without
 * `--chown`, which keeps owners. ADD unpacks a local tar (plain or gzip) instead of copying it.
 *
 * The writes go through the `docker cp` extractor into the step's private mount, so nothing is
 * ever written through a symlink the image placed on the way.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Host } from '../../host/host.js';
import { BerthError, invalidArgument, notFound, notImplemented } from '../../lib/errors.js';
import { packTree } from '../../lib/tar-tree.js';
import { resolveInRoot } from '../snapshots/scoped.js';
import { extractArchive } from '../snapshots/unpack.js';
import type { BuildContext } from './context.js';

export interface CopySource {
  /** Host path of what is copied (a top-level symlink already followed). */
  abs: string;
  /** The source as named (its base name names the copy). */
  name: string;
  isDir: boolean;
  /** Never unpacked, even by ADD (heredoc contents). */
  noDecompress?: boolean;
}

export interface Owner {
  uid: number;
  gid: number;
}

const hasWildcards = (p: string) => /(^|[^\\])[*?[]/.test(p);

/** Go's filepath.Match on slash-separated paths, as a regular expression. */
function matchRegex(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument('syntax error in pattern');
      const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += body.startsWith('^') ? `[^/${body.slice(1)}]` : `[${body}]`;
      i = end;
    } else re += c.replace(/[.+()|{}$^\]]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's');
}

/** `multi:<sum>` of several sources' hashes, as Docker keys a COPY of more than one. */
function combined(hashes: string[]): string {
  return hashes.length === 1 ? hashes[0]! : `multi:${createHash('sha256').update(hashes.join(',')).digest('hex')}`;
}

/**
 * Finds the sources of a COPY/ADD in `ctx` and the hash that keys the step in the cache. `fromImage`
 * words a missing source as Docker does for `--from`.
 */
export async function collectSources(ctx: BuildContext, names: string[], cmd: string, fromImage = false): Promise<{ sources: CopySource[]; hash: string }> {
  const sources: CopySource[] = [];
  const hashes: string[] = [];
  const one = async (name: string) => {
    const r = await ctx.resolve(name).catch((err: unknown) => {
      if (err instanceof BerthError && err.kind === 'NotFound') return { comps: [], exists: false, isDir: false };
      throw err;
    });
    if (!r.exists) {
      const what = `stat ${name}: file does not exist`;
      throw notFound(fromImage ? what : `file not found in build context or excluded by .dockerignore: ${what}`);
    }
    sources.push({ abs: ctx.abs(r.comps), name, isDir: r.isDir });
    hashes.push(await ctx.hash(r.comps));
  };
  for (const orig of names) {
    if (/^https?:\/\//.test(orig)) {
      if (cmd === 'COPY') throw invalidArgument('source can\'t be a URL for COPY');
      throw notImplemented(`ADD from a URL is not implemented: ${orig}`);
    }
    const name = orig.replace(/^\/+/, '').replace(/^\.\//, '');
    if (!hasWildcards(name)) {
      await one(name);
      continue;
    }
    const re = matchRegex(name);
    for (const rel of await ctx.allPaths()) if (re.test(rel)) await one(rel);
  }
  if (sources.length === 0) throw invalidArgument('no source files were specified');
  return { sources, hash: combined(hashes) };
}

/** A relative destination starts at the working directory; a trailing `/` is kept. */
export function normalizeDest(workdir: string, dest: string): string {
  if (dest.startsWith('/')) return dest;
  const joined = path.posix.join('/', workdir || '/', dest);
  return dest.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}

/** Reads a file of the image (symlinks followed inside it), or undefined. */
async function readInImage(root: string, p: string): Promise<string | undefined> {
  const r = await resolveInRoot(root, p, { followFinal: true }).catch(() => undefined);
  if (!r?.exists || r.isDir) return undefined;
  return fs.readFile(path.join(root, ...r.comps), 'utf8').catch(() => undefined);
}

/** `--chown=user[:group]` against the image's /etc/passwd and /etc/group (a missing group means the user's name). */
export async function chownIds(root: string, spec: string): Promise<Owner> {
  const parts = spec.split(':');
  if (parts.length > 2) throw invalidArgument(`invalid chown string format: ${spec}`);
  const [user, group = parts[0]!] = parts as [string, string?];
  const lookup = async (file: string, name: string, what: 'uid' | 'gid', kind: string): Promise<number> => {
    if (/^\d+$/.test(name)) return Number(name);
    const row = (await readInImage(root, file))?.split('\n').map((l) => l.split(':')).find((r) => r[0] === name);
    if (!row || !/^\d+$/.test(row[2] ?? '')) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: can't find ${what} for ${kind} ${name}: no such ${kind}: ${name}`);
    return Number(row[2]);
  };
  return { uid: await lookup('etc/passwd', user, 'uid', 'user'), gid: await lookup('etc/group', group, 'gid', 'group') };
}

/** True when `file` is a tar, plain or gzip-compressed (ADD unpacks those). */
async function isTar(file: string): Promise<boolean> {
  const fh = await fs.open(file, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(64 << 10);
    head = buf.subarray(0, (await fh.read(buf, 0, buf.length, 0)).bytesRead);
  } finally {
    await fh.close();
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
  }
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

/** Makes directory `p` (and its parents) inside `root`; new ones get `owner`. Returns its components. */
async function ensureDir(root: string, p: string, owner?: Owner): Promise<string[]> {
  const r = await resolveInRoot(root, p, {
    followFinal: true,
    mkdir: async (abs) => {
      await fs.mkdir(abs, 0o755);
      if (owner) await fs.chown(abs, owner.uid, owner.gid);
    },
  });
  if (!r.isDir) throw invalidArgument(`mkdir ${p}: not a directory`);
  return r.comps;
}

export interface CopyOptions {
  /** Owner of every copy; undefined keeps the source's owners. */
  owner?: Owner;
  /** ADD: unpack local tars. */
  decompress: boolean;
  workdir: string;
}

/** Copies `sources` to `dest` inside the mounted root `root`. */
export async function copyInto(root: string, host: Host, sources: CopySource[], dest: string, o: CopyOptions): Promise<void> {
  const destPath = normalizeDest(o.workdir, dest);
  const bare = destPath.length > 1 ? destPath.replace(/\/+$/, '') || '/' : destPath;
  for (const src of sources) {
    if (src.isDir) {
      const comps = await ensureDir(root, bare, o.owner);
      await extractArchive(packTree(src.abs, '.'), root, comps, host, o.owner ? { owner: o.owner } : {});
      continue;
    }
    if (o.decompress && !src.noDecompress && (await isTar(src.abs))) {
      // An unpacked archive keeps its own owners, as Docker's ADD does.
      await extractArchive(createReadStream(src.abs), root, await ensureDir(root, bare), host);
      continue;
    }
    const existing = await resolveInRoot(root, bare, { followFinal: true }).catch(() => undefined);
    const intoDir = (existing?.exists && existing.isDir) || destPath.endsWith('/');
    const parent = intoDir ? bare : path.posix.dirname(bare);
    const base = intoDir ? path.posix.basename(src.name) : path.posix.basename(bare);
    const comps = await ensureDir(root, parent, o.owner);
    await extractArchive(packTree(src.abs, base), root, comps, host, o.owner ? { owner: o.owner } : {});
  }
}
