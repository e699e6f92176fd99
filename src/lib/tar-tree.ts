/**
 * A tar of one file or directory tree, the way Docker's archive package writes it for
 * `docker cp` (go-archive TarWithOptions): entries in lexical walk order, names under a chosen
 * prefix, directories with a trailing `/`, numeric owners without names, mtimes in whole
 * seconds, hard links to the first name of an inode, sockets left out.
 *
 * Symlinks are archived as links and never followed, neither at the top nor inside the tree,
 * and files are opened with O_NOFOLLOW and checked to be the inode that was listed. Used by the
 * engine for a container's files (the container stopped or frozen meanwhile) and by the CLI for
 * local files.
 */
import { constants as C, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export type Entry = Partial<tar.Header> & { name: string };

/** The entry name of `rel` (a path below the top, '' for the top) under `prefix`. */
function entryName(prefix: string, rel: string, isDir: boolean): string {
  const name = rel === '' ? prefix : prefix === '.' ? `./${rel}` : `${prefix}/${rel}`;
  return isDir && !name.endsWith('/') ? `${name}/` : name;
}

/** Linux's major/minor split of a device number (glibc's gnu_dev_major/minor). */
function devParts(rdev: number): { devmajor: number; devminor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev % 2 ** 32;
  return {
    devmajor: ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0),
    devminor: (lo & 0xff) | ((lo >>> 12) & 0xfff00),
  };
}

/** The tar header of a non-symlink file system object; undefined for sockets. */
export function headerOf(name: string, st: Stats): Entry | undefined {
  const base = {
    name,
    // With its type bits the mode is never 0, which tar-stream would replace by 0644;
    // the encoder keeps only the permission and set-id bits.
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000),
  };
  if (st.isFile()) return { ...base, type: 'file', size: st.size };
  if (st.isDirectory()) return { ...base, type: 'directory' };
  if (st.isFIFO()) return { ...base, type: 'fifo' };
  if (st.isCharacterDevice()) return { ...base, type: 'character-device', ...devParts(st.rdev) };
  if (st.isBlockDevice()) return { ...base, type: 'block-device', ...devParts(st.rdev) };
  return undefined; // sockets: tar has no type for them (Docker skips them too)
}

class TreePacker {
  readonly pack = tar.pack();
  private seen = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  private write(header: Entry): Promise<void> {
    return new Promise((resolve, reject) => this.pack.entry(header, (err) => (err ? reject(err) : resolve())));
  }

  /** Archives `abs` (already lstat'ed as `st`) as `rel`, and below it when it is a directory. */
  async add(abs: string, rel: string, st: Stats): Promise<void> {
    const name = entryName(this.prefix, rel, st.isDirectory());
    if (st.isSymbolicLink()) {
      await this.write({ name, type: 'symlink', linkname: await fs.readlink(abs), mode: 0o777, uid: st.uid, gid: st.gid, mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000) });
      return;
    }
    const header = headerOf(name, st);
    if (!header) return;
    if (!st.isDirectory() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.seen.get(key);
      if (first !== undefined) {
        await this.write({ ...header, type: 'link', linkname: first, size: 0 });
        return;
      }
      this.seen.set(key, name);
    }
    if (header.type === 'file') await packFile(this.pack, abs, header, st);
    else await this.write(header);
    if (!st.isDirectory()) return;
    // Byte order, like Go's WalkDir, so archives do not depend on directory order.
    const names = (await fs.readdir(abs)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const child of names) {
      const childAbs = path.join(abs, child);
      // lstat, never stat: a symlink child is archived as a link, not walked into.
      const cst = await fs.lstat(childAbs).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined; // gone since readdir
        throw err;
      });
      if (cst) await this.add(childAbs, rel === '' ? child : `${rel}/${child}`, cst);
    }
  }
}

/**
 * Archives `top` — a file, symlink or directory tree — with names under `prefix`: the top
 * itself is `prefix`, a child `prefix/child` (`./child` for `.`; `/child` for the empty prefix,
 * Docker's rebase of the root). Errors end the stream with that error.
 */
export function packTree(top: string, prefix: string): Readable {
  const packer = new TreePacker(prefix);
  void (async () => {
    try {
      await packer.add(top, '', await fs.lstat(top));
      packer.pack.finalize();
    } catch (err) {
      packer.pack.destroy(err as Error);
    }
  })();
  return Readable.from(packer.pack);
}

/**
 * Writes the regular file `abs` (lstat'ed as `st`) as one entry of `pack`, refusing to follow a
 * symlink or to read another inode than the one listed.
 */
export async function packFile(pack: tar.Pack, abs: string, header: Entry, st: Stats): Promise<void> {
  const fh = await fs.open(abs, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  try {
    const now = await fh.stat();
    // The name must still be the inode we listed; anything else is not archived through it.
    if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev) throw new Error(`${abs} changed while being archived`);
    const sink = pack.entry(header);
    // Settles once the entry is complete, or rejects when the archive is torn down first
    // (the reader went away): the walk must then stop rather than wait forever.
    let finished = false;
    const done = new Promise<void>((resolve, reject) => {
      sink.once('finish', () => ((finished = true), resolve()));
      sink.once('error', reject);
      sink.once('close', () => (finished ? resolve() : reject(new Error('archive stream closed'))));
    });
    done.catch(() => undefined); // observed below; a rejection while we still write is not unhandled
    if (st.size > 0) {
      for await (const chunk of fh.createReadStream({ start: 0, end: st.size - 1, autoClose: false })) {
        if (sink.write(chunk as Buffer)) continue;
        await Promise.race([new Promise<void>((r) => sink.once('drain', () => r())), done]);
        if (sink.destroying) break;
      }
    }
    sink.end(undefined);
    await done;
  } finally {
    await fh.close();
  }
}
