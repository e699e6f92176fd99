/**
 * Walking a layer tar entry by entry: decompress if needed, hash the uncompressed bytes (the
 * layer's diff ID), and hand each entry to a visitor. Shared by the load-time scan (scan.ts)
 * and the extraction (unpack.ts), so both read layers and classify failures the same way.
 */
import { createHash } from 'node:crypto';
import tar from 'tar-stream';
import { BerthError, internal, invalidArgument, messageOf } from '../../lib/errors.js';
import { decompressed } from './compression.js';
import { waitDrain } from './feed.js';

export type LayerEntry = AsyncIterable<Uint8Array> & { header: tar.Header };

/**
 * Visits every entry of the layer; `finish` runs once all entries were visited. Returns the diff
 * ID. Our own verdicts (BerthError) pass through, system-call failures are Internal, and tar or
 * gzip format errors are InvalidArgument. `noun` names the tar in messages (`docker cp` archives
 * are walked here too).
 */
export async function walkLayer(input: AsyncIterable<Uint8Array>, what: string, visit: (e: LayerEntry) => Promise<void>, finish?: () => Promise<void>, noun = 'layer'): Promise<string> {
  const hash = createHash('sha256');
  const extract = tar.extract();
  let feedError: unknown;
  // The async iterator reports only "Stream was destroyed"; keep the parser's own reason.
  extract.on('error', (e: unknown) => (feedError ??= e));
  const feed = (async () => {
    try {
      const { stream } = await decompressed(input);
      for await (const chunk of stream) {
        hash.update(chunk);
        if (extract.destroyed) return;
        if (!extract.write(chunk)) await waitDrain(extract);
      }
      extract.end(undefined);
    } catch (err) {
      feedError = err;
      extract.destroy(err as Error);
    }
  })();
  try {
    for await (const entry of extract) await visit(entry as unknown as LayerEntry);
    await feed;
    if (feedError) throw feedError;
    await finish?.();
  } catch (err) {
    const reason = feedError ?? err; // before destroy() adds its own error
    extract.destroy(new Error(`${what} aborted`));
    await feed;
    if (reason instanceof BerthError) throw reason;
    if ((reason as NodeJS.ErrnoException)?.syscall) throw internal(`${what} ${noun}: ${messageOf(reason)}`, reason);
    throw invalidArgument(`invalid ${noun} tar: ${messageOf(reason)}`);
  }
  return `sha256:${hash.digest('hex')}`;
}
