/**
 * The build context (lecture concept: the directory sent to the builder, which COPY and ADD read
 * from). It arrives as a tar (plain or gzip) and is extracted to disk as it streams — never held in
 * memory — with the same safe extractor as `docker cp` (snapshots/unpack.ts): names that climb out
 * are refused and symlinks are data. A body that is not a tar is taken as a lone Dockerfile.
 *
 * Paths are looked up inside the context as inside a chroot (snapshots/scoped.ts); a source that
 * names something outside (`../x`) is refused with Docker's message. Files are fingerprinted for
 * the layer cache by what they are and contain — name, mode, owner, size, link target, bytes —
 * never by their times, so a touched but unchanged file still hits the cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Host } from '../../host/host.js';
import { invalidArgument, notFound } from '../../lib/errors.js';
import { IgnoreMatcher, readIgnoreFile } from '../../lib/dockerignore.js';
import { hostPath, resolveInRoot } from '../snapshots/scoped.js';
import { extractArchive } from '../snapshots/unpack.js';

/** Splits the first `n` bytes off a stream without consuming the rest. */
async function peek(input: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Buffer; all: AsyncIterable<Uint8Array> }> {
  const it = input[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(Buffer.from(r.value));
    size += r.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Uint8Array> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, all: all() };
}

/** True for the start of a tar (ustar magic) or of a gzip stream. */
export function looksLikeArchive(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

/** The `forbidden path` refusal for a source that leaves the context. */
export function outsideContext(p: string): Error {
  return invalidArgument(`forbidden path outside the build context: ${p} ()`);
}

export class BuildContext {
  private hashes = new Map<string, string>();

  private constructor(readonly root: string) {}

  /** Extracts `body` into the new directory `root`. */
  static async receive(body: AsyncIterable<Uint8Array>, root: string, host: Host): Promise<BuildContext> {
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    const { head, all } = await peek(body, 512);
    if (head.length === 0 || looksLikeArchive(head)) {
      if (head.length) await extractArchive(all, root, [], host);
    } else {
      // A bare Dockerfile as the body: a context with only that file.
      const fh = await fs.open(path.join(root, 'Dockerfile'), 'wx', 0o644);
      try {
        for await (const chunk of all) await fh.write(chunk);
      } finally {
        await fh.close();
      }
    }
    return new BuildContext(root);
  }

  /** Opens the context of a stage or image mounted at `root` (COPY --from). */
  static at(root: string): BuildContext {
    return new BuildContext(root);
  }

  /**
   * Resolves `p` (relative to the context root) to real components, following symlinks inside
   * the context; `..` that would leave it is refused.
   */
  async resolve(p: string): Promise<{ comps: string[]; exists: boolean; isDir: boolean }> {
    const clean = path.posix.normalize(p.replace(/^\/+/, '') || '.');
    if (clean === '..' || clean.startsWith('../')) throw outsideContext(p);
    return resolveInRoot(this.root, clean, { followFinal: true });
  }

  abs(comps: readonly string[]): string {
    return hostPath(this.root, comps);
  }

  /** Reads the Dockerfile named `name` (Docker also tries `dockerfile` for the default name). */
  async dockerfile(name: string): Promise<{ name: string; text: string }> {
    for (const candidate of name === 'Dockerfile' ? ['Dockerfile', 'dockerfile'] : [name]) {
      const r = await this.resolve(candidate).catch(() => undefined);
      if (!r?.exists || r.isDir) continue;
      const text = await fs.readFile(this.abs(r.comps), 'utf8');
      if (text.length === 0) throw invalidArgument(`the Dockerfile (${candidate}) cannot be empty`);
      return { name: candidate, text };
    }
    throw invalidArgument(`Cannot locate specified Dockerfile: ${name}`);
  }

  /**
   * Applies `.dockerignore`: what it names is removed from the context (a client normally left it
   * out already), including `.dockerignore` itself and the Dockerfile when they are named.
   */
  async applyIgnore(): Promise<void> {
    const text = await fs.readFile(path.join(this.root, '.dockerignore'), 'utf8').catch(() => undefined);
    if (text === undefined) return;
    let m: IgnoreMatcher;
    try {
      m = new IgnoreMatcher(readIgnoreFile(text));
    } catch (err) {
      throw invalidArgument(`error reading .dockerignore: ${(err as Error).message}`);
    }
    if (m.empty) return;
    const walk = async (rel: string): Promise<void> => {
      const dir = path.join(this.root, rel);
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        const ignored = m.matches(childRel);
        if (e.isDirectory() && !e.isSymbolicLink()) {
          if (ignored && !m.hasExclusions) await fs.rm(path.join(dir, e.name), { recursive: true, force: true });
          else {
            await walk(childRel);
            if (ignored) await fs.rmdir(path.join(dir, e.name)).catch(() => undefined);
          }
        } else if (ignored) await fs.rm(path.join(dir, e.name), { force: true });
      }
    };
    await walk('');
  }

  /** The cache fingerprint of one entry (symlinks not followed), as `rel` names it. */
  private async entryHash(rel: string): Promise<string> {
    const abs = path.join(this.root, rel);
    const st = await fs.lstat(abs);
    const h = createHash('sha256');
    const link = st.isSymbolicLink() ? await fs.readlink(abs) : '';
    h.update(`${rel}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.isFile() ? st.size : 0}\0${link}\0`);
    if (st.isFile()) for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
    return h.digest('hex');
  }

  /**
   * Docker-style source hash for the cache key: `file:<sum>` for a file, `dir:<sum of the sorted
   * sums of everything below>` for a directory. `comps` are resolved components.
   */
  async hash(comps: readonly string[]): Promise<string> {
    const rel = comps.join('/');
    const known = this.hashes.get(rel);
    if (known) return known;
    const st = await fs.stat(this.abs(comps)).catch(() => {
      throw notFound(`file not found in build context or excluded by .dockerignore: stat ${rel}: file does not exist`);
    });
    let out: string;
    if (!st.isDirectory()) out = `file:${await this.entryHash(rel)}`;
    else {
      const sums: string[] = [];
      const walk = async (r: string): Promise<void> => {
        for (const e of (await fs.readdir(path.join(this.root, r), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
          const child = r ? `${r}/${e.name}` : e.name;
          sums.push(await this.entryHash(child));
          if (e.isDirectory()) await walk(child);
        }
      };
      await walk(rel);
      out = `dir:${createHash('sha256').update(sums.sort().join(',')).digest('hex')}`;
    }
    this.hashes.set(rel, out);
    return out;
  }

  /** Every path below the root (depth first, sorted), relative; for wildcard sources. */
  async allPaths(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (r: string): Promise<void> => {
      const entries = await fs.readdir(path.join(this.root, r), { withFileTypes: true }).catch(() => []);
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const child = r ? `${r}/${e.name}` : e.name;
        out.push(child);
        if (e.isDirectory()) await walk(child);
      }
    };
    await walk('');
    return out;
  }
}
