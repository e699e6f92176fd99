/**
 * Turning staged layers and a config into a stored image (the last step of load and import;
 * lecture concept: an image is its config plus its ordered layers, identified by the config's
 * hash). Order matters for crash safety: layer blobs first, then the config blob, then the
 * image record, then the tags. A crash in between leaves only unreferenced blobs, which the
 * next open garbage-collects; never a record without its blobs. Layer snapshots are NOT part
 * of a commit: they are derived data, unpacked in the background afterwards (unpacker.ts), and
 * a record whose snapshots are missing is still a whole image.
 */
import { createReadStream } from 'node:fs';
import { internal, invalidArgument } from '../../lib/errors.js';
import type { Host } from '../../host/host.js';
import { digestOf, type BlobWriter, type ContentStore } from '../content/store.js';
import { scanLayer } from '../snapshots/scan.js';
import { chainIds, type OverlaySnapshotter } from '../snapshots/snapshotter.js';
import type { ImageConfig, StoredImage } from './types.js';

/** A layer on its way into the stores. Shared by every pending image that uses the same blob. */
export interface PendingLayer {
  /** Blob digest as stored. */
  digest: string;
  blobSize: number;
  mediaType: string;
  /** Verified diff ID when the layer was scanned while streaming; otherwise filled in later. */
  diffId?: string;
  /** Unpacked size when known. */
  size?: number;
  /** Staged, finished, uncommitted blob (absent when the blob is already in the store). */
  blob?: BlobWriter;
}

export interface PendingImage {
  configBytes: Buffer;
  layers: PendingLayer[];
  manifestBytes?: Buffer;
  /** The image this one was made from (commit and build steps; the build cache follows it). */
  parent?: string;
  /** Made here by commit or build, so the build cache may reuse it. */
  builtLocally?: boolean;
}

export interface Stores {
  content: ContentStore;
  snapshots: OverlaySnapshotter;
  host: Host;
}

/** Parses and sanity-checks an image config. */
export function parseConfig(bytes: Buffer): ImageConfig {
  let cfg: ImageConfig;
  try {
    cfg = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw invalidArgument('invalid image config: not JSON');
  }
  if (!cfg || typeof cfg !== 'object' || !cfg.rootfs || !Array.isArray(cfg.rootfs.diff_ids))
    throw invalidArgument('invalid image config: rootfs.diff_ids missing');
  return cfg;
}

/** Where a pending layer's bytes can be read from right now. */
function blobPath(s: Stores, l: PendingLayer): string {
  return l.blob ? l.blob.tmpPath : s.content.path(l.digest);
}

/** Scans a layer blob that was not scanned while streaming (validation, diff ID, size). */
async function scanBlob(s: Stores, l: PendingLayer): Promise<void> {
  const r = await scanLayer(createReadStream(blobPath(s, l)));
  l.diffId = r.diffId;
  l.size = r.size;
}

/**
 * Before taking the store lock: makes sure every layer's diff ID is known and matches the
 * config, and its size is known. Slow work happens here.
 */
export async function prepareImage(s: Stores, img: PendingImage): Promise<{ config: ImageConfig; chain: string[] }> {
  const config = parseConfig(img.configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== img.layers.length) throw invalidArgument(`image config lists ${diffIds.length} layers, the archive has ${img.layers.length}`);
  const chain = chainIds(diffIds);
  for (const [i, l] of img.layers.entries()) {
    if (l.diffId === undefined || l.size === undefined) await scanBlob(s, l);
    if (l.diffId !== diffIds[i]) throw invalidArgument(`layer ${l.digest}: diff ID mismatch: expected ${diffIds[i]}, got ${l.diffId}`);
  }
  return { config, chain };
}

/** Commits a prepared image's data and record. Call with the store lock held. */
export async function commitImage(s: Stores, img: PendingImage, config: ImageConfig, chain: string[]): Promise<StoredImage> {
  // Sizes come from the scan: the same sum of regular file sizes the unpack would report.
  const sizes = img.layers.map((l) => l.size ?? 0);
  for (const l of img.layers) {
    if (!(await s.content.exists(l.digest))) {
      if (!l.blob) throw internal(`layer blob ${l.digest} vanished`);
      await l.blob.commit({ digest: l.digest, size: l.blobSize });
      l.blob = undefined;
    }
  }
  const id = digestOf(img.configBytes);
  if (!(await s.content.exists(id))) await s.content.write(img.configBytes, { digest: id });
  let manifestDigest: string | undefined;
  if (img.manifestBytes) {
    manifestDigest = digestOf(img.manifestBytes);
    if (!(await s.content.exists(manifestDigest))) await s.content.write(img.manifestBytes, { digest: manifestDigest });
  }
  const now = new Date().toISOString();
  return {
    id,
    created: typeof config.created === 'string' ? config.created : now,
    size: sizes.reduce((a, b) => a + b, 0),
    config,
    chainIds: chain,
    layers: img.layers.map((l, i) => ({ digest: l.digest, diffId: config.rootfs.diff_ids[i]!, blobSize: l.blobSize, mediaType: l.mediaType })),
    layerSizes: sizes,
    ...(manifestDigest ? { manifestDigest } : {}),
    ...(img.parent ? { parent: img.parent } : {}),
    ...(img.builtLocally ? { builtLocally: true } : {}),
    loadedAt: now,
  };
}

/** Drops whatever staging a pending image still holds (after success or failure). */
export async function cleanupPending(layers: Iterable<PendingLayer>): Promise<void> {
  for (const l of layers) {
    await l.blob?.abort();
    l.blob = undefined;
  }
}
