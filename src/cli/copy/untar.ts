/**
 * Extracting a `docker cp` archive on the local side (go-archive's Untar with the options the
 * docker CLI's CopyTo uses: owners not kept, no directory replaced by a non-directory or back).
 *
 * The archive comes from the daemon, built from files a container controls, so it is handled as
 * untrusted: names may not climb out of the destination, symlink targets and hard links may not
 * point out of it (Docker's breakout checks), and nothing is ever written through a symlink —
 * an entry whose parent below the destination is a symlink is refused, and an existing entry is
 * removed, never followed, before a new one is created with O_EXCL|O_NOFOLLOW.
 */
import { constants as C } from 'node:fs';
import fs from 'node:fs/promises';
import tar from 'tar-stream';
import * as gopath from '../../lib/gopath.js';
import { goPathError } from './paths.js';
import { waitDrain } from '../../lib/drain.js';

type Header = tar.Header;

/** Makes the directories of `rel` (cleaned, relative) below `dest`, refusing to pass a symlink. */
async function makeParents(dest: string, rel: string): Promise<void> {
  const parts = rel.split('/').filter((c) => c !== '' && c !== '.');
  let cur = dest;
  for (const c of parts) {
    cur = `${cur}/${c}`;
    const st = await fs.lstat(cur).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw goPathError('lstat', cur, err);
      return undefined;
    });
    if (!st) await fs.mkdir(cur, 0o755);
    else if (st.isSymbolicLink()) throw new Error(`refusing to extract through the symbolic link "${cur}"`);
    else if (!st.isDirectory()) throw goPathError('mkdir', cur, Object.assign(new Error(), { code: 'ENOTDIR' }));
  }
}

const inside = (p: string, dest: string) => p === dest || p.startsWith(dest === '/' ? '/' : `${dest}/`);

class LocalExtractor {
  private dirs: Array<[string, Date]> = [];

  constructor(
    private readonly dest: string,
    private readonly rename: (name: string) => string,
  ) {}

  /** Applies one entry; returns true when it consumed the entry's data. */
  async apply(h: Header, data: AsyncIterable<Uint8Array>): Promise<boolean> {
    if (!['file', 'contiguous-file', 'directory', 'symlink', 'link'].includes(h.type ?? 'file')) return false; // devices, fifos: not made here
    const dest = this.dest;
    const name = gopath.clean(this.rename(h.name));
    const p = gopath.join(dest, name);
    if (!inside(p, dest)) throw new Error(`"${name}" is outside of "${dest}"`);
    const isDirEntry = h.type === 'directory';
    await makeParents(dest, gopath.dir(name));
    const st = await fs.lstat(p).catch(() => undefined);
    if (st) {
      if (st.isDirectory() && !isDirEntry) throw new Error(`cannot overwrite directory "${p}" with non-directory "${dest}"`);
      if (!st.isDirectory() && isDirEntry) throw new Error(`cannot overwrite non-directory "${p}" with directory "${dest}"`);
      if (st.isDirectory() && name === '.') return false;
      if (!st.isDirectory()) await fs.rm(p, { force: true }); // rm never follows a symlink
    }
    const mode = h.mode & 0o7777;
    const mtime = h.mtime ?? new Date(0);
    switch (h.type) {
      case 'directory':
        if (!st) await fs.mkdir(p, 0o700);
        await fs.chmod(p, mode); // a real directory: checked or made just above
        this.dirs.push([p, mtime]);
        return false;
      case 'symlink': {
        const target = gopath.join(gopath.dir(p), h.linkname);
        if (!inside(target, dest)) throw new Error(`invalid symlink "${p}" -> "${h.linkname}"`);
        await fs.symlink(h.linkname, p);
        await fs.lutimes(p, mtime, mtime);
        return false;
      }
      case 'link': {
        const linkname = gopath.clean(this.rename(h.linkname));
        const target = gopath.join(dest, linkname);
        if (!inside(target, dest)) throw new Error(`invalid hardlink "${target}" -> "${h.linkname}"`);
        await makeParents(dest, gopath.dir(linkname)); // link(2) would follow a symlinked parent
        await fs.link(target, p);
        return false;
      }
      default: {
        const fh = await fs.open(p, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of data) {
            let off = 0;
            while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
          }
          await fh.chmod(mode);
          await fh.utimes(mtime, mtime);
        } finally {
          await fh.close();
        }
        return true;
      }
    }
  }

  /** Directory mtimes last: extracting into a directory changed its mtime. */
  async finish(): Promise<void> {
    for (const [p, t] of this.dirs) await fs.utimes(p, t, t);
  }
}


/**
 * Extracts `input` (an uncompressed tar) into the existing directory `dest`, renaming each entry
 * (and hard link target) with `rename` first.
 */
export async function untarLocal(input: AsyncIterable<Uint8Array>, dest: string, rename: (name: string) => string): Promise<void> {
  const ex = new LocalExtractor(gopath.clean(dest), rename);
  const extract = tar.extract();
  const feed = (async () => {
    try {
      for await (const chunk of input) {
        if (extract.destroying) return; // the extraction failed: stop reading (and let the input go)
        if (!extract.write(chunk)) await waitDrain(extract);
      }
      extract.end(undefined);
    } catch (err) {
      extract.destroy(err as Error);
    }
  })();
  try {
    for await (const entry of extract) {
      let consumed = false;
      try {
        consumed = await ex.apply(entry.header, entry as AsyncIterable<Uint8Array>);
      } finally {
        if (!consumed) for await (const _ of entry); // drain what was not read
      }
    }
    await ex.finish();
  } catch (err) {
    extract.destroy(err as Error);
    throw err;
  } finally {
    await feed;
  }
}
