/**
 * Attaching the terminal to a container (docker's hijackedIOStreamer): the hijacked
 * `/attach` connection carries container output (framed when Tty=false, raw otherwise) and,
 * with `-i`, our stdin — half-closed when stdin ends. With a TTY the local terminal goes to
 * raw mode, window sizes follow the local terminal, and Ctrl-P Ctrl-Q detaches.
 * Also here: forwarding signals to the container (`--sig-proxy`).
 */
import type { Socket } from 'node:net';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import type { Cli } from '../command.js';
import { DetachScanner, parseDetachKeys } from '../../lib/detach-keys.js';
import { detachKeysFor } from '../config.js';
import { copyRaw, demultiplex } from './demux.js';

/** What to attach and how the output is framed. */
export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** Detach sequence for TTY sessions, docker syntax (`ctrl-p,ctrl-q`). */
  detachKeys?: string;
}

/** A live attach: `done` settles when the output ends; `close` cuts the connection. */
export interface AttachSession {
  done: Promise<void>;
  /** True once the user typed the detach sequence. */
  readonly detached: boolean;
  close(): void;
}

/** Turns `\r\n` into `\n`, also when the pair is split across chunks. */
export class CrlfToLf extends Transform {
  private pendingCr = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let text = (this.pendingCr ? '\r' : '') + chunk.toString('latin1');
    this.pendingCr = text.endsWith('\r');
    if (this.pendingCr) text = text.slice(0, -1);
    done(null, Buffer.from(text.replace(/\r\n/g, '\n'), 'latin1'));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.pendingCr ? Buffer.from('\r') : null);
  }
}

/** Opens the attach connection; it must be called before the container starts. */
export async function attachContainer(cli: Cli, id: string, o: AttachOptions): Promise<AttachSession> {
  const socket: Socket = await cli.client.hijack('POST', `/containers/${encodeURIComponent(id)}/attach`, {
    query: { stream: true, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, detachKeys: detachKeysFor(o.detachKeys) },
  });
  return streamSession(cli, socket, o);
}

/**
 * Carries our terminal over a hijacked connection: output to stdout/stderr, stdin (raw with
 * a TTY) to the connection, half-closed at end of input. With a TTY the detach keys are
 * watched here too, as docker does, so detaching works whatever the daemon does.
 */
export function streamSession(cli: Cli, socket: Socket, o: AttachOptions): AttachSession {
  let detached = false;
  const input = cli.in;
  let restoreTty = () => {};
  let rawMode = false;
  const stopInput = () => {
    input.removeListener('data', onData);
    input.removeListener('end', onEnd);
    restoreTty();
    input.pause();
  };
  const scanner = o.tty ? new DetachScanner(parseDetachKeys(detachKeysFor(o.detachKeys))) : undefined;
  const onData = (chunk: Buffer) => {
    const { pass, detach } = scanner ? scanner.feed(chunk) : { pass: chunk, detach: false };
    if (pass.length) socket.write(pass);
    if (detach) {
      detached = true;
      socket.destroy();
    }
  };
  // stdin EOF: half-close so the container sees EOF while its output keeps flowing to us.
  const onEnd = () => socket.end();
  if (o.stdin) {
    if (o.tty && input.isTTY && input.setRawMode) {
      input.setRawMode(true);
      rawMode = true;
      restoreTty = () => input.setRawMode?.(false);
    }
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  }
  let source: Readable = socket;
  if (rawMode && cli.out.isTTY) {
    // Node's raw mode keeps the terminal's output processing (ONLCR) on, unlike docker's,
    // so the container's `\r\n` would arrive as `\r\r\n`; hand the terminal bare `\n`.
    // pipeline, not pipe: a destroyed socket (detach) must also end the transform.
    source = pipeline(socket, new CrlfToLf(), () => {});
  }
  const copy = o.tty ? copyRaw(source, cli.out) : demultiplex(socket, cli.out, cli.err);
  const done = copy
    .catch((e: NodeJS.ErrnoException) => {
      // A reset after detaching or after the container went away is an ordinary end.
      if (!detached && e.code !== 'ECONNRESET' && e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
    })
    .finally(stopInput);
  return {
    done,
    get detached() {
      return detached;
    },
    close: () => socket.destroy(),
  };
}

/**
 * Keeps a TTY's size in step with ours (`POST /containers/{id}/resize`, or `/exec/{id}/resize`
 * given as `path`). With `nudge` (re-attaching), the size first goes one row and column
 * larger, so the program gets a SIGWINCH even when the size is unchanged and redraws.
 */
export function monitorTtySize(cli: Cli, id: string, path = `/containers/${encodeURIComponent(id)}/resize`, nudge = false): () => void {
  const out = cli.out;
  const send = (h: number, w: number) => cli.client.request('POST', path, { query: { h, w } }).then(() => undefined, () => undefined);
  const resize = () => {
    if (out.rows && out.columns) void send(out.rows, out.columns);
  };
  if (nudge && out.rows && out.columns) void send(out.rows + 1, out.columns + 1).then(resize);
  else resize();
  out.on('resize', resize);
  return () => out.removeListener('resize', resize);
}

const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Forwards the signals we receive to the container (`POST /containers/{id}/kill`). */
export function proxySignals(cli: Cli, id: string): () => void {
  const handlers = PROXIED.map((sig) => {
    const h = () => {
      cli.client
        .request('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal: sig } })
        .catch(() => {});
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  };
}
