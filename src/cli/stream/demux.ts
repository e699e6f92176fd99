/**
 * The Docker multiplexed-stream format (pkg/stdcopy), client side: attach, logs and exec
 * output of non-TTY containers arrive as frames `[stream, 0, 0, 0, size (u32 BE)] payload`,
 * stream 1 = stdout, 2 = stderr, 0 = stdin echoed on stdout, 3 = an error from the daemon.
 */
import type { Readable, Writable } from 'node:stream';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEMERR = 3;
const HEADER = 8;

/** A daemon error carried inside the stream, or a malformed frame. */
export class StreamError extends Error {}

/**
 * Incremental frame parser: feed it chunks as they arrive, frames are delivered whole
 * to `onFrame` (a frame may span many chunks, and a chunk may hold many frames).
 */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: number, payload: Buffer) => void) {}

  /** Adds bytes; throws StreamError on a system error frame or an unknown stream type. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= HEADER) {
      const stream = this.buf[0]!;
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < HEADER + size) break;
      const payload = this.buf.subarray(HEADER, HEADER + size);
      this.buf = this.buf.subarray(HEADER + size);
      if (stream === SYSTEMERR) throw new StreamError(`error from daemon in stream: ${payload.toString()}`);
      if (stream !== STDIN && stream !== STDOUT && stream !== STDERR) {
        throw new StreamError(`Unrecognized input header: ${stream}`);
      }
      this.onFrame(stream, payload);
    }
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.buf.length;
  }
}

async function write(dst: Writable, data: Buffer): Promise<void> {
  if (!dst.write(data)) await new Promise<void>((resolve) => dst.once('drain', resolve));
}

/** Copies a multiplexed stream to stdout/stderr until it ends. */
export async function demultiplex(src: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  const frames: { stream: number; payload: Buffer }[] = [];
  const demux = new Demuxer((stream, payload) => frames.push({ stream, payload }));
  for await (const chunk of src) {
    demux.push(chunk as Buffer);
    for (const f of frames.splice(0)) await write(f.stream === STDERR ? stderr : stdout, f.payload);
  }
}

/** Copies a raw (TTY) stream to `out` until it ends. */
export async function copyRaw(src: Readable, out: Writable): Promise<void> {
  for await (const chunk of src) await write(out, chunk as Buffer);
}
