/**
 * `docker rmi` and `docker image prune` (lecture concept: removing a tag only removes a name;
 * an image's layers go away when no image needs them any more). The decision tree and the
 * conflict messages follow dockerd's image delete, because users and tests read them.
 *
 * One deliberate difference: an image a container still uses is never deleted, even with
 * force (Docker deletes it when the container is stopped). Our layer snapshots are shared by
 * image and container, so deleting the image would pull the container's root from under it;
 * with force such an image is untagged and kept, dangling, as Docker does for running ones.
 */
import { conflict } from '../../lib/errors.js';
import { digestHex } from '../content/store.js';
import { familiarOf, fullName, parseReference, referenceString, withDefaultTag } from './reference.js';
import type { ImageService } from './service.js';
import type { ImageRecord } from './types.js';

export type DeleteItem = { Untagged?: string; Deleted?: string };

export interface RemoveOptions {
  force?: boolean;
  noPrune?: boolean;
  /** A container ID using the image, if any. */
  usedBy: (imageId: string) => string | undefined;
  /** Whether that container is running (for Docker's "running"/"stopped" wording); default: stopped. */
  isRunning?: (containerId: string) => boolean;
}

export interface PruneOptions {
  /** Also remove tagged images (not only dangling ones). */
  all?: boolean;
  usedBy: (imageId: string) => string | undefined;
  /** Extra selection (label/until filters); true keeps the image a candidate. */
  filter?: (img: ImageRecord) => boolean;
}

const short = (id: string) => digestHex(id).slice(0, 12);

/** How many stored images name `id` as their parent (build steps, commits). */
function childCount(svc: ImageService, id: string): number {
  let n = 0;
  for (const img of svc.store.images.values()) if (img.parent === id) n++;
  return n;
}

/**
 * After `id` went, its parent goes too when nothing holds it any more — no tag, no child, no
 * container — and so on up the chain: a built image's untagged intermediate steps leave with it.
 */
async function pruneParents(svc: ImageService, parent: string | undefined, usedBy: (id: string) => string | undefined, items: DeleteItem[]): Promise<number> {
  let reclaimed = 0;
  while (parent && svc.store.images.has(parent)) {
    if (svc.store.refsOf(parent).length || childCount(svc, parent) > 0 || usedBy(parent)) break;
    const next = svc.store.images.get(parent)!.parent;
    reclaimed += await deleteImages(svc, [parent], items);
    parent = next;
  }
  return reclaimed;
}
const repoOf = (normalizedRef: string) => fullName(parseReference(normalizedRef));

/** Docker's isSingleReference: at most one tag, and digests only of that tag's repository. */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const canonical = new Set<string>();
  let single: string | undefined;
  for (const r of refs) {
    if (r.includes('@')) canonical.add(repoOf(r));
    else if (single === undefined) single = r;
    else return false;
  }
  return canonical.size === 1 && canonical.has(repoOf(single ?? refs[0]!));
}

interface Conflict {
  hard: boolean;
  used: boolean;
  message: string;
}

export async function removeImage(svc: ImageService, ref: string, opts: RemoveOptions): Promise<DeleteItem[]> {
  return svc.lock.run(async () => {
    const img = svc.lookup(ref);
    const id = img.id;
    const refs = () => svc.store.refsOf(id);
    const items: DeleteItem[] = [];
    const running = (c: string) => opts.isRunning?.(c) ?? false;
    const check = (mask: { stopped: boolean; activeRef: boolean }): Conflict | undefined => {
      const user = opts.usedBy(id);
      if (user && running(user)) return { hard: true, used: true, message: `image is being used by running container ${user.slice(0, 12)}` };
      if (childCount(svc, id) > 0) return { hard: true, used: false, message: 'image has dependent child images' };
      if (mask.activeRef && refs().length > 0) return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
      if (user && mask.stopped) return { hard: false, used: true, message: `image is being used by stopped container ${user.slice(0, 12)}` };
      return undefined;
    };
    const fail = (c: Conflict) => conflict(`conflict: unable to delete ${short(id)} (${c.hard ? 'cannot' : 'must'} be forced) - ${c.message}`);
    const untag = (r: string) => {
      svc.store.deleteRef(r);
      items.push({ Untagged: familiarOf(r) });
    };

    let quiet = false;
    const isIdPrefix = id.startsWith(ref) || digestHex(id).startsWith(ref);
    if (!isIdPrefix) {
      const named = withDefaultTag(parseReference(ref));
      const key = referenceString(named);
      if (!opts.force && isSingleReference(refs())) {
        const user = opts.usedBy(id);
        if (user) throw conflict(`conflict: unable to remove repository reference "${ref}" (must force) - container ${user.slice(0, 12)} is using its referenced image ${short(id)}`);
      }
      untag(key);
      if (named.digest === undefined) {
        // The last tag of a repository also takes that repository's digest references along.
        const repo = fullName(named);
        if (!refs().some((r) => !r.includes('@') && repoOf(r) === repo)) for (const r of refs()) if (r.includes('@') && repoOf(r) === repo) untag(r);
      }
      if (refs().length > 0) {
        await svc.store.saveRefs();
        return items;
      }
      quiet = true;
    } else if (isSingleReference(refs())) {
      const c = check({ stopped: !opts.force, activeRef: false });
      if (c) throw fail(c);
      for (const r of refs()) untag(r);
    }

    const c = check({ stopped: !opts.force, activeRef: !opts.force });
    if (c) {
      await svc.store.saveRefs();
      // Untagging by name only reports a conflict when the image is left dangling and unused.
      if (quiet && (refs().length > 0 || childCount(svc, id) > 0 || c.used)) return items;
      throw fail(c);
    }
    if (opts.usedBy(id)) {
      // Forced removal of an image a stopped container uses: untag, keep (see file header).
      for (const r of refs()) untag(r);
      await svc.store.saveRefs();
      return items;
    }
    for (const r of refs()) untag(r);
    await svc.store.saveRefs();
    await deleteImages(svc, [id], items);
    if (!opts.noPrune) await pruneParents(svc, img.parent, opts.usedBy, items);
    return items;
  });
}

/** Deletes image records, then every blob and layer no remaining image needs. Lock held. */
async function deleteImages(svc: ImageService, ids: string[], items: DeleteItem[]): Promise<number> {
  let reclaimed = 0;
  for (const id of ids) {
    const img = svc.store.images.get(id);
    if (!img) continue;
    await svc.store.deleteImage(id);
    items.push({ Deleted: id });
    const blobs = [id, ...img.layers.map((l) => l.digest), ...(img.manifestDigest ? [img.manifestDigest] : [])];
    const gone = await collectGarbage(svc, { blobs, chains: [...img.chainIds].reverse() });
    for (const chain of gone.chains) items.push({ Deleted: chain });
    reclaimed += gone.bytes;
  }
  return reclaimed;
}

/**
 * Deletes those `candidates` that no stored image references. Returns the deleted chain IDs
 * (in the order given) and the bytes their snapshots held.
 */
export async function collectGarbage(svc: ImageService, candidates: { blobs: string[]; chains: string[] }): Promise<{ chains: string[]; bytes: number }> {
  const usedBlobs = new Set<string>();
  const usedChains = new Set<string>();
  for (const img of svc.store.images.values()) {
    usedBlobs.add(img.id);
    for (const l of img.layers) usedBlobs.add(l.digest);
    if (img.manifestDigest) usedBlobs.add(img.manifestDigest);
    for (const c of img.chainIds) usedChains.add(c);
  }
  const unused = candidates.chains.filter((c) => !usedChains.has(c) && !svc.leases.has(c));
  // Layers still queued or being unpacked for a removed image: stop them before their blobs
  // and snapshots go (a job must neither read a deleted blob nor commit after the delete).
  for (const c of unused) await svc.unpacker.cancel(c);
  for (const b of candidates.blobs) if (!usedBlobs.has(b) && !svc.leases.has(b)) await svc.content.delete(b);
  const chains: string[] = [];
  let bytes = 0;
  for (const c of unused) {
    const info = await svc.overlay.info(c);
    await svc.overlay.delete(c);
    if (info) {
      chains.push(c);
      bytes += info.size;
    }
  }
  return { chains, bytes };
}

/** `docker image prune`: dangling images (all unused ones with `all`) that no container uses. */
export async function pruneImages(svc: ImageService, opts: PruneOptions): Promise<{ ImagesDeleted: DeleteItem[]; SpaceReclaimed: number }> {
  return svc.lock.run(async () => {
    const items: DeleteItem[] = [];
    const victims: string[] = [];
    // Images with children (a build's intermediate steps) are not candidates themselves; they go
    // with their last child below.
    for (const img of svc.list()) {
      if (!opts.all && (img.repoTags.length > 0 || img.repoDigests.length > 0)) continue;
      if (opts.usedBy(img.id) || childCount(svc, img.id) > 0) continue;
      if (opts.filter && !opts.filter(img)) continue;
      victims.push(img.id);
    }
    for (const id of victims) {
      for (const r of svc.store.refsOf(id)) {
        svc.store.deleteRef(r);
        items.push({ Untagged: familiarOf(r) });
      }
    }
    if (victims.length) await svc.store.saveRefs();
    let reclaimed = 0;
    for (const id of victims) {
      const parent = svc.store.images.get(id)?.parent;
      reclaimed += await deleteImages(svc, [id], items);
      reclaimed += await pruneParents(svc, parent, opts.usedBy, items);
    }
    return { ImagesDeleted: items, SpaceReclaimed: reclaimed };
  });
}
