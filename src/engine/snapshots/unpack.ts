/**
 * Safe layer extraction (lecture concept: an image layer is a tar of the changes it makes;
 * overlay whiteouts record deletions). Hostile layers are a classic escape (CVE-2014-6407,
 * CVE-2014-9356, node-tar's CVE-2021-32803…, see notes/security.md), so:
 *
 * - names are normalized: leading `/` stripped, `..` that would climb above the root rejected;
 * - every PARENT component is resolved scoped to the root, like chroot: a symlink met on the
 *   way is followed inside the layer (an absolute target restarts at the layer root; `..` stops
 *   at the root), never on the host;
 * - the FINAL component is never followed: an existing entry there is removed first and files
 *   are opened with O_EXCL|O_NOFOLLOW;
 * - hardlink targets are resolved the same way, so they can only name files inside the root;
 * - symlinks are created verbatim: their targets are data, interpreted later inside the
 *   container's root by the kernel, never by us;
 * - device nodes are not created (see `apply`);
 * - `.wh.<name>` becomes an overlay whiteout, `.wh..wh..opq` an opaque directory, and the
 *   degenerate `.wh.`, `.wh..`, `.wh...` are rejected.
 *
 * Why a per-component lstat walk is race-free here although Node has no openat()/openat2():
 * the target directory is a fresh staging directory private to the daemon. No container runs
 * on it and nothing else writes to it until it is renamed into place after extraction, so
 * nothing can swap a directory for a symlink between our check and our use.
 */
import { createHash } from 'node:crypto';
import { constants as C } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type tar from 'tar-stream';
import { internal, invalidArgument } from '../../lib/errors.js';
import type { Host } from '../../host/host.js';
import { walkLayer, type LayerEntry } from './walk.js';

export interface UnpackResult {
  /** sha256 of the uncompressed layer tar. */
  diffId: string;
  /** Sum of the regular files' sizes (Docker's layer size). */
  size: number;
}

type Header = tar.Header;
type Entry = LayerEntry;

/**
 * Extracts a layer (tar, or gzip-compressed tar) into `root`, which must be an empty directory
 * private to the caller. Returns the diff ID and size; a hostile or corrupt layer is
 * InvalidArgument (the caller discards `root`).
 */
export async function unpackLayer(input: AsyncIterable<Uint8Array>, root: string, host: Host): Promise<UnpackResult> {
  const ex = new Extractor(root, host);
  const diffId = await walkLayer(input, 'unpack', (e) => ex.entry(e), () => ex.finish());
  return { diffId, size: ex.size };
}

/** Splits an entry name into components, stripping `/` and `.`; a `..` above the root is rejected. */
export function splitName(name: string): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) throw invalidArgument(`invalid layer entry "${name}": path escapes the layer root`);
      out.pop();
    } else out.push(c);
  }
  return out;
}

const MAX_LINKS = 40; // like the kernel's ELOOP limit
const EUID = process.geteuid?.() ?? 0;
const EGID = process.getegid?.() ?? 0;

class Extractor {
  size = 0;
  /** Real (resolved) paths, relative to root, known to be directories we may descend into. */
  private dirs = new Set<string>(['']);
  private dirTimes: Array<[string, Date]> = [];

  constructor(
    private readonly root: string,
    private readonly host: Host,
  ) {}

  private abs(rel: string[]): string {
    return path.join(this.root, ...rel);
  }

  async entry(e: Entry): Promise<void> {
    let consumed = false;
    try {
      consumed = await this.apply(e.header, e);
    } finally {
      if (!consumed) for await (const _ of e); // drain what we did not read
    }
  }

  /** Applies one entry; returns true when it consumed the entry's data. */
  private async apply(h: Header, data: AsyncIterable<Uint8Array>): Promise<boolean> {
    const comps = splitName(h.name);
    const mode = (h.mode ?? 0o644) & 0o7777;
    if (comps.length === 0) {
      // The layer's own root ("./"): only its metadata is taken.
      if (h.type === 'directory') await this.meta(this.root, h, mode, true);
      return false;
    }
    const base = comps[comps.length - 1]!;
    const parent = await this.resolve(comps.slice(0, -1), true);
    if (base.startsWith('.wh.')) {
      await this.whiteout(parent, base);
      return false;
    }
    const rel = [...parent, base];
    const abs = this.abs(rel);
    switch (h.type) {
      case 'directory': {
        const st = await lstatOrNull(abs);
        if (st && !st.isDirectory()) await this.clear(rel);
        if (!st || !st.isDirectory()) await fs.mkdir(abs, 0o700);
        this.dirs.add(rel.join('/'));
        await this.meta(abs, h, mode, true);
        this.dirTimes.push([rel.join('/'), h.mtime ?? new Date(0)]);
        return false;
      }
      case 'file':
      case 'contiguous-file':
      case undefined:
      case null: {
        const fh = await this.create(rel, () => fs.open(abs, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600));
        try {
          for await (const chunk of data) {
            let off = 0;
            while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
          }
          // chown before chmod: chown clears set-id bits. A new file is already ours.
          if ((h.uid ?? 0) !== EUID || (h.gid ?? 0) !== EGID) await fh.chown(h.uid ?? 0, h.gid ?? 0);
          await fh.chmod(mode);
          const t = h.mtime ?? new Date(0);
          await fh.utimes(t, t);
        } finally {
          await fh.close();
        }
        this.size += h.size ?? 0;
        return true;
      }
      case 'symlink': {
        await this.create(rel, () => fs.symlink(h.linkname ?? '', abs));
        await fs.lchown(abs, h.uid ?? 0, h.gid ?? 0);
        const t = h.mtime ?? new Date(0);
        await fs.lutimes(abs, t, t);
        return false;
      }
      case 'link': {
        const tcomps = splitName(h.linkname ?? '');
        if (tcomps.length === 0) throw invalidArgument(`invalid hardlink "${h.name}": empty target`);
        const tparent = await this.resolve(tcomps.slice(0, -1), false);
        const target = this.abs([...tparent, tcomps[tcomps.length - 1]!]);
        const st = await lstatOrNull(target);
        if (!st) throw invalidArgument(`invalid hardlink "${h.name}": target "${h.linkname}" does not exist in the layer`);
        if (st.isDirectory()) throw invalidArgument(`invalid hardlink "${h.name}": target "${h.linkname}" is a directory`);
        if (target === abs) return false;
        await this.clear(rel);
        // link(2) does not follow a symlink target: the new name shares the symlink's inode.
        await fs.link(target, abs);
        return false;
      }
      case 'fifo': {
        await this.clear(rel);
        const r = await this.host.run('mkfifo', ['-m', mode.toString(8), abs]);
        if (r.code !== 0) throw internal(`mkfifo ${abs}: ${r.stderr.trim()}`);
        if (await lstatOrNull(abs)) await fs.lchown(abs, h.uid ?? 0, h.gid ?? 0);
        return false;
      }
      case 'character-device':
      case 'block-device':
        // Not created. A device node in a layer would be a handle on host hardware (a block
        // device with the host disk's major/minor) sitting in the data root, reachable by any
        // container that gets the node; a char 0/0 would even act as an overlay whiteout and
        // hide lower files. Containers get their /dev from the runtime, not from images.
        return false;
      default:
        // pax/GNU metadata records are consumed by tar-stream; anything else is ignored.
        return false;
    }
  }

  /** Handles `.wh.*` names inside `parent` (already resolved). */
  private async whiteout(parent: string[], base: string): Promise<void> {
    if (base === '.wh..wh..opq') {
      await this.host.setOpaque(this.abs(parent));
      return;
    }
    const name = base.slice('.wh.'.length);
    if (name === '' || name === '.' || name === '..') throw invalidArgument(`invalid whiteout entry "${base}"`);
    // Other `.wh..wh.*` names are AUFS bookkeeping (e.g. `.wh..wh.plnk`), meaningless for overlay.
    if (base.startsWith('.wh..wh.')) return;
    const rel = [...parent, name];
    await this.clear(rel);
    await this.host.makeWhiteout(this.abs(rel));
  }

  /**
   * Resolves `comps` as a directory path inside the root, following symlinks with chroot
   * semantics. Missing directories are created when `create` is set, otherwise InvalidArgument.
   */
  private async resolve(comps: string[], create: boolean): Promise<string[]> {
    let cur: string[] = [];
    const queue = [...comps];
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        cur.pop(); // at the root `..` stays at the root, as in a chroot
        continue;
      }
      const next = [...cur, c];
      const key = next.join('/');
      if (this.dirs.has(key)) {
        cur = next;
        continue;
      }
      const abs = this.abs(next);
      const st = await lstatOrNull(abs);
      if (!st) {
        if (!create) throw invalidArgument(`path "${comps.join('/')}" does not exist in the layer`);
        await fs.mkdir(abs, 0o755);
      } else if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw invalidArgument(`path "${comps.join('/')}": too many levels of symbolic links`);
        const target = await fs.readlink(abs);
        if (target.startsWith('/')) cur = [];
        queue.unshift(...target.split('/'));
        continue;
      } else if (!st.isDirectory()) {
        throw invalidArgument(`path "${comps.join('/')}": "${key}" is not a directory`);
      }
      this.dirs.add(key);
      cur = next;
    }
    return cur;
  }

  /**
   * Creates the final component with `make`, which must fail with EEXIST rather than follow
   * anything already there (O_EXCL, symlink(2)); an existing entry is removed and `make` retried.
   * Trying first saves an lstat per entry in the common case of a fresh layer.
   */
  private async create<T>(rel: string[], make: () => Promise<T>): Promise<T> {
    try {
      return await make();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await this.clear(rel);
    return make();
  }

  /** Removes whatever is at `rel` (never following it) and forgets cached directories below it. */
  private async clear(rel: string[]): Promise<void> {
    const abs = this.abs(rel);
    if (!(await lstatOrNull(abs))) return;
    // fs.rm does not follow symlinks, neither at `abs` nor inside a directory it removes.
    await fs.rm(abs, { recursive: true, force: true });
    const key = rel.join('/');
    for (const d of this.dirs) if (d === key || d.startsWith(`${key}/`)) this.dirs.delete(d);
  }

  private async meta(abs: string, h: Header, mode: number, isDir: boolean): Promise<void> {
    await fs.lchown(abs, h.uid ?? 0, h.gid ?? 0);
    if (isDir) await fs.chmod(abs, mode); // `abs` was just checked to be a real directory
  }

  /** Directory mtimes last: creating children changed them. */
  async finish(): Promise<void> {
    for (const [rel, t] of this.dirTimes.reverse()) {
      if (!this.dirs.has(rel)) continue; // replaced later in the same layer
      await fs.lutimes(this.abs(rel.split('/')), t, t);
    }
  }
}

async function lstatOrNull(p: string) {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
