/**
 * `docker history` (lecture concept: each layer records the instruction that made it). Built
 * from the config's history list, newest first; empty-layer entries (ENV, CMD…) have size 0.
 * As in dockerd, only the image itself (and its parents, when known) has an ID; older steps
 * show `<missing>`.
 */
import { internal } from '../../lib/errors.js';
import type { ImageService } from './service.js';

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export function imageHistory(svc: ImageService, ref: string): HistoryItem[] {
  const img = svc.lookup(ref);
  const out: HistoryItem[] = [];
  let layer = 0;
  for (const h of img.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      if (layer >= img.layerSizes.length) throw internal('too many non-empty layers in History section');
      size = img.layerSizes[layer++]!;
    }
    out.unshift({
      Id: '<missing>',
      Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  // Walk the parent chain for IDs and tags, as far as parents are known.
  let cur: typeof img | undefined = img;
  for (const item of out) {
    if (!cur) break;
    const rec = svc.toRecord(cur);
    item.Id = cur.id;
    item.Tags = rec.repoTags.length ? rec.repoTags : null;
    cur = cur.parent ? svc.store.images.get(cur.parent) : undefined;
  }
  return out;
}
