/**
 * The stat of a path inside a container, as `docker cp` receives it in the
 * `X-Docker-Container-Path-Stat` header: base64 of Docker's PathStat JSON, with the mode in Go's
 * os.FileMode bits (the docker CLI tests `mode & ModeDir`, `& ModeSymlink`, `& ModeDevice`).
 */
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import * as gopath from '../../lib/gopath.js';
import { notFound, isKind } from '../../lib/errors.js';
import { hostPath, resolveInRoot } from '../snapshots/scoped.js';

/** Docker's container.PathStat. */
export interface PathStat {
  name: string;
  size: number;
  /** Go os.FileMode: type bits in the high bits, permission and set-id bits below. */
  mode: number;
  /** RFC 3339 with nanoseconds, as Go marshals time.Time. */
  mtime: string;
  /** For a symlink: its target fully resolved inside the container (absolute), else empty. */
  linkTarget: string;
}

// Go's os.FileMode bits. Values above 2^31 do not fit JS bitwise operators: sums are used instead.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_NAMED_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHAR_DEVICE = 2 ** 21;
const MODE_STICKY = 2 ** 20;

/** Converts a Unix st_mode into Go's os.FileMode (what os.Lstat reports in dockerd). */
export function goFileMode(stMode: number): number {
  const fmt = stMode & 0o170000;
  let m = stMode & 0o777;
  if (fmt === 0o040000) m += MODE_DIR;
  else if (fmt === 0o120000) m += MODE_SYMLINK;
  else if (fmt === 0o060000) m += MODE_DEVICE;
  else if (fmt === 0o020000) m += MODE_DEVICE + MODE_CHAR_DEVICE;
  else if (fmt === 0o010000) m += MODE_NAMED_PIPE;
  else if (fmt === 0o140000) m += MODE_SOCKET;
  if (stMode & 0o4000) m += MODE_SETUID;
  if (stMode & 0o2000) m += MODE_SETGID;
  if (stMode & 0o1000) m += MODE_STICKY;
  return m;
}

/** True when a Go os.FileMode has ModeDir. */
export const isGoDir = (mode: number): boolean => Math.floor(mode / MODE_DIR) % 2 === 1;

/** Go's RFC3339Nano for a UTC instant given in nanoseconds: trailing zeros of the fraction dropped. */
export function rfc3339Nano(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const iso = new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const f = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${iso}${f}Z`;
}

/** Docker's wording for a path that does not exist in the container. */
export function fileNotFound(p: string, ref: string): Error {
  return notFound(`Could not find the file ${p} in container ${ref}`);
}

/** Encodes a stat for the `X-Docker-Container-Path-Stat` header. */
export function statHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

/**
 * Stats `p` inside the root `root` (which must stay still meanwhile): parent symlinks are
 * resolved inside the root, the final component is not followed unless the path ends in `/` or
 * `/.`. Returns the stat and the real location. A missing path is NotFound with Docker's wording.
 */
export async function statInRoot(root: string, p: string, ref: string): Promise<{ stat: PathStat; comps: string[]; isDir: boolean }> {
  let r;
  try {
    r = await resolveInRoot(root, p);
  } catch (err) {
    throw isKind(err, 'NotFound') ? fileNotFound(p, ref) : err;
  }
  if (!r.exists) throw fileNotFound(p, ref);
  const st: BigIntStats = await fs.lstat(hostPath(root, r.comps), { bigint: true });
  let linkTarget = '';
  if (st.isSymbolicLink()) {
    // Docker resolves as far as it can (FollowSymlinkInScope): a dangling link still gets a target.
    const t = await resolveInRoot(root, p, { followFinal: true, lexical: true });
    linkTarget = `/${t.comps.join('/')}`;
  }
  const stat = { name: gopath.base(p), size: Number(st.size), mode: goFileMode(Number(st.mode)), mtime: rfc3339Nano(st.mtimeNs), linkTarget };
  return { stat, comps: r.comps, isDir: st.isDirectory() };
}
