/**
 * Reading a container's log file as it grows: the byte-level half of `logs -f` and `attach`.
 *
 * conmon appends to one k8s-file log for the whole life of a container, across every restart
 * (each start runs a new conmon that opens the same path with O_APPEND), so following is "read
 * from where we stopped whenever the file changes". The reader also copes with what a log file
 * can go through besides appends: not existing yet (a created container), being replaced by a
 * new file at the same path (a rotation or a reopen), being truncated in place, and being
 * deleted (`rm`; the open descriptor still reads what was written).
 *
 * Reads are large (up to 1 MiB once there is a backlog) and land in one reusable buffer; the consumer is handed the bytes and
 * says how many it used (whole records), the unused tail is carried to the next read. No byte is
 * handed over twice and none is skipped, because the position only moves by what was read.
 */
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

const READ_SIZE = 1 << 20;
/** First read buffer: following a quiet container needs no more; a read that fills it grows it. */
const FIRST_SIZE = 64 << 10;
/**
 * inotify drops events when its queue overflows (a container writing very fast), and a watch
 * cannot be set on a directory that does not exist yet; a slow poll bounds how long either can
 * delay output.
 */
const POLL_MS = 1000;

export interface TailConsumer {
  /** Takes bytes of the log, returns how many it used; the rest is offered again with more. */
  consume(buf: Buffer): number | Promise<number>;
  /** Called after a read pass reached the end of what is written (to flush buffered output). */
  idle?(): void | Promise<void>;
}

export class LogTail {
  private fh?: FileHandle;
  private ino = 0;
  /** File position of the next read; `carry` bytes before it were read but not yet used. */
  private pos: number;
  private carry = 0;
  private buf = Buffer.allocUnsafe(FIRST_SIZE);
  private running?: Promise<void>;
  private again = false;
  private closed = false;
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;
  /** A read that failed while following in the background; `drain` reports it. */
  private failure?: unknown;

  constructor(
    readonly file: string,
    offset: number,
    private readonly consumer: TailConsumer,
    /**
     * Stop at this offset (the size when a one-shot `logs` began) rather than chase a container
     * that writes as fast as it is read; a record cut by it is still read to its end.
     */
    private readonly limit = Infinity,
  ) {
    this.pos = offset;
  }

  /** Byte offset up to which the log has been consumed. */
  get offset(): number {
    return this.pos - this.carry;
  }

  /** Starts reading new output whenever the file changes, until `close`. */
  follow(): void {
    if (this.closed || this.timer) return;
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    try {
      // The directory, not the file: a watch on the file would be lost when it is replaced, and
      // it cannot be set before conmon creates the file.
      this.watcher = fs.watch(dir, (_event, name) => {
        if (name === null || name === base) this.kick();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No directory (yet): the poll below still finds the file once it exists.
    }
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /** A read nobody waits for: a failure stops the following and is kept for `drain`. */
  private kick(): void {
    this.wake().catch((err: unknown) => {
      this.failure ??= err;
      this.watcher?.close();
      if (this.timer) clearInterval(this.timer);
    });
  }

  /** Reads what is there now (a no-op if a read is already going: it will read again). */
  wake(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.readAll();
        await this.consumer.idle?.();
      } while (this.again && !this.closed);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Resolves once everything written before this call has been consumed. (A pass under way may
   * already have passed the end before the last write; `wake` then has it read once more.)
   */
  async drain(): Promise<void> {
    if (this.failure) throw this.failure;
    await this.wake();
  }

  /** Stops following and releases the file; a read in progress finishes first. */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }

  private async open(pos: number): Promise<boolean> {
    const fh = await fsp.open(this.file, 'r').catch(() => undefined);
    if (!fh) return false;
    this.fh = fh;
    this.ino = (await fh.stat()).ino;
    this.pos = pos;
    this.carry = 0;
    return true;
  }

  /** Reads to the end of the file, following it to a replacement at the same path. */
  private async readAll(): Promise<void> {
    if (!this.fh && !(await this.open(this.pos))) return;
    for (;;) {
      await this.readToEnd();
      if (this.closed) return;
      const now = await fsp.stat(this.file).catch(() => undefined);
      // Gone (removed with its container): the open descriptor has read all there is.
      if (!now || now.ino === this.ino) return;
      // Replaced: the old file was read to its end above; a record it left unfinished is
      // ended here rather than glued to the first record of the new file.
      if (this.carry > 0) await this.finishCarry();
      await this.fh!.close().catch(() => undefined);
      this.fh = undefined;
      if (!(await this.open(0))) return;
    }
  }

  private async readToEnd(): Promise<void> {
    const fh = this.fh!;
    for (;;) {
      if (this.closed || (this.pos - this.carry >= this.limit && this.carry === 0)) return;
      // One record larger than the buffer: make room rather than stall.
      if (this.carry === this.buf.length) this.grow(this.buf.length * 2);
      const room = this.buf.length - this.carry;
      const { bytesRead } = await fh.read(this.buf, this.carry, room, this.pos);
      if (bytesRead === 0) {
        // Truncated in place (copytruncate rotation): start over at the new beginning.
        if ((await fh.stat()).size < this.pos) {
          this.pos = 0;
          this.carry = 0;
          continue;
        }
        return;
      }
      this.pos += bytesRead;
      const have = this.carry + bytesRead;
      const used = await this.consumer.consume(this.buf.subarray(0, have));
      this.buf.copyWithin(0, used, have);
      this.carry = have - used;
      // A full read means a backlog: read the rest in large steps, with fewer system calls.
      if (bytesRead === room && this.buf.length < READ_SIZE) this.grow(READ_SIZE);
    }
  }

  private grow(size: number): void {
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.carry);
    this.buf = bigger;
  }

  private async finishCarry(): Promise<void> {
    if (this.carry === this.buf.length) this.grow(this.buf.length + 1);
    this.buf[this.carry] = 0x0a;
    await this.consumer.consume(this.buf.subarray(0, this.carry + 1));
    this.carry = 0;
  }
}
