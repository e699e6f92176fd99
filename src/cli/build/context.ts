/**
 * The build context as `berth build` sends it (lecture concept: the client tars the context
 * directory and sends it to the daemon): a tar of the directory without what `.dockerignore`
 * names — except the Dockerfile and `.dockerignore` themselves, which the daemon needs — with
 * every entry owned by root, as docker's CLI writes it. Streamed, never held in memory.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { IgnoreMatcher, readIgnoreFile } from '../../lib/dockerignore.js';
import { headerOf, packFile, type Entry } from '../../lib/tar-tree.js';

function write(pack: tar.Pack, header: Entry, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body) pack.entry(header, body, done);
    else pack.entry(header, done);
  });
}

/** The .dockerignore patterns of `dir`, with the Dockerfile and .dockerignore always kept. */
export async function contextIgnores(dir: string, dockerfile: string): Promise<IgnoreMatcher> {
  const text = await fs.readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => '');
  const patterns = readIgnoreFile(text);
  if (patterns.length) patterns.push(`!${dockerfile}`, '!.dockerignore');
  return new IgnoreMatcher(patterns);
}

/**
 * Tars `dir`, leaving out what `ignore` matches; `extra` adds files (a Dockerfile given from
 * outside the context). Reports the bytes produced through `onSize` at the end.
 */
export function packContext(dir: string, ignore: IgnoreMatcher, extra: Array<{ name: string; data: Buffer }> = []): Readable {
  const pack = tar.pack();
  const links = new Map<string, string>();
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await fs.readdir(abs)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const childAbs = path.join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const st = await fs.lstat(childAbs);
      const ignored = ignore.matches(childRel);
      // An ignored directory is still walked when some pattern may bring a file below it back.
      if (ignored && !(st.isDirectory() && ignore.hasExclusions)) continue;
      const owner = { uid: 0, gid: 0, uname: '', gname: '' };
      if (st.isSymbolicLink()) {
        await write(pack, { name: childRel, type: 'symlink', linkname: await fs.readlink(childAbs), mode: 0o777, mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000), ...owner });
        continue;
      }
      const header = headerOf(st.isDirectory() ? `${childRel}/` : childRel, st);
      if (!header) continue;
      Object.assign(header, owner);
      if (st.isDirectory()) {
        if (!ignored) await write(pack, header);
        await walk(childAbs, childRel);
      } else if (st.nlink > 1 && links.has(`${st.dev}:${st.ino}`)) {
        await write(pack, { ...header, type: 'link', linkname: links.get(`${st.dev}:${st.ino}`)!, size: 0 });
      } else {
        if (st.nlink > 1) links.set(`${st.dev}:${st.ino}`, childRel);
        if (header.type === 'file') await packFile(pack, childAbs, header, st);
        else await write(pack, header);
      }
    }
  };
  void (async () => {
    try {
      await walk(dir, '');
      for (const f of extra) await write(pack, { name: f.name, type: 'file', size: f.data.length, mode: 0o600, uid: 0, gid: 0, mtime: new Date() }, f.data);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return Readable.from(pack);
}

/** A tar holding only a Dockerfile (`berth build -` with a Dockerfile on stdin). */
export function dockerfileOnly(name: string, data: Buffer): Readable {
  const pack = tar.pack();
  pack.entry({ name, type: 'file', size: data.length, mode: 0o600, uid: 0, gid: 0, mtime: new Date() }, data, (err) => (err ? pack.destroy(err) : pack.finalize()));
  return Readable.from(pack);
}
