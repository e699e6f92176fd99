/**
 * A container's writable layer as an image layer tar (lecture concept: committing a container —
 * by `docker commit` or a build step — turns what it changed into one more read-only layer). The
 * overlay upper directory already holds exactly the changes; only deletions need translating
 * into the layer format: a whiteout (character device 0/0) becomes an empty `.wh.<name>` file and
 * an opaque directory gets a `.wh..wh..opq` entry, as Docker's overlay driver writes them.
 *
 * Entries are named relative to the root without a leading `./`, in byte order. Symlinks are
 * archived as links and never followed, files are opened with O_NOFOLLOW (lib/tar-tree.ts); the
 * caller keeps the container stopped or frozen meanwhile.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Host } from '../../host/host.js';
import { headerOf, packFile, type Entry } from '../../lib/tar-tree.js';
import { opaqueDirs } from './diff.js';

const OPAQUE = '.wh..wh..opq';

/** Writes an entry without a body (a regular file's must be given, even empty, or the pack waits for it). */
function write(pack: tar.Pack, header: Entry): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (header.type === 'file') pack.entry(header, Buffer.alloc(0), done);
    else pack.entry(header, done);
  });
}

const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

/**
 * Streams `upper` as a layer tar. `skip` gets each path as the container sees it (`/etc/hosts`)
 * and leaves it (and what is below it) out: the runtime's own mount points are not content.
 */
export function packUpper(upper: string, host: Host, skip: (containerPath: string) => boolean = () => false): Readable {
  const pack = tar.pack();
  const links = new Map<string, string>();
  const walk = async (dir: string, rel: string, opaque: Set<string>): Promise<void> => {
    const names = (await fs.readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const abs = path.join(dir, name);
      const relName = rel ? `${rel}/${name}` : name;
      if (skip(`/${relName}`)) continue;
      const st = await fs.lstat(abs).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (!st) continue;
      if (st.isCharacterDevice() && st.rdev === 0) {
        await write(pack, { name: rel ? `${rel}/.wh.${name}` : `.wh.${name}`, type: 'file', size: 0, mode: 0o600, uid: st.uid, gid: st.gid, mtime: wholeSeconds(st.mtimeMs) });
        continue;
      }
      if (st.isSymbolicLink()) {
        await write(pack, { name: relName, type: 'symlink', linkname: await fs.readlink(abs), mode: 0o777, uid: st.uid, gid: st.gid, mtime: wholeSeconds(st.mtimeMs) });
        continue;
      }
      const header = headerOf(st.isDirectory() ? `${relName}/` : relName, st);
      if (!header) continue;
      if (st.isDirectory()) {
        await write(pack, header);
        if (opaque.has(abs)) await write(pack, { name: `${relName}/${OPAQUE}`, type: 'file', size: 0, mode: st.mode & 0o777, uid: st.uid, gid: st.gid, mtime: wholeSeconds(st.mtimeMs) });
        await walk(abs, relName, opaque);
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first !== undefined) {
          await write(pack, { ...header, type: 'link', linkname: first, size: 0 });
          continue;
        }
        links.set(key, relName);
      }
      if (header.type === 'file') await packFile(pack, abs, header, st);
      else await write(pack, header);
    }
  };
  void (async () => {
    try {
      await walk(upper, '', await opaqueDirs(upper, host));
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return Readable.from(pack);
}
