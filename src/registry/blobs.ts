/**
 * Blob reads and deletes: `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>` (the layers and
 * configs an image pull downloads). Reads honour a single HTTP `Range` (206, or 416 when it
 * lies outside the blob), which is how clients resume a broken layer download.
 */
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { regErr } from './errors.js';
import { send, type Ctx } from './http.js';
import { isDigestLike, isSha256 } from './names.js';

/** A satisfiable byte range (inclusive ends), `unsatisfiable`, or undefined for "send it all". */
export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * Parses a `Range` header against a blob of `size` bytes, as Go's http.ServeContent does for
 * a single range: `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges are answered with the
 * whole blob (RFC 9110 allows ignoring Range); a malformed one is unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return undefined;
  const m = /^bytes=(.*)$/.exec(header.trim());
  if (!m) return 'unsatisfiable';
  if (m[1]!.includes(',')) return undefined;
  const r = /^\s*(\d*)-(\d*)\s*$/.exec(m[1]!);
  if (!r || (r[1] === '' && r[2] === '')) return 'unsatisfiable';
  if (r[1] === '') {
    const n = Number(r[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
  if (start >= size || (r[2] !== '' && Number(r[2]) < start)) return 'unsatisfiable';
  return { start, end };
}

/** The digest of the URL; a well-formed digest of another algorithm is simply unknown here. */
function urlDigest(ctx: Ctx): string {
  const d = ctx.param;
  if (isSha256(d)) return d;
  if (isDigestLike(d)) throw regErr('BLOB_UNKNOWN', undefined, d);
  throw regErr('DIGEST_INVALID', `invalid digest "${d}"`, { digest: d });
}

/** `GET`/`HEAD /v2/<name>/blobs/<digest>`. */
export async function getBlob(ctx: Ctx): Promise<void> {
  const { req, res } = ctx;
  const digest = urlDigest(ctx);
  const size = await ctx.storage.blobSize(ctx.name, digest);
  if (size === undefined) throw regErr('BLOB_UNKNOWN', undefined, digest);
  const common = {
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    // Content-addressed: the bytes behind this URL can never change.
    'Cache-Control': 'max-age=31536000',
  };
  if (req.headers['if-none-match'] === `"${digest}"`) return send(res, 304, common);
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    throw regErr('RANGE_INVALID', `range not satisfiable for a blob of ${size} bytes`).with({ 'Content-Range': `bytes */${size}` });
  }
  const [start, end] = range ? [range.start, range.end] : [0, size - 1];
  const headers: Record<string, string | number> = {
    ...common,
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Content-Length': end - start + 1,
  };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  const status = range ? 206 : 200;
  if (req.method === 'HEAD' || size === 0) return send(res, status, headers);
  const fh = await fs.open(ctx.storage.content.path(digest), 'r').catch(() => {
    throw regErr('BLOB_UNKNOWN', undefined, digest);
  });
  res.writeHead(status, headers);
  // After the headers are out, a read error can only cut the connection (the client sees a short body).
  // 1 MiB reads: with the default 64 KiB, per-chunk overhead halves the throughput of large layers.
  await pipeline(fh.createReadStream({ start, end, highWaterMark: 1 << 20 }), res).catch(() => res.destroy());
}

/** `DELETE /v2/<name>/blobs/<digest>`: removes the repository's link (202). */
export async function deleteBlob(ctx: Ctx): Promise<void> {
  const digest = urlDigest(ctx);
  if (!(await ctx.storage.unlinkBlob(ctx.name, digest))) throw regErr('BLOB_UNKNOWN', undefined, digest);
  send(ctx.res, 202);
}
