/**
 * Blob uploads, the push half of the Distribution API: `POST /v2/<name>/blobs/uploads/`
 * (monolithic with `?digest=`, cross-repository mount with `?mount=&from=`, or the start of
 * a session), then `PATCH` chunks, `PUT ?digest=` to finish, `GET` for the status and
 * `DELETE` to cancel.
 *
 * A session streams into one content-store ingest file while hashing, so finishing costs no
 * second read and the digest is checked before the blob's atomic rename: a mismatch stores
 * nothing. Sessions live in memory (a restart forgets them and clears the ingest folder, and
 * clients start over), and operations on one session run one at a time.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { BlobWriter } from '../engine/content/store.js';
import { log } from '../lib/log.js';
import { regErr, toRegistryError } from './errors.js';
import { hasBody, repoPath, send, type Ctx } from './http.js';
import { checkDigest, isValidName } from './names.js';
import type { RegistryStorage } from './storage.js';

interface Session {
  id: string;
  name: string;
  writer: BlobWriter;
  touched: number;
  /** Tail of the queue of operations on this session (see `exclusive`). */
  queue: Promise<void>;
}

/** Open sessions hold a file descriptor each; past this many, new ones get 429. */
const MAX_SESSIONS = 512;
/** Sessions idle this long are cancelled (a client that vanished mid-push). */
const IDLE_MS = 60 * 60 * 1000;

/** The open upload sessions of one server. */
export class UploadManager {
  private readonly sessions = new Map<string, Session>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly storage: RegistryStorage,
    private readonly idleMs = IDLE_MS,
  ) {
    this.timer = setInterval(() => void this.purgeIdle(), Math.min(idleMs, 10 * 60 * 1000));
    this.timer.unref();
  }

  start(name: string): Session {
    if (this.sessions.size >= MAX_SESSIONS) throw regErr('TOOMANYREQUESTS', `too many uploads in progress (${MAX_SESSIONS})`);
    const s: Session = { id: randomUUID(), name, writer: this.storage.content.writer(), touched: Date.now(), queue: Promise.resolve() };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The session `id` of repository `name`; BLOB_UPLOAD_UNKNOWN otherwise. */
  get(name: string, id: string): Session {
    const s = this.sessions.get(id);
    if (!s || s.name !== name) throw regErr('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
    s.touched = Date.now();
    return s;
  }

  /** Runs `fn` after every earlier operation on `s`; fails if `s` ended meanwhile. */
  async exclusive<T>(s: Session, fn: () => Promise<T>): Promise<T> {
    const prev = s.queue;
    let release!: () => void;
    s.queue = new Promise<void>((r) => (release = r));
    await prev;
    try {
      if (this.sessions.get(s.id) !== s) throw regErr('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: s.id });
      return await fn();
    } finally {
      s.touched = Date.now();
      release();
    }
  }

  /** Ends a session and deletes what it wrote. */
  async cancel(s: Session): Promise<void> {
    this.sessions.delete(s.id);
    await s.writer.abort();
  }

  /** Ends a session whose writer has been committed. */
  forget(s: Session): void {
    this.sessions.delete(s.id);
  }

  private async purgeIdle(): Promise<void> {
    const limit = Date.now() - this.idleMs;
    for (const s of [...this.sessions.values()]) {
      if (s.touched < limit) await this.exclusive(s, () => this.cancel(s)).catch(() => undefined);
    }
  }

  /** Cancels every session (server shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.sessions.values()].map((s) => this.cancel(s)));
  }
}

/** Headers describing a session's state, sent on every session response (and 416). */
function stateHeaders(s: Session): Record<string, string> {
  return {
    Location: repoPath(s.name, `blobs/uploads/${s.id}`),
    // distribution's form: "0-0" for an empty upload, else the last byte received.
    Range: `0-${Math.max(0, s.writer.size - 1)}`,
    'Docker-Upload-UUID': s.id,
  };
}

/** Parses `Content-Range: <start>-<end>` (also accepting `bytes a-b/total`). */
function parseContentRange(v: string): { start: number; end: number } {
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(v.trim());
  if (!m || Number(m[2]) < Number(m[1])) throw regErr('BLOB_UPLOAD_INVALID', `invalid Content-Range "${v}"`);
  return { start: Number(m[1]), end: Number(m[2]) };
}

/**
 * Appends the request body to the session. A chunk must start where the upload ends (else
 * 416). A failed disk write ends the session, since its hash and file may disagree; a
 * client that disconnects keeps what arrived, and `GET` tells it where to resume.
 */
async function appendBody(mgr: UploadManager, s: Session, req: IncomingMessage): Promise<void> {
  const cr = req.headers['content-range'];
  if (cr !== undefined) {
    const { start, end } = parseContentRange(cr);
    if (start !== s.writer.size) {
      throw regErr('RANGE_INVALID', `chunk starts at ${start} but the upload has ${s.writer.size} bytes`, undefined, 416).with(stateHeaders(s));
    }
    const len = req.headers['content-length'];
    if (len !== undefined && Number(len) !== end - start + 1) {
      throw regErr('BLOB_UPLOAD_INVALID', `Content-Range ${cr} does not match Content-Length ${len}`);
    }
  }
  for await (const chunk of req as AsyncIterable<Buffer>) {
    try {
      await s.writer.write(chunk);
    } catch (err) {
      await mgr.cancel(s);
      throw err;
    }
  }
}

/** `POST /v2/<name>/blobs/uploads/`. */
export async function startUpload(ctx: Ctx): Promise<void> {
  const { url, name, storage, res } = ctx;
  const mount = url.searchParams.get('mount');
  const from = url.searchParams.get('from');
  if (mount !== null && from !== null) {
    if (!isValidName(from)) throw regErr('NAME_INVALID', 'invalid repository name', { name: from });
    const digest = checkDigest(mount);
    // Mount only from a repository that may serve the blob: a digest alone is no permission.
    if ((await storage.blobSize(from, digest)) !== undefined) {
      await storage.linkBlob(name, digest);
      return send(res, 201, { Location: repoPath(name, `blobs/${digest}`), 'Docker-Content-Digest': digest });
    }
  }
  const monolithic = url.searchParams.get('digest');
  if (monolithic !== null) {
    const digest = checkDigest(monolithic);
    const { size } = await storage.content.write(ctx.req as AsyncIterable<Uint8Array>, { digest });
    await storage.linkBlob(name, digest);
    log.debug('registry: blob stored', { name, digest, size });
    return send(res, 201, { Location: repoPath(name, `blobs/${digest}`), 'Docker-Content-Digest': digest });
  }
  const s = ctx.uploads.start(name);
  send(res, 202, stateHeaders(s));
}

/** `PATCH /v2/<name>/blobs/uploads/<uuid>`: one chunk (or a streamed body). */
export async function patchUpload(ctx: Ctx): Promise<void> {
  const s = ctx.uploads.get(ctx.name, ctx.param);
  await ctx.uploads.exclusive(s, () => appendBody(ctx.uploads, s, ctx.req));
  send(ctx.res, 202, stateHeaders(s));
}

/** `PUT /v2/<name>/blobs/uploads/<uuid>?digest=`: last chunk (optional) and verification. */
export async function finishUpload(ctx: Ctx): Promise<void> {
  const { name, storage, uploads } = ctx;
  const s = uploads.get(name, ctx.param);
  const digest = checkDigest(ctx.url.searchParams.get('digest'));
  await uploads.exclusive(s, async () => {
    if (hasBody(ctx.req)) await appendBody(uploads, s, ctx.req);
    try {
      // commit() verifies the digest before the rename and deletes the ingest file on mismatch.
      await s.writer.commit({ digest });
    } catch (err) {
      uploads.forget(s);
      throw toRegistryError(err);
    }
    uploads.forget(s);
    await storage.linkBlob(name, digest);
  });
  log.debug('registry: blob stored', { name, digest, size: s.writer.size });
  send(ctx.res, 201, { Location: repoPath(name, `blobs/${digest}`), 'Docker-Content-Digest': digest });
}

/** `GET /v2/<name>/blobs/uploads/<uuid>`: how much has arrived (204). */
export async function uploadStatus(ctx: Ctx): Promise<void> {
  const s = ctx.uploads.get(ctx.name, ctx.param);
  await ctx.uploads.exclusive(s, async () => undefined);
  send(ctx.res, 204, stateHeaders(s));
}

/** `DELETE /v2/<name>/blobs/uploads/<uuid>`: cancels the upload (204). */
export async function cancelUpload(ctx: Ctx): Promise<void> {
  const s = ctx.uploads.get(ctx.name, ctx.param);
  await ctx.uploads.exclusive(s, () => ctx.uploads.cancel(s));
  send(ctx.res, 204);
}
