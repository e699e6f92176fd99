/**
 * Layer compression detection by magic bytes (lecture concept: layers travel as tar or
 * tar+gzip; the diff ID is always the hash of the *uncompressed* tar). Media types lie often
 * enough in the wild that Docker also sniffs the bytes; so do we.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { invalidArgument } from '../../lib/errors.js';

export type Compression = 'none' | 'gzip';

/** Names the compression of a stream from its first bytes; unsupported ones are InvalidArgument. */
export function detectCompression(head: Uint8Array): Compression {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x28b52ffd) throw invalidArgument('unsupported layer compression: zstd');
  if (b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) throw invalidArgument('unsupported layer compression: xz');
  if (b.length >= 3 && b.subarray(0, 3).toString('latin1') === 'BZh') throw invalidArgument('unsupported layer compression: bzip2');
  return 'none';
}

/** True when the first 512 bytes look like a tar header or a gzip stream (a layer candidate). */
export function looksLikeLayer(head: Uint8Array): boolean {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true;
  return b.length >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar';
}

/**
 * Returns the uncompressed bytes of `input`, sniffing the first bytes. The input iterator is
 * driven by hand so that abandoning the result never destroys the producer's stream.
 */
export async function decompressed(input: AsyncIterable<Uint8Array>): Promise<{ compression: Compression; stream: AsyncIterable<Uint8Array> }> {
  const it = input[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let n = 0;
  while (n < 6) {
    const r = await it.next();
    if (r.done) break;
    head.push(r.value);
    n += r.value.length;
  }
  const first = Buffer.concat(head);
  const compression = detectCompression(first);
  async function* all(): AsyncGenerator<Uint8Array> {
    if (first.length) yield first;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (compression === 'none') return { compression, stream: all() };
  const gunzip = createGunzip();
  pipeline(Readable.from(all()), gunzip, () => undefined); // errors surface on `gunzip` itself
  return { compression, stream: gunzip };
}
