/**
 * Making a new image on top of another (lecture concept: an image is its parent's layers plus
 * one more, and a config; `docker commit` and every build step do exactly this). The new layer
 * arrives as a tar stream, is stored uncompressed (its digest is its diff ID) and validated while
 * it streams; an empty layer is dropped and the step recorded as `empty_layer` in the history,
 * as Docker does. The snapshot of the new layer is unpacked in the background (unpacker.ts).
 */
import { digestOf } from '../content/store.js';
import { Feed } from '../snapshots/feed.js';
import { scanLayer } from '../snapshots/scan.js';
import type { UnpackResult } from '../snapshots/unpack.js';
import type { PendingLayer } from './commit.js';
import { hostPlatform } from './platform.js';
import type { ImageService } from './service.js';
import { MEDIA, type HistoryEntry, type ImageConfig, type ImageRecord, type ImageRuntimeConfig } from './types.js';

/** The diff ID of a tar with no entries (two zero blocks): no layer at all. */
export const EMPTY_LAYER_DIFF_ID = digestOf(Buffer.alloc(1024));

export interface ChildImageRequest {
  /** The image built on (ID or reference); undefined for `FROM scratch`. */
  parent?: string;
  /** The new layer as a tar; omitted for a config-only step. */
  layer?: AsyncIterable<Uint8Array>;
  /** The runtime config of the new image. */
  config: ImageRuntimeConfig;
  /** The step as the legacy builder records it (the build cache compares it). */
  containerConfig?: ImageRuntimeConfig;
  containerId?: string;
  /** History line of the step. */
  createdBy: string;
  author?: string;
  comment?: string;
  /** Normalized references to point at the new image. */
  refs?: string[];
}

/** Streams a layer into the content store while checking it; undefined when it is empty. */
async function storeLayer(svc: ImageService, input: AsyncIterable<Uint8Array>): Promise<PendingLayer | undefined> {
  const writer = svc.content.writer();
  const feed = new Feed();
  const scanning: Promise<UnpackResult> = scanLayer(feed);
  scanning.catch(() => feed.close());
  try {
    for await (const chunk of input) {
      await writer.write(chunk);
      await feed.push(chunk);
    }
    feed.end();
    const r = await scanning;
    const digest = await writer.finish();
    if (r.diffId === EMPTY_LAYER_DIFF_ID) {
      await writer.abort();
      return undefined;
    }
    return { digest, blobSize: writer.size, mediaType: MEDIA.ociLayer, diffId: r.diffId, size: r.size, blob: writer };
  } catch (err) {
    feed.close();
    await scanning.catch(() => undefined);
    await writer.abort();
    throw err;
  }
}

/** Stores the child image `req` describes and returns it. */
export async function createChildImage(svc: ImageService, req: ChildImageRequest): Promise<ImageRecord> {
  const parent = req.parent ? svc.lookup(req.parent) : undefined;
  const layer = req.layer ? await storeLayer(svc, req.layer) : undefined;
  const created = new Date().toISOString();
  const history: HistoryEntry = {
    created,
    created_by: req.createdBy,
    ...(req.author ? { author: req.author } : {}),
    ...(req.comment ? { comment: req.comment } : {}),
    ...(layer ? {} : { empty_layer: true }),
  };
  const platform = parent ? { architecture: parent.config.architecture, os: parent.config.os, ...(parent.config.variant ? { variant: parent.config.variant } : {}) } : hostPlatform();
  const config: ImageConfig = {
    ...platform,
    ...(req.author ? { author: req.author } : {}),
    ...(req.comment ? { comment: req.comment } : {}),
    config: req.config,
    ...(req.containerId ? { container: req.containerId } : {}),
    ...(req.containerConfig ? { container_config: req.containerConfig } : {}),
    created,
    history: [...(parent?.config.history ?? []), history],
    rootfs: { type: 'layers', diff_ids: [...(parent?.config.rootfs.diff_ids ?? []), ...(layer ? [layer.diffId!] : [])] },
  };
  // The parent's layers are in the store already: listed with what is known of them, no staging.
  const layers: PendingLayer[] = (parent?.layers ?? []).map((l, i) => ({ digest: l.digest, blobSize: l.blobSize, mediaType: l.mediaType, diffId: l.diffId, size: parent!.layerSizes[i] ?? 0 }));
  if (layer) layers.push(layer);
  const pending = { configBytes: Buffer.from(JSON.stringify(config)), layers, builtLocally: true, ...(parent ? { parent: parent.id } : {}) };
  const { images } = await svc.addImages([{ image: pending, refs: req.refs ?? [] }]);
  return svc.toRecord(images[0]!);
}

/** The most recent locally built child of `parent` ('' for scratch) whose step matches `key`. */
export function findCached(svc: ImageService, parent: string, matches: (containerConfig: ImageRuntimeConfig | undefined) => boolean): string | undefined {
  let best: { id: string; created: number } | undefined;
  for (const img of svc.store.images.values()) {
    if (!img.builtLocally || (img.parent ?? '') !== parent) continue;
    if (!matches(img.config.container_config)) continue;
    const created = Date.parse(img.created);
    if (!best || created > best.created) best = { id: img.id, created };
  }
  return best?.id;
}
