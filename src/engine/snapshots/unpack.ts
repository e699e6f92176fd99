/**
 * Safe tar extraction, for image layers (lecture concept: an image layer is a tar of the changes
 * it makes; overlay whiteouts record deletions) and for `docker cp` into a container. Hostile
 * archives are a classic escape (CVE-2014-6407, CVE-2014-9356, node-tar's CVE-2021-32803…, see
 * notes/security.md), so:
 *
 * - names are normalized: leading `/` stripped, `..` that would climb above the target rejected;
 * - every PARENT component is resolved scoped to the root (scoped.ts), like chroot: a symlink met
 *   on the way is followed inside the root (an absolute target restarts at the root; `..` stops
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
 * nothing can swap a directory for a symlink between our check and our use. `docker cp` extracts
 * into a container's root only while the container is stopped or frozen, for the same reason.
 */
import { constants as C } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type tar from 'tar-stream';
import { BerthError, internal, invalidArgument } from '../../lib/errors.js';
import type { Host } from '../../host/host.js';
import { InFlight } from './inflight.js';
import { resolveInRoot } from './scoped.js';
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
  const ex = new Extractor(root, host, { layer: true, base: [] });
  try {
    const diffId = await walkLayer(input, 'unpack', (e) => ex.entry(e), () => ex.finish());
    return { diffId, size: ex.size };
  } finally {
    await ex.flight.abandon(); // nothing may still write into a root the caller discards
  }
}

/** How `docker cp` extracts (PUT /containers/{id}/archive). */
export interface CopyExtractOptions {
  /** Refuse to replace a directory by a non-directory and vice versa (Docker's noOverwriteDirNonDir). */
  noOverwriteDirNonDir?: boolean;
  /** Owner of every entry instead of the archive's uid/gid (`docker cp -a` with a container user). */
  owner?: { uid: number; gid: number };
}

/**
 * Extracts a tar (or gzip-compressed tar) into the directory `base` (real components, already
 * resolved) of the root file system `root`, with `docker cp` semantics: names are relative to
 * `base`, symlinks on the way are resolved inside `root`, `.wh.*` names are ordinary files.
 * The caller keeps the tree still meanwhile (a stopped or frozen container).
 */
export async function extractArchive(input: AsyncIterable<Uint8Array>, root: string, base: string[], host: Host, opts: CopyExtractOptions = {}): Promise<void> {
  const ex = new Extractor(root, host, { ...opts, layer: false, base });
  await walkLayer(input, 'extract', (e) => ex.entry(e), () => ex.finish(), 'archive');
}

/** Splits an entry name into components, stripping `/` and `.`; a `..` above the root is rejected. */
export function splitName(name: string, what = 'layer'): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) throw invalidArgument(`invalid ${what} entry "${name}": path escapes the ${what} root`);
      out.pop();
    } else out.push(c);
  }
  return out;
}

interface ExtractorOptions extends CopyExtractOptions {
  /** Layer semantics: `.wh.*` names are whiteouts and `./` carries the root's metadata. */
  layer: boolean;
  /** The directory entry names are relative to (resolved components below the root). */
  base: string[];
}

const EUID = process.geteuid?.() ?? 0;
const EGID = process.getegid?.() ?? 0;
/** The daemon's umask, which open() applies to the modes it is given. */
const UMASK = process.umask();

class Extractor {
  size = 0;
  /** Real (resolved) paths, relative to root, known to be directories we may descend into. */
  private dirs = new Set<string>(['']);
  private dirTimes: Array<[string, Date]> = [];
  /** Regular files being written in the background (layers only: see inflight.ts). */
  readonly flight = new InFlight(32, 64 << 20);

  constructor(
    private readonly root: string,
    private readonly host: Host,
    private readonly opts: ExtractorOptions,
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
    const { layer, base: into } = this.opts;
    const comps = splitName(h.name, layer ? 'layer' : 'archive');
    const mode = (h.mode ?? 0o644) & 0o7777;
    if (comps.length === 0) {
      // The layer's own root ("./"): only its metadata is taken. `docker cp` leaves its target
      // as it is, and cannot turn it into a file.
      if (layer && h.type === 'directory') await this.meta(this.root, h, mode, true);
      if (!layer && h.type !== 'directory') throw invalidArgument(`invalid archive entry "${h.name}": not a directory`);
      return false;
    }
    const base = comps[comps.length - 1]!;
    const parent = await this.resolve([...into, ...comps.slice(0, -1)], true);
    if (layer && base.startsWith('.wh.')) {
      await this.whiteout(parent, base);
      return false;
    }
    const rel = [...parent, base];
    const abs = this.abs(rel);
    if (this.opts.noOverwriteDirNonDir) await this.checkOverwrite(rel, h.type === 'directory');
    switch (h.type) {
      case 'directory': {
        await this.flight.settle(rel.join('/'));
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
        const key = rel.join('/');
        const size = h.size ?? 0;
        await this.flight.settle(key);
        if (this.opts.layer && !this.dirs.has(key) && this.flight.fits(size)) {
          // Buffered and written in the background while the next entries are read (inflight.ts).
          const chunks: Uint8Array[] = [];
          for await (const chunk of data) chunks.push(chunk);
          await this.flight.start(key, size, () => this.writeFile(rel, h, mode, chunks));
        } else await this.writeFile(rel, h, mode, data);
        this.size += size;
        return true;
      }
      case 'symlink': {
        await this.flight.settle(rel.join('/'));
        await this.create(rel, () => fs.symlink(h.linkname ?? '', abs));
        await fs.lchown(abs, this.owner(h).uid, this.owner(h).gid);
        const t = h.mtime ?? new Date(0);
        await fs.lutimes(abs, t, t);
        return false;
      }
      case 'link': {
        await this.flight.drain(); // the target may still be being written
        const tcomps = splitName(h.linkname ?? '', layer ? 'layer' : 'archive');
        if (tcomps.length === 0) throw invalidArgument(`invalid hardlink "${h.name}": empty target`);
        const tparent = await this.resolve([...into, ...tcomps.slice(0, -1)], false);
        const target = this.abs([...tparent, tcomps[tcomps.length - 1]!]);
        const st = await lstatOrNull(target);
        if (!st) throw invalidArgument(`invalid hardlink "${h.name}": target "${h.linkname}" does not exist in the ${layer ? 'layer' : 'archive'}`);
        if (st.isDirectory()) throw invalidArgument(`invalid hardlink "${h.name}": target "${h.linkname}" is a directory`);
        if (target === abs) return false;
        await this.clear(rel);
        // link(2) does not follow a symlink target: the new name shares the symlink's inode.
        await fs.link(target, abs);
        return false;
      }
      case 'fifo': {
        await this.flight.settle(rel.join('/'));
        await this.clear(rel);
        const r = await this.host.run('mkfifo', ['-m', mode.toString(8), abs]);
        if (r.code !== 0) throw internal(`mkfifo ${abs}: ${r.stderr.trim()}`);
        if (await lstatOrNull(abs)) await fs.lchown(abs, this.owner(h).uid, this.owner(h).gid);
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
    await this.flight.drain(); // a whiteout removes what may still be being written
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
    const shown = comps.join('/');
    // Known directories are resolved without looking at the disk; anything else is looked up
    // (lstat) only once no write could still change what is there.
    if (!this.dirs.has(shown)) await this.flight.drain();
    let r;
    try {
      r = await resolveInRoot(this.root, comps, { followFinal: true, known: this.dirs, mkdir: create ? (abs) => fs.mkdir(abs, 0o755) : undefined });
    } catch (err) {
      // The root's own wording ("…: not a directory"), as this layer's or archive's fault.
      if (err instanceof BerthError) throw invalidArgument(`path "${shown}": ${err.message.replace(/^\/[^:]*: /, '')}`);
      throw err;
    }
    if (!r.exists) throw invalidArgument(`path "${shown}" does not exist in the ${this.opts.layer ? 'layer' : 'archive'}`);
    if (!r.isDir) throw invalidArgument(`path "${shown}" is not a directory`);
    return r.comps;
  }

  /** Docker's noOverwriteDirNonDir: an entry may not turn a directory into a non-directory or back. */
  private async checkOverwrite(rel: string[], entryIsDir: boolean): Promise<void> {
    const st = await lstatOrNull(this.abs(rel));
    if (!st || st.isDirectory() === entryIsDir) return;
    const [p, dest] = [`/${rel.join('/')}`, `/${this.opts.base.join('/')}`];
    throw invalidArgument(entryIsDir ? `cannot overwrite non-directory "${p}" with directory "${dest}"` : `cannot overwrite directory "${p}" with non-directory "${dest}"`);
  }

  private owner(h: Header): { uid: number; gid: number } {
    return this.opts.owner ?? { uid: h.uid ?? 0, gid: h.gid ?? 0 };
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

  /** Writes one regular file at `rel` (its parent already resolved) from `data`. */
  private async writeFile(rel: string[], h: Header, mode: number, data: Uint8Array[] | AsyncIterable<Uint8Array>): Promise<void> {
    const abs = this.abs(rel);
    // A layer's staging directory is private, so its files are created with their permission
    // bits at once; a `cp` target is private (0600) until complete.
    const layer = this.opts.layer;
    const fh = await this.create(rel, () => fs.open(abs, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, layer ? mode & 0o777 : 0o600));
    try {
      if (Array.isArray(data)) await writeAll(fh, data);
      else for await (const chunk of data) await writeAll(fh, [chunk]);
      // chown before chmod: chown clears set-id bits. A new file is already ours.
      const { uid, gid } = this.owner(h);
      if (uid !== EUID || gid !== EGID) await fh.chown(uid, gid);
      // open() applied the umask and cannot set set-id or sticky bits: only then is chmod needed.
      if (!layer || (mode & ~(0o777 & ~UMASK)) !== 0) await fh.chmod(mode);
      const t = h.mtime ?? new Date(0);
      await fh.utimes(t, t);
    } finally {
      await fh.close();
    }
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
    await fs.lchown(abs, this.owner(h).uid, this.owner(h).gid);
    if (isDir) await fs.chmod(abs, mode); // `abs` was just checked to be a real directory
  }

  /** Directory mtimes last: creating children changed them. */
  async finish(): Promise<void> {
    await this.flight.drain();
    for (const [rel, t] of this.dirTimes.reverse()) {
      if (!this.dirs.has(rel)) continue; // replaced later in the same layer
      await fs.lutimes(this.abs(rel.split('/')), t, t);
    }
  }
}

/** Writes every byte of `chunks` (one writev in the common case). */
async function writeAll(fh: fs.FileHandle, chunks: Uint8Array[]): Promise<void> {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  if (total === 0) return;
  let done = (await fh.writev(chunks)).bytesWritten;
  // A short writev (more buffers than IOV_MAX, a signal): the rest one buffer at a time.
  for (let skip = done, i = 0; done < total && i < chunks.length; i++) {
    const c = chunks[i]!;
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    let off = skip;
    skip = 0;
    while (off < c.length) {
      const n = (await fh.write(c, off, c.length - off)).bytesWritten;
      off += n;
      done += n;
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
