/**
 * Blob uploads to a registry (the distribution spec's push side; lecture concept: a push sends
 * only the layers the registry lacks). Three ways for a blob to get there:
 *
 * - it is already there (`HEAD /v2/<name>/blobs/<digest>` answers 200);
 * - cross-repository mount (`POST …/blobs/uploads/?mount=<digest>&from=<repo>`, 201), when we
 *   know another repository of the same registry has it — no bytes move;
 * - an upload session: monolithic (`PUT <location>?digest=` with the whole blob) for blobs up
 *   to one chunk, else chunked (`PATCH <location>` with `Content-Range: start-end` per chunk,
 *   then `PUT <location>?digest=`). The registry verifies the digest at the final PUT.
 */
import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { internal } from '../../lib/errors.js';
import { repoScope, type RegistryClient } from './client.js';
import { responseError } from './errors.js';
import type { ByteProgress } from './progress.js';
import { discard } from './transport.js';

/** Blobs up to this size go in one PUT; bigger ones in PATCH chunks of this size. */
export const DEFAULT_CHUNK_SIZE = 32 << 20;

const push = (path: string) => [repoScope(path, 'pull,push')];

/** True when the repository already has the blob. */
export async function blobExists(c: RegistryClient, path: string, digest: string, signal?: AbortSignal): Promise<boolean> {
  const res = await c.request('HEAD', `/v2/${path}/blobs/${digest}`, { scopes: push(path), signal });
  discard(res);
  if (res.statusCode === 200) return true;
  if (res.statusCode === 404) return false;
  throw await responseError(res);
}

/**
 * Asks the registry to mount `digest` from repository `from`. Returns true when mounted; else
 * the location of the upload session the registry opened instead (usable for an upload).
 */
export async function mountBlob(c: RegistryClient, path: string, digest: string, from: string, signal?: AbortSignal): Promise<true | URL> {
  const target = `/v2/${path}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
  const res = await c.request('POST', target, { scopes: [...push(path), repoScope(from, 'pull')], signal, body: Buffer.alloc(0) });
  discard(res);
  if (res.statusCode === 201) return true;
  if (res.statusCode === 202 && res.headers.location) return new URL(res.headers.location, c.origin);
  throw await responseError(res);
}

/** Opens an upload session; returns its location. */
async function startUpload(c: RegistryClient, path: string, signal?: AbortSignal): Promise<URL> {
  const res = await c.expect('POST', `/v2/${path}/blobs/uploads/`, [202], { scopes: push(path), signal, body: Buffer.alloc(0) });
  discard(res);
  if (!res.headers.location) throw internal('registry opened an upload without a Location');
  return new URL(res.headers.location, c.origin);
}

export interface UploadOptions {
  client: RegistryClient;
  path: string;
  digest: string;
  size: number;
  /** Where the blob's bytes are on disk. */
  file: string;
  signal?: AbortSignal;
  progress?: ByteProgress;
  chunkSize?: number;
  /** An upload session already open (from a failed mount). */
  location?: URL;
}

/** A stream of bytes [start, end) of the file that reports progress as it is read. */
function chunkStream(o: UploadOptions, start: number, end: number) {
  return () => {
    let done = start;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        done += chunk.length;
        o.progress?.update(done);
        cb(null, chunk);
      },
    });
    const src = end > start ? createReadStream(o.file, { start, end: end - 1 }) : Readable.from([]);
    src.on('error', (e: Error) => counter.destroy(e));
    return src.pipe(counter);
  };
}

function withDigest(location: URL, digest: string): URL {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u;
}

/** Uploads one blob (see file header). */
export async function uploadBlob(o: UploadOptions): Promise<void> {
  const c = o.client;
  const chunk = o.chunkSize ?? DEFAULT_CHUNK_SIZE;
  let location = o.location ?? (await startUpload(c, o.path, o.signal));
  const octets = (len: number) => ({ 'Content-Type': 'application/octet-stream', 'Content-Length': String(len) });
  o.progress?.update(0, true);
  if (o.size <= chunk) {
    const res = await c.expect('PUT', withDigest(location, o.digest), [201], { scopes: push(o.path), signal: o.signal, headers: octets(o.size), body: chunkStream(o, 0, o.size) });
    discard(res);
    o.progress?.update(o.size, true);
    return;
  }
  for (let start = 0; start < o.size; start += chunk) {
    const end = Math.min(o.size, start + chunk);
    const headers = { ...octets(end - start), 'Content-Range': `${start}-${end - 1}` };
    const res = await c.expect('PATCH', location, [202], { scopes: push(o.path), signal: o.signal, headers, body: chunkStream(o, start, end) });
    discard(res);
    // Each answer names where the next chunk goes (the session state may be in the URL).
    if (res.headers.location) location = new URL(res.headers.location, c.origin);
  }
  const res = await c.expect('PUT', withDigest(location, o.digest), [201], { scopes: push(o.path), signal: o.signal, headers: { 'Content-Length': '0' }, body: Buffer.alloc(0) });
  discard(res);
  o.progress?.update(o.size, true);
}
