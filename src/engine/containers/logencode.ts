/**
 * From conmon's k8s-file records to what `GET /containers/{id}/logs` sends: Docker's 8-byte
 * multiplexed frames (or raw bytes for a TTY container), with the stream, since/until and
 * timestamp options applied.
 *
 * This is the hot path of `docker logs` on a big log, so records are examined in place (byte
 * offsets, no strings, no per-record objects) and copied straight into 1 MiB output buffers.
 * Docker sends one frame per log line; conmon cuts lines wherever its read buffer ends (a `P`
 * record followed by the rest), so consecutive pieces of one line are joined back into one
 * frame, and a timestamp is printed once per line.
 */
import type { FileHandle } from 'node:fs/promises';
import { dockerTime, logTimeSeconds } from './logs.js';

export interface LogFilter {
  stdout: boolean;
  stderr: boolean;
  since?: number; // unix seconds (fractional)
  until?: number;
}

export interface EncodeOptions extends LogFilter {
  timestamps: boolean;
  /** Raw bytes (a TTY container's single stream) instead of multiplexed frames. */
  raw: boolean;
}

const NL = 0x0a;
const SP = 0x20;
const OUT_SIZE = 1 << 20;
/** First output buffer: a follower of a quiet container never needs the big one. */
const FIRST_SIZE = 64 << 10;
const HEADER = 8;
/** Longest timestamp this writes: RFC 3339 with nine fractional digits, `Z`, and a space. */
const TS_ROOM = 31;
/** Below this much output, a flush copies it out instead of handing over the 1 MiB buffer. */
const SMALL = 64 << 10;

/** One record's fields as byte offsets; filled by `scanRecord` (one object, reused). */
export const scanned = { stream: 0, full: false, timeEnd: 0, text: 0 };

/**
 * Scans the record `buf[start, end)` (`end` at its newline): `TIME stdout|stderr F|P TEXT`.
 * Returns false for anything else, which callers skip as conmon's own parser would.
 */
export function scanRecord(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  const limit = Math.min(end, start + 64);
  while (i < limit && buf[i] !== SP) i++;
  if (i >= limit || i + 8 > end || buf[i + 7] !== SP || buf[i + 1] !== 0x73 || buf[i + 2] !== 0x74 || buf[i + 3] !== 0x64) return false;
  const c = buf[i + 4];
  if (c === 0x6f && buf[i + 5] === 0x75 && buf[i + 6] === 0x74) scanned.stream = 1; // stdout
  else if (c === 0x65 && buf[i + 5] === 0x72 && buf[i + 6] === 0x72) scanned.stream = 2; // stderr
  else return false;
  scanned.timeEnd = i;
  const tag = i + 8;
  if (tag >= end) return false;
  scanned.full = buf[tag] === 0x46; // 'F'
  let j = tag + 1;
  while (j < end && buf[j] !== SP) j++;
  scanned.text = j < end ? j + 1 : end;
  return true;
}

const digits = (buf: Buffer, at: number, n: number): number => {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + (buf[at + k]! - 0x30);
  return v;
};

/** conmon's usual time form, `2006-01-02T15:04:05.000000000+07:00`: 35 bytes. */
const isConmonTime = (buf: Buffer, s: number, e: number) => e - s === 35 && buf[s + 19] === 0x2e && (buf[s + 29] === 0x2b || buf[s + 29] === 0x2d);

/** A record's time as unix seconds; conmon's form is read in place, anything else parsed. */
export function recordSeconds(buf: Buffer, s: number, e: number): number {
  if (!isConmonTime(buf, s, e)) return logTimeSeconds(buf.toString('latin1', s, e));
  const utc = Date.UTC(digits(buf, s, 4), digits(buf, s + 5, 2) - 1, digits(buf, s + 8, 2), digits(buf, s + 11, 2), digits(buf, s + 14, 2), digits(buf, s + 17, 2)) / 1000;
  const offset = (digits(buf, s + 30, 2) * 3600 + digits(buf, s + 33, 2) * 60) * (buf[s + 29] === 0x2b ? 1 : -1);
  return utc - offset + digits(buf, s + 20, 9) / 1e9;
}

/** True when the scanned record (`scanned`) passes the stream and time filters; sets `late` past `until`. */
export function passes(f: LogFilter, buf: Buffer, start: number, state?: { late: boolean }): boolean {
  if (scanned.stream === 1 ? !f.stdout : !f.stderr) return false;
  if (f.since === undefined && f.until === undefined) return true;
  const t = recordSeconds(buf, start, scanned.timeEnd);
  if (f.since !== undefined && t < f.since) return false;
  if (f.until !== undefined && t > f.until) {
    if (state) state.late = true;
    return false;
  }
  return true;
}

export class LogEncoder {
  private out = Buffer.allocUnsafe(FIRST_SIZE);
  private pos = 0;
  /** Where the open frame's header is (-1: none), and its stream. */
  private frameAt = -1;
  private frameStream = 0;
  /** Per stream: the last record sent was a piece of a line (`P`), so no timestamp comes next. */
  private midLine = [false, false, false];
  private lastTime = '';
  private lastDockerTime = Buffer.alloc(0);
  /** Set once a record newer than `until` was seen: no later record can match. */
  readonly state = { late: false };

  constructor(
    private readonly o: EncodeOptions,
    private readonly emit: (chunk: Buffer) => void | Promise<void>,
  ) {}

  /** Encodes the complete records in `buf`; returns the bytes used (an unfinished record is left). */
  async push(buf: Buffer): Promise<number> {
    const o = this.o;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) return start;
      const s = start;
      start = nl + 1;
      if (!scanRecord(buf, s, nl) || !passes(o, buf, s, this.state)) continue;
      const textLen = nl - scanned.text;
      const need = HEADER + TS_ROOM + textLen + 1;
      if (this.pos + need > this.out.length) {
        // Full: from now on output comes in bulk, so send it in big chunks.
        await this.flush(OUT_SIZE);
        if (need > this.out.length) this.out = Buffer.allocUnsafe(need);
      }
      this.put(buf, s, nl);
    }
  }

  /** Writes the scanned record; room was made by the caller. */
  private put(buf: Buffer, start: number, end: number): void {
    const stream = scanned.stream;
    const out = this.out;
    if (!this.o.raw) {
      if (this.frameAt >= 0 && this.frameStream !== stream) this.closeFrame();
      if (this.frameAt < 0) {
        this.frameAt = this.pos;
        this.frameStream = stream;
        out[this.pos] = stream;
        out[this.pos + 1] = out[this.pos + 2] = out[this.pos + 3] = 0;
        this.pos += HEADER;
      }
    }
    if (this.o.timestamps && !this.midLine[stream]) this.putTime(buf, start);
    this.pos += buf.copy(out, this.pos, scanned.text, end);
    this.midLine[stream] = !scanned.full;
    if (scanned.full) {
      out[this.pos++] = NL;
      if (this.frameAt >= 0) this.closeFrame();
    }
  }

  private putTime(buf: Buffer, start: number): void {
    const e = scanned.timeEnd;
    const out = this.out;
    if (isConmonTime(buf, start, e) && buf[e - 6] === 0x2b && buf[e - 5] === 0x30 && buf[e - 4] === 0x30 && buf[e - 2] === 0x30 && buf[e - 1] === 0x30) {
      // Already UTC with nine digits: Docker's form is the same bytes with `Z` for `+00:00`.
      buf.copy(out, this.pos, start, start + 29);
      this.pos += 29;
      out[this.pos++] = 0x5a; // 'Z'
    } else {
      const t = buf.toString('latin1', start, e);
      if (t !== this.lastTime) {
        this.lastTime = t;
        this.lastDockerTime = Buffer.from(dockerTime(t), 'latin1');
      }
      this.pos += this.lastDockerTime.copy(out, this.pos, 0, TS_ROOM - 1);
    }
    out[this.pos++] = SP;
  }

  private closeFrame(): void {
    this.out.writeUInt32BE(this.pos - this.frameAt - HEADER, this.frameAt + 4);
    this.frameAt = -1;
  }

  /** Sends what is encoded so far (a line still in pieces goes out as its own frame). */
  async flush(nextSize = this.out.length): Promise<void> {
    if (this.frameAt >= 0) this.closeFrame();
    if (this.pos === 0) return;
    let chunk: Buffer;
    if (this.pos < SMALL && nextSize === this.out.length) {
      // Following a quiet container: copy the little there is and keep the buffer.
      chunk = Buffer.from(this.out.subarray(0, this.pos));
    } else {
      // The sink may hold on to the chunk until it is written: later output gets a new buffer.
      chunk = this.out.subarray(0, this.pos);
      this.out = Buffer.allocUnsafe(nextSize);
    }
    this.pos = 0;
    await this.emit(chunk);
  }
}

/**
 * Where `tail` lines from the end begin: the offset just after the (lines+1)-th last complete
 * line that passes `f` (0 when there are fewer). Reads the file backwards in 1 MiB steps, so
 * `--tail 10` of a huge log reads little of it. `size` bounds what is looked at.
 */
export async function tailOffset(fh: FileHandle, size: number, lines: number, f: LogFilter): Promise<number> {
  let buf = Buffer.allocUnsafe(OUT_SIZE);
  let hi = size; // everything at and after `hi` has been looked at
  let lastEnd = -1; // end of the last complete record (for tail 0)
  let count = 0;
  while (hi > 0) {
    const lo = Math.max(0, hi - buf.length);
    const { bytesRead } = await fh.read(buf, 0, hi - lo, lo);
    const view = buf.subarray(0, bytesRead);
    // Records end at newlines; the bytes before the first newline of this window belong to a
    // record that starts in an earlier window (unless the window starts the file).
    let end = view.lastIndexOf(NL);
    if (lastEnd < 0 && end >= 0) {
      lastEnd = lo + end + 1;
      if (lines === 0) return lastEnd;
    }
    while (end >= 0) {
      const prev = end === 0 ? -1 : view.lastIndexOf(NL, end - 1);
      if (prev < 0 && lo > 0) break;
      const s = prev + 1;
      if (scanRecord(view, s, end) && scanned.full && passes(f, view, s) && ++count > lines) return lo + end + 1;
      end = prev;
    }
    if (lo === 0) break;
    const next = lo + end + 1;
    // A record longer than the window: look at it through a bigger one.
    if (end < 0 || next === hi) buf = Buffer.allocUnsafe(buf.length * 2);
    else hi = next;
  }
  return 0;
}
