/**
 * The content store: blobs addressed by their sha256 digest (containerd's "content" service;
 * lecture concept: image layers and configs are content-addressed, so identical layers are
 * stored once and a blob's name proves its bytes).
 *
 * Layout: `<root>/blobs/sha256/<hex>` for committed blobs, `<root>/ingest/` for writes in
 * progress. A write streams into an ingest file while hashing; the digest (and size, when
 * expected) is checked BEFORE the atomic rename, so a committed path always holds exactly the
 * bytes its name promises. Ingest leftovers after a crash are removed by `open`.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { invalidArgument, notFound } from '../../lib/errors.js';

const DIGEST_RE = /^sha256:([a-f0-9]{64})$/;

/** Splits a `sha256:<hex>` digest; anything else is InvalidArgument. */
export function digestHex(digest: string): string {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw invalidArgument(`invalid digest "${digest}": only sha256 digests are supported`);
  return m[1]!;
}

/** True when `s` is a well-formed `sha256:<64 hex>` digest. */
export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** sha256 digest of an in-memory buffer, as `sha256:<hex>`. */
export function digestOf(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** What a writer expects the blob to be; a mismatch fails the commit. */
export interface Expected {
  digest?: string;
  size?: number;
}

/**
 * A blob being written: bytes go to an ingest file and into a running hash. `commit` verifies
 * and renames into place; `abort` deletes the ingest file. Exactly one of them must be called.
 */
export class BlobWriter {
  private readonly hash: Hash = createHash('sha256');
  private fh: fs.FileHandle | undefined;
  size = 0;
  private digestValue: string | undefined;

  constructor(
    private readonly store: ContentStore,
    readonly tmpPath: string,
  ) {}

  /** Appends a chunk (hash and file). */
  async write(chunk: Uint8Array): Promise<void> {
    this.fh ??= await fs.open(this.tmpPath, 'wx', 0o600);
    this.hash.update(chunk);
    this.size += chunk.length;
    // FileHandle.write may write fewer bytes than asked; loop until all are on disk.
    let off = 0;
    while (off < chunk.length) off += (await this.fh.write(chunk, off, chunk.length - off)).bytesWritten;
  }

  /** Finishes writing; returns the digest of everything written. Idempotent. */
  async finish(): Promise<string> {
    if (this.digestValue) return this.digestValue;
    this.fh ??= await fs.open(this.tmpPath, 'wx', 0o600);
    await this.fh.sync();
    await this.fh.close();
    this.digestValue = `sha256:${this.hash.digest('hex')}`;
    return this.digestValue;
  }

  /** Verifies against `expected` and atomically moves the blob into the store. */
  async commit(expected: Expected = {}): Promise<{ digest: string; size: number }> {
    const digest = await this.finish();
    try {
      if (expected.digest !== undefined && expected.digest !== digest)
        throw invalidArgument(`digest mismatch: expected ${expected.digest}, got ${digest}`);
      if (expected.size !== undefined && expected.size !== this.size)
        throw invalidArgument(`size mismatch for ${digest}: expected ${expected.size} bytes, got ${this.size}`);
      await fs.rename(this.tmpPath, this.store.path(digest));
    } catch (err) {
      await this.abort();
      throw err;
    }
    return { digest, size: this.size };
  }

  /** Drops the ingest file (safe to call more than once, or after commit). */
  async abort(): Promise<void> {
    if (this.fh && this.digestValue === undefined) {
      await this.fh.close().catch(() => undefined);
      this.digestValue = 'aborted';
    }
    await fs.rm(this.tmpPath, { force: true });
  }
}

/** Content-addressed blob storage (see file header). */
export class ContentStore {
  private constructor(readonly root: string) {}

  /** Opens (creating if needed) a store at `root` and removes interrupted writes. */
  static async open(root: string): Promise<ContentStore> {
    const s = new ContentStore(root);
    await fs.rm(s.ingestDir, { recursive: true, force: true });
    await fs.mkdir(s.blobDir, { recursive: true });
    await fs.mkdir(s.ingestDir, { recursive: true });
    return s;
  }

  get blobDir(): string {
    return path.join(this.root, 'blobs', 'sha256');
  }
  get ingestDir(): string {
    return path.join(this.root, 'ingest');
  }

  /** Where the blob with `digest` lives (whether or not it exists). */
  path(digest: string): string {
    return path.join(this.blobDir, digestHex(digest));
  }

  /** Starts a streaming write. */
  writer(): BlobWriter {
    return new BlobWriter(this, path.join(this.ingestDir, randomBytes(8).toString('hex')));
  }

  /** Writes a whole stream or buffer, verifying `expected` before it becomes visible. */
  async write(input: Readable | AsyncIterable<Uint8Array> | Uint8Array, expected: Expected = {}): Promise<{ digest: string; size: number }> {
    const w = this.writer();
    try {
      if (input instanceof Uint8Array) await w.write(input);
      else for await (const chunk of input) await w.write(chunk as Uint8Array);
    } catch (err) {
      await w.abort();
      throw err;
    }
    return w.commit(expected);
  }

  async exists(digest: string): Promise<boolean> {
    try {
      await fs.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  /** Size in bytes; NotFound when absent. */
  async size(digest: string): Promise<number> {
    try {
      return (await fs.stat(this.path(digest))).size;
    } catch {
      throw notFound(`content ${digest}: not found`);
    }
  }

  /** A stream of the blob's bytes; NotFound when absent. */
  async read(digest: string): Promise<Readable> {
    const p = this.path(digest);
    const fh = await fs.open(p, 'r').catch(() => {
      throw notFound(`content ${digest}: not found`);
    });
    // Opening first turns a missing blob into NotFound now rather than a stream error later.
    return fh.createReadStream();
  }

  /** The whole blob in memory (for manifests and configs). */
  async readBytes(digest: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.path(digest));
    } catch {
      throw notFound(`content ${digest}: not found`);
    }
  }

  /** Deletes a blob; absent blobs are fine. */
  async delete(digest: string): Promise<void> {
    await fs.rm(this.path(digest), { force: true });
  }

  /** Every committed digest. */
  async list(): Promise<string[]> {
    const names = await fs.readdir(this.blobDir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
