/**
 * Reading an image archive in one pass (the staging half of `docker load`; lecture concept:
 * an image tarball carries configs, manifests and layer tars side by side).
 *
 * Which entries are layers is only known once manifest.json / index.json has been read, and
 * Docker puts those near the end. So every file is streamed into the content store's ingest
 * area (hashed on the way), and every file whose first bytes look like a tar or gzip stream is
 * at the same time parsed as a layer (snapshots/scan.ts: diff ID, size, hostile names) without
 * writing any file: extraction is slower than the disk and happens in the background after the
 * load returns (unpacker.ts). Nothing becomes visible until the caller commits; `release`
 * throws every leftover away, so a corrupt or truncated archive leaves no trace.
 */
import tar from 'tar-stream';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BerthError, internal, invalidArgument, messageOf } from '../../lib/errors.js';
import type { BlobWriter } from '../content/store.js';
import { looksLikeLayer } from '../snapshots/compression.js';
import { Feed, waitDrain } from '../snapshots/feed.js';
import { scanLayer } from '../snapshots/scan.js';
import type { Stores } from './commit.js';

const KEEP_IN_MEMORY = 1 << 20; // JSON documents are small; layers are not
const PROBE = 512;

type Scanned = { ok: true; diffId: string; size: number } | { ok: false; error: unknown };

/** One regular file of the archive, staged. */
export interface ArchiveFile {
  name: string;
  digest: string;
  size: number;
  writer: BlobWriter;
  /** First bytes (up to 512), to sniff compression. */
  head: Buffer;
  /** Whole content when small. */
  data?: Buffer;
  /** The concurrent layer scan, when the file looked like a layer. */
  unpack?: Promise<Scanned>;
  feed?: Feed;
}

function cleanName(name: string): string {
  return path.posix.normalize(name).replace(/^(\.\/|\/)+/, '').replace(/\/$/, '');
}

export class Archive {
  readonly files = new Map<string, ArchiveFile>();
  readonly links = new Map<string, string>();

  constructor(private readonly stores: Stores) {}

  /** The file at `name`, following links inside the archive. */
  get(name: string): ArchiveFile | undefined {
    let n = cleanName(name);
    for (let i = 0; i < 16; i++) {
      const f = this.files.get(n);
      if (f) return f;
      const target = this.links.get(n);
      if (target === undefined) return undefined;
      n = target;
    }
    return undefined;
  }

  /** Like `get`, but a missing file is InvalidArgument. */
  need(name: string): ArchiveFile {
    const f = this.get(name);
    if (!f) throw invalidArgument(`invalid archive: ${name} not found`);
    return f;
  }

  async bytes(name: string): Promise<Buffer> {
    const f = this.need(name);
    return f.data ?? fs.readFile(f.writer.tmpPath);
  }

  async json<T>(name: string): Promise<T> {
    try {
      return JSON.parse((await this.bytes(name)).toString('utf8')) as T;
    } catch (err) {
      if (err instanceof BerthError) throw err;
      throw invalidArgument(`invalid archive: ${name} is not valid JSON`);
    }
  }

  /** Throws away every staged blob that was not committed. */
  async release(): Promise<void> {
    // Stop unfinished scans first (a truncated entry never ended its feed).
    for (const f of this.files.values()) f.feed?.close();
    for (const f of this.files.values()) {
      await f.writer.abort();
      await f.unpack;
    }
  }

  /** Reads the whole tar. A malformed tar is InvalidArgument; staging is released on failure. */
  async read(input: AsyncIterable<Uint8Array>): Promise<void> {
    const extract = tar.extract();
    let parseError: unknown; // the iterator itself only says "Stream was destroyed"
    extract.on('error', (e: unknown) => (parseError ??= e));
    const feeding = (async () => {
      try {
        for await (const chunk of input) {
          if (extract.destroyed) return;
          if (!extract.write(chunk)) await waitDrain(extract);
        }
        extract.end(undefined);
      } catch (err) {
        extract.destroy(err as Error);
      }
    })();
    try {
      for await (const entry of extract) await this.entry(entry as unknown as AsyncIterable<Uint8Array> & { header: tar.Header });
      await feeding;
    } catch (err) {
      const reason = parseError ?? err;
      extract.destroy(new Error('archive read aborted'));
      await feeding;
      await this.release();
      if (reason instanceof BerthError) throw reason;
      if ((reason as NodeJS.ErrnoException)?.syscall) throw internal(`load: ${messageOf(reason)}`, reason);
      throw invalidArgument(`invalid archive: ${messageOf(reason)}`);
    }
  }

  private async entry(e: AsyncIterable<Uint8Array> & { header: tar.Header }): Promise<void> {
    const h = e.header;
    const name = cleanName(h.name);
    if (h.type === 'symlink' || h.type === 'link') {
      const target = h.type === 'symlink' ? path.posix.join(path.posix.dirname(name), h.linkname ?? '') : (h.linkname ?? '');
      this.links.set(name, cleanName(target));
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') {
      for await (const _ of e);
      return;
    }
    const writer = this.stores.content.writer();
    const file: ArchiveFile = { name, digest: '', size: 0, writer, head: Buffer.alloc(0) };
    this.files.set(name, file);
    const probe: Buffer[] = [];
    let probed = 0;
    let feed: Feed | undefined;
    const keep: Buffer[] = [];
    const small = (h.size ?? 0) <= KEEP_IN_MEMORY;
    const decide = async () => {
      file.head = Buffer.concat(probe).subarray(0, PROBE);
      if (!looksLikeLayer(file.head)) return;
      feed = file.feed = new Feed();
      file.unpack = startScan(feed);
      for (const b of probe) await feed.push(b);
    };
    for await (const chunk of e as AsyncIterable<Buffer>) {
      await writer.write(chunk);
      if (small) keep.push(chunk);
      if (probed < PROBE) {
        probe.push(chunk);
        probed += chunk.length;
        if (probed >= PROBE) await decide();
      } else if (feed) await feed.push(chunk);
    }
    if (probed < PROBE) await decide();
    feed?.end();
    file.digest = await writer.finish();
    file.size = writer.size;
    if (small) file.data = Buffer.concat(keep);
  }
}

/** Scans a layer candidate; a failure is kept as a value (the file may turn out not to be a layer). */
async function startScan(feed: Feed): Promise<Scanned> {
  try {
    return { ok: true, ...(await scanLayer(feed)) };
  } catch (error) {
    feed.close();
    return { ok: false, error };
  }
}
