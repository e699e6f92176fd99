/**
 * The legacy builder's output: a JSON message stream (notes §3.4) of `{"stream": …}` text,
 * `{"aux":{"ID":…}}` with each stage's image, and at most one error
 * `{"errorDetail":{"code":N,"message":…},"error":…}` (the code only for a failed RUN: the docker
 * CLI exits with it). Nothing is sent before the first message, so a failure before any output
 * is still a plain HTTP error. With `q` the text is held back and, on success, replaced by the
 * image ID alone; on failure it is sent before the error, as Docker does.
 */
import type { ServerResponse } from 'node:http';
import { messageOf } from '../../lib/errors.js';

/** A failure that carries an exit code for the client (a RUN step's). */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export class BuildOutput {
  private held: object[] = [];
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly quiet: boolean,
    private readonly wantAux: boolean,
  ) {}

  /** True once something was sent (errors can then only go in the stream). */
  get sent(): boolean {
    return this.started;
  }

  private send(msg: object): void {
    if (this.res.destroyed) return;
    if (!this.started) {
      this.res.writeHead(200, { 'Content-Type': 'application/json' });
      this.started = true;
    }
    this.res.write(`${JSON.stringify(msg)}\r\n`);
  }

  private emit(msg: object): void {
    if (this.quiet) this.held.push(msg);
    else this.send(msg);
  }

  /** Build text (`Step 1/3 : FROM busybox\n`, RUN output). */
  text(s: string): void {
    if (s) this.emit({ stream: s });
  }

  /** A JSON progress message of another operation (a base image being pulled), passed through. */
  progress(msg: object): void {
    this.emit(msg);
  }

  /** The image of a finished stage. */
  imageId(id: string): void {
    if (this.wantAux) this.emit({ aux: { ID: id } });
  }

  /** The end of a successful build: with `q`, the image ID is all that is said. */
  done(id: string): void {
    if (this.quiet) this.send({ stream: `${id}\n` });
  }

  /** Reports a failure; returns false when nothing was sent yet (the caller answers with an HTTP error). */
  fail(err: unknown): boolean {
    if (this.quiet && this.held.length) for (const m of this.held.splice(0)) this.send(m);
    if (!this.started) return false;
    const message = messageOf(err);
    const code = err instanceof StepFailure ? err.code : undefined;
    this.send({ errorDetail: { ...(code ? { code } : {}), message }, error: message });
    return true;
  }
}
