/**
 * Layer validation without extraction (lecture concept: a layer is a tar of changes; its diff
 * ID is the hash of the uncompressed tar). `docker load` runs this while the bytes stream into
 * the content store, so the load path proves a layer well-formed and learns its diff ID and
 * size without creating a single file; the real extraction (unpack.ts) runs later, in the
 * background, into a staging snapshot.
 *
 * The checks are exactly the extractor's verdicts that do not depend on file system state:
 * a name or hardlink target climbing above the root, degenerate whiteouts, an empty hardlink
 * target, and tar/gzip format errors. Whatever depends on what earlier entries created (a
 * hardlink to a missing file, a path through a regular file) is only known when unpacking;
 * such a failure marks the layer unusable instead (see images/unpacker.ts).
 */
import type tar from 'tar-stream';
import { invalidArgument } from '../../lib/errors.js';
import { splitName, type UnpackResult } from './unpack.js';
import { walkLayer } from './walk.js';

/** Parses a layer (tar or gzip tar) end to end; returns its diff ID and size, or InvalidArgument. */
export async function scanLayer(input: AsyncIterable<Uint8Array>): Promise<UnpackResult> {
  let size = 0;
  const diffId = await walkLayer(input, 'scan', async (e) => {
    checkEntry(e.header);
    if (isFile(e.header)) size += e.header.size ?? 0;
    for await (const _ of e); // data is only hashed, never written
  });
  return { diffId, size };
}

function isFile(h: tar.Header): boolean {
  return h.type === 'file' || h.type === 'contiguous-file' || h.type === undefined || h.type === null;
}

/** The extractor's state-free rejections, in the same words. */
export function checkEntry(h: tar.Header): void {
  const comps = splitName(h.name);
  const base = comps[comps.length - 1];
  if (base?.startsWith('.wh.') && base !== '.wh..wh..opq') {
    const name = base.slice('.wh.'.length);
    if (name === '' || name === '.' || name === '..') throw invalidArgument(`invalid whiteout entry "${base}"`);
  }
  if (h.type === 'link' && comps.length > 0) {
    if (splitName(h.linkname ?? '').length === 0) throw invalidArgument(`invalid hardlink "${h.name}": empty target`);
  }
}
