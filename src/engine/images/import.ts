/**
 * `docker import` (lecture concept: an image can be made from nothing but a root file system
 * tar; it becomes one read-only layer plus a config). The input may be gzip-compressed; the
 * layer is stored uncompressed, so its blob digest is its diff ID. The bytes are read once:
 * hashed into the content store and validated as a tar (snapshots/scan.ts) at the same time;
 * the snapshot is unpacked in the background afterwards (unpacker.ts).
 */
import { invalidArgument, BerthError, messageOf } from '../../lib/errors.js';
import { decompressed } from '../snapshots/compression.js';
import { Feed } from '../snapshots/feed.js';
import { scanLayer } from '../snapshots/scan.js';
import type { UnpackResult } from '../snapshots/unpack.js';
import { applyChanges } from '../build/changes.js';
import type { PendingLayer } from './commit.js';
import { hostPlatform } from './platform.js';
import { parseReference, referenceString, withDefaultTag } from './reference.js';
import type { ImageService } from './service.js';
import { MEDIA, type ImageConfig, type ImageRecord } from './types.js';

export interface ImportOptions {
  /** Repository, optionally with a tag (`app` or `app:v1`). */
  repo?: string;
  /** Tag overriding any tag in `repo`. */
  tag?: string;
  /** Dockerfile-style config changes (`CMD ["sh"]`, `ENV A=b`, …). */
  changes?: string[];
  /** History comment; Docker's default is "Imported from -". */
  message?: string;
}

const EOF_MARKER = 1024; // a tar ends with two zero blocks

/** The normalized reference `repo` (with `tag` overriding its tag) names, if any (import, commit). */
export function targetRef(opts: { repo?: string; tag?: string }): string | undefined {
  if (!opts.repo) {
    if (opts.tag) throw invalidArgument('tag requires a repository');
    return undefined;
  }
  let ref = parseReference(opts.repo);
  if (ref.digest !== undefined) throw invalidArgument('cannot import digest reference');
  if (opts.tag) {
    ref = parseReference(`${referenceString({ domain: ref.domain, path: ref.path })}:${opts.tag}`);
  }
  return referenceString(withDefaultTag(ref));
}

export async function importRootfs(svc: ImageService, input: AsyncIterable<Uint8Array>, opts: ImportOptions): Promise<ImageRecord> {
  const ref = targetRef(opts);
  const runtime = applyChanges({}, opts.changes ?? []); // bad changes fail before reading the body
  const writer = svc.content.writer();
  const feed = new Feed();
  const unpacking: Promise<UnpackResult> = scanLayer(feed);
  unpacking.catch(() => feed.close()); // a failed scan stops the producer from waiting
  let tail = Buffer.alloc(0);
  try {
    const { stream } = await decompressed(input);
    for await (const chunk of stream) {
      await writer.write(chunk);
      await feed.push(chunk);
      tail = Buffer.concat([tail, chunk]).subarray(-EOF_MARKER);
    }
    feed.end();
    const r = await unpacking;
    const digest = await writer.finish();
    // A rootfs tar that stops without its end-of-archive blocks was cut short.
    if (writer.size === 0) throw invalidArgument('invalid tar: empty input');
    if (tail.length < EOF_MARKER || tail.some((b) => b !== 0)) throw invalidArgument('invalid tar: unexpected end of archive (truncated?)');
    const created = new Date().toISOString();
    const comment = opts.message || 'Imported from -';
    const { os, architecture } = hostPlatform();
    const config: ImageConfig = {
      architecture,
      comment,
      config: runtime,
      created,
      history: [{ created, comment }],
      os,
      rootfs: { type: 'layers', diff_ids: [r.diffId] },
    };
    const layer: PendingLayer = { digest, blobSize: writer.size, mediaType: MEDIA.ociLayer, diffId: r.diffId, size: r.size, blob: writer };
    const { images } = await svc.addImages([{ image: { configBytes: Buffer.from(JSON.stringify(config)), layers: [layer] }, refs: ref ? [ref] : [] }]);
    return svc.toRecord(images[0]!);
  } catch (err) {
    feed.close();
    await unpacking.catch(() => undefined);
    await writer.abort();
    if (err instanceof BerthError) throw err;
    throw invalidArgument(`invalid tar: ${messageOf(err)}`);
  }
}
