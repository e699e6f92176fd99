/**
 * A hijacked connection (`attach`, `exec start`): after the HTTP answer, the connection carries
 * the process's output one way and the client's input the other.
 *
 * Output is raw bytes with a TTY, otherwise Docker's multiplexed framing: an 8-byte header
 * (stream 1 = stdout, 2 = stderr; 3 bytes zero; big-endian length) before each chunk.
 * Input is raw bytes; the client half-closes the connection when its input ends.
 */
import type { Duplex } from 'node:stream';
import { frame } from '../containers/logs.js';
import type { Ctx } from '../api/router.js';
import { DetachScanner } from '../../lib/detach-keys.js';

export function streamContentType(tty: boolean, version: number): string {
  return !tty && version >= 1.42 ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}

/** Answers the request: 101 when the client asked to upgrade, else 200 on the plain connection. */
export function beginStream(ctx: Ctx, socket: Duplex, tty: boolean): void {
  const upgrade = /upgrade/i.test(String(ctx.req.headers.connection ?? ''));
  socket.write(
    (upgrade ? 'HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n' : 'HTTP/1.1 200 OK\r\n') +
      `Content-Type: ${streamContentType(tty, ctx.version)}\r\nApi-Version: ${ctx.res.getHeader('Api-Version') ?? ''}\r\n\r\n`,
  );
}

/** Writes one chunk of output in the connection's form. */
export function outputWriter(socket: Duplex, tty: boolean): (stream: 'stdout' | 'stderr', data: Buffer) => void {
  return (stream, data) => {
    if (socket.destroyed || socket.writableEnded || !data.length) return;
    socket.write(tty ? data : frame(stream, data));
  };
}

export interface InputHandlers {
  data(chunk: Buffer): void;
  /** The client's input ended (half-close) — not called after a detach. */
  end(): void;
  detach(): void;
}

/**
 * Reads the client's input, watching for the detach keys. `early` holds input that arrived
 * together with the request.
 */
export function readInput(socket: Duplex, early: Buffer, keys: Buffer, h: InputHandlers): void {
  const scanner = new DetachScanner(keys);
  let detached = false;
  const onData = (chunk: Buffer) => {
    if (detached) return;
    const { pass, detach } = scanner.feed(chunk);
    if (pass.length) h.data(pass);
    if (detach) {
      detached = true;
      h.detach();
    }
  };
  if (early.length) onData(early);
  socket.on('data', onData);
  socket.resume(); // the server paused it after reading the request body
  socket.once('end', () => {
    if (!detached) h.end();
  });
}
