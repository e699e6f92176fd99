/**
 * The image service (dockerd's image service over containerd's content store and
 * snapshotter; lecture concept: images are stored once, named by tags, and unpacked into
 * shared read-only layers). This file holds the state and the small verbs; the larger verbs
 * live in one file each (load, save, import, remove, history). Layer snapshots are unpacked in
 * the background after a load (unpacker.ts); the snapshotter waits for them on use.
 */
import path from 'node:path';
import { invalidArgument, notFound } from '../../lib/errors.js';
import type { Host } from '../../host/host.js';
import { ContentStore } from '../content/store.js';
import { OverlaySnapshotter, type Snapshotter } from '../snapshots/snapshotter.js';
import { cleanupPending, commitImage, prepareImage, type PendingImage, type Stores } from './commit.js';
import { familiarOf, familiarString, parseReference, referenceString, withDefaultTag } from './reference.js';
import { ImageStore } from './store.js';
import type { ImageRecord, StoredImage } from './types.js';
import { loadArchive } from './load.js';
import { saveArchive } from './save.js';
import { importRootfs, type ImportOptions } from './import.js';
import { collectGarbage, pruneImages, removeImage, type DeleteItem, type RemoveOptions, type PruneOptions } from './remove.js';
import { imageHistory, type HistoryItem } from './history.js';
import { LayerUnpacker, type LayerSource } from './unpacker.js';
import { Leases } from './leases.js';
import { createChildImage, findCached, type ChildImageRequest } from './child.js';

export type { ImageRecord, ImageConfig } from './types.js';
export type { ChildImageRequest, DeleteItem, HistoryItem, ImportOptions, PruneOptions, RemoveOptions };

/** A promise chain used as a mutex: metadata changes and garbage collection run one at a time. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class ImageService {
  readonly lock = new Lock();
  readonly unpacker: LayerUnpacker;
  /** Blobs and chains that operations in progress (pulls) need; garbage collection keeps them. */
  readonly leases = new Leases();

  private constructor(
    readonly dataRoot: string,
    readonly host: Host,
    readonly content: ContentStore,
    readonly overlay: OverlaySnapshotter,
    readonly store: ImageStore,
  ) {
    this.unpacker = new LayerUnpacker(this.stores, (c) => this.sourceOf(c));
    overlay.waitFor = (ids) => this.unpacker.ensure(ids);
  }

  /** The snapshotter the container code mounts from. */
  get snapshots(): Snapshotter {
    return this.overlay;
  }

  get stores(): Stores {
    return { content: this.content, snapshots: this.overlay, host: this.host };
  }

  /**
   * Opens the image stores under `dataRoot` and reconciles them: records whose blobs are
   * missing are dropped, tags to missing images are dropped, blobs and snapshots nobody
   * references (left by a crash mid-load) are deleted, and snapshots that images need but that
   * are missing (a crash before the background unpack finished) are queued for unpacking.
   */
  static async open(dataRoot: string, host: Host): Promise<ImageService> {
    const content = await ContentStore.open(path.join(dataRoot, 'content'));
    const overlay = await OverlaySnapshotter.open(path.join(dataRoot, 'snapshots'), host);
    const store = await ImageStore.open(path.join(dataRoot, 'images'));
    const svc = new ImageService(dataRoot, host, content, overlay, store);
    await svc.reconcile();
    for (const img of svc.store.images.values()) svc.scheduleUnpack(img);
    return svc;
  }

  /** Where chain `chainId` can be unpacked from: the first stored image that has it. */
  private sourceOf(chainId: string): LayerSource | undefined {
    for (const img of this.store.images.values()) {
      const i = img.chainIds.indexOf(chainId);
      if (i < 0) continue;
      const l = img.layers[i]!;
      return { chainId, digest: l.digest, diffId: l.diffId, ...(i > 0 ? { parent: img.chainIds[i - 1] } : {}) };
    }
    return undefined;
  }

  /** Queues the unpack of every layer of `img`, in chain order (committed ones are skipped). */
  private scheduleUnpack(img: StoredImage): void {
    for (const c of img.chainIds) {
      const src = this.sourceOf(c);
      if (src) void this.unpacker.schedule(src);
    }
  }

  /** Resolves when no layer is being unpacked (tests; an orderly shutdown). */
  idle(): Promise<void> {
    return this.unpacker.idle();
  }

  /** Abandons background unpacks; their staging is removed now or at the next open. */
  close(): Promise<void> {
    return this.unpacker.close();
  }

  private async reconcile(): Promise<void> {
    const blobs = new Set(await this.content.list());
    const chains = new Set(await this.overlay.list());
    for (const img of [...this.store.images.values()]) {
      // Snapshots are not required: they are derived from the blobs and unpacked again.
      const complete =
        blobs.has(img.id) && img.layers.every((l) => blobs.has(l.digest)) && (!img.manifestDigest || blobs.has(img.manifestDigest));
      if (!complete) await this.store.deleteImage(img.id);
    }
    let refsChanged = false;
    for (const [ref, id] of [...this.store.refs]) {
      if (!this.store.images.has(id)) {
        this.store.deleteRef(ref);
        refsChanged = true;
      }
    }
    if (refsChanged) await this.store.saveRefs();
    await collectGarbage(this, { blobs: [...blobs], chains: [...chains] });
  }

  /** The public view of a stored image. */
  toRecord(img: StoredImage): ImageRecord {
    const refs = this.store.refsOf(img.id);
    return {
      id: img.id,
      repoTags: refs.filter((r) => !r.includes('@')).map(familiarOf),
      repoDigests: refs.filter((r) => r.includes('@')).map(familiarOf),
      created: img.created,
      size: img.size,
      config: img.config,
      chainIds: img.chainIds,
      ...(img.parent ? { parent: img.parent } : {}),
    };
  }

  /** Every image, newest first. */
  list(): ImageRecord[] {
    return [...this.store.images.values()].sort((a, b) => Date.parse(b.created) - Date.parse(a.created) || a.id.localeCompare(b.id)).map((i) => this.toRecord(i));
  }

  /** The stored image `ref` names (see `resolve`). */
  lookup(ref: string): StoredImage {
    const hex = /^(?:sha256:)?([a-f0-9]{64})$/.exec(ref);
    if (hex) {
      const img = this.store.images.get(`sha256:${hex[1]}`);
      if (img) return img;
      throw notFound(`No such image: ${ref}`);
    }
    const parsed = parseReference(ref); // InvalidArgument for a malformed reference, as Docker
    const named = withDefaultTag(parsed);
    const id = this.store.refs.get(referenceString(named));
    if (id && this.store.images.has(id)) return this.store.images.get(id)!;
    // Not a name: a unique prefix of an image ID (with or without `sha256:`).
    const prefix = /^(?:sha256:)?([a-f0-9]+)$/.exec(ref)?.[1];
    if (prefix) {
      const hits = [...this.store.images.keys()].filter((k) => k.startsWith(`sha256:${prefix}`));
      if (hits.length === 1) return this.store.images.get(hits[0]!)!;
    }
    throw notFound(`No such image: ${familiarString(named)}`);
  }

  /** Finds an image by name[:tag], name@digest, `sha256:<hex>`, bare hex ID or unique ID prefix. */
  resolve(ref: string): ImageRecord {
    return this.toRecord(this.lookup(ref));
  }

  /** When the image was last tagged (inspect's Metadata.LastTagTime). */
  lastTagTime(id: string): string | undefined {
    return this.store.lastTagTime.get(id);
  }

  /** Points `target` (default tag `latest`) at the image `source` names. */
  async tag(source: string, target: string): Promise<void> {
    const ref = withDefaultTag(parseReference(target));
    if (ref.digest !== undefined) throw invalidArgument(`refusing to create a tag with a digest reference: ${target}`);
    await this.lock.run(async () => {
      const img = this.lookup(source);
      this.store.setRef(referenceString(ref), img.id);
      await this.store.saveRefs();
    });
  }

  /**
   * Stores prepared images and points `refs[i]` at image i. Returns the `docker load` lines.
   * Staging is released whether or not this succeeds.
   */
  async addImages(pending: Array<{ image: PendingImage; refs: string[] }>): Promise<{ lines: string[]; images: StoredImage[] }> {
    const s = this.stores;
    try {
      const prepared: Array<Awaited<ReturnType<typeof prepareImage>>> = [];
      for (const p of pending) prepared.push(await prepareImage(s, p.image));
      const added = await this.lock.run(async () => {
        const lines: string[] = [];
        const images: StoredImage[] = [];
        for (const [i, p] of pending.entries()) {
          let img = await commitImage(s, p.image, prepared[i]!.config, prepared[i]!.chain);
          const existing = this.store.images.get(img.id);
          if (existing) img = existing;
          else await this.store.putImage(img);
          images.push(img);
          for (const r of p.refs) {
            const old = this.store.setRef(r, img.id);
            if (old && old !== img.id) lines.push(`The image ${familiarOf(r)} already exists, renaming the old one with ID ${old} to empty string`);
            lines.push(`Loaded image: ${familiarOf(r)}`);
          }
          if (p.refs.length === 0) lines.push(`Loaded image ID: ${img.id}`);
        }
        await this.store.saveRefs();
        return { lines, images };
      });
      // The image is complete without its snapshots: unpack them after returning.
      for (const img of added.images) this.scheduleUnpack(img);
      return added;
    } finally {
      await cleanupPending(pending.flatMap((p) => p.image.layers));
    }
  }

  /** `docker load`: a docker-archive or OCI layout tar. */
  load(tar: NodeJS.ReadableStream): Promise<string[]> {
    return loadArchive(this, chunksOf(tar));
  }

  /** `docker import`: a root file system tar (optionally gzip) as a one-layer image. */
  importRootfs(tar: NodeJS.ReadableStream, opts: ImportOptions): Promise<ImageRecord> {
    return importRootfs(this, chunksOf(tar), opts);
  }

  /** `docker save`: a docker-archive (with OCI index) of the named images. Unknown names throw now. */
  save(refs: string[]): NodeJS.ReadableStream {
    return saveArchive(this, refs);
  }

  /** A new image on top of `req.parent` (commit, build steps). */
  createChild(req: ChildImageRequest): Promise<ImageRecord> {
    return createChildImage(this, req);
  }

  /** The build cache: the newest local child of `parent` whose recorded step `matches`. */
  cachedChild(parent: string, matches: Parameters<typeof findCached>[2]): string | undefined {
    return findCached(this, parent, matches);
  }

  history(ref: string): HistoryItem[] {
    return imageHistory(this, ref);
  }

  remove(ref: string, opts: RemoveOptions): Promise<DeleteItem[]> {
    return removeImage(this, ref, opts);
  }

  prune(opts: PruneOptions): Promise<{ ImagesDeleted: DeleteItem[]; SpaceReclaimed: number }> {
    return pruneImages(this, opts);
  }
}

/**
 * The chunks of a stream, without destroying it when we stop early: for an HTTP request that
 * would close the connection before the error response is written.
 */
function chunksOf(s: NodeJS.ReadableStream): AsyncIterable<Uint8Array> {
  const r = s as NodeJS.ReadableStream & { iterator?: (o: { destroyOnReturn: boolean }) => AsyncIterable<Uint8Array> };
  return typeof r.iterator === 'function' ? r.iterator({ destroyOnReturn: false }) : (s as AsyncIterable<Uint8Array>);
}
