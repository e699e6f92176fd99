/**
 * Container logs. conmon writes each chunk of a container's output to a "k8s-file" log:
 *   `<RFC3339Nano time> <stdout|stderr> <P|F> <text>`
 * where `P` marks a partial line (no newline yet) and `F` a full one. This module parses that
 * file into entries for `attach`; `logs` streams it through logstream.ts.
 */
import fsp from 'node:fs/promises';
import { LogTail } from './logfile.js';

export interface LogEntry {
  time: string; // RFC3339Nano as conmon wrote it
  stream: 'stdout' | 'stderr';
  data: Buffer; // the bytes the container wrote, newline included for full lines
}

/** Parses complete lines of a k8s-file log; returns the entries and the unparsed tail. */
export function parseLog(buf: Buffer): { entries: LogEntry[]; rest: Buffer } {
  const entries: LogEntry[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    const line = buf.subarray(start, nl);
    start = nl + 1;
    const s1 = line.indexOf(0x20);
    const s2 = line.indexOf(0x20, s1 + 1);
    const s3 = line.indexOf(0x20, s2 + 1);
    if (s1 < 0 || s2 < 0) continue;
    const stream = line.subarray(s1 + 1, s2).toString();
    if (stream !== 'stdout' && stream !== 'stderr') continue;
    const full = s3 < 0 ? line.subarray(s2 + 1).toString() === 'F' : line[s2 + 1] === 0x46; // 'F'
    const text = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
    entries.push({ time: line.subarray(0, s1).toString(), stream, data: full ? Buffer.concat([text, Buffer.from('\n')]) : Buffer.from(text) });
  }
  return { entries, rest: buf.subarray(start) };
}

export interface LogQuery {
  stdout: boolean;
  stderr: boolean;
  since?: number; // unix seconds (fractional)
  until?: number;
  tail?: number; // lines; undefined = all
}

const TIME_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Converts conmon's time (nanosecond RFC3339 with an offset) to unix seconds. */
export function logTimeSeconds(time: string): number {
  const m = TIME_RE.exec(time);
  if (!m) return Date.parse(time) / 1000;
  return Date.parse(`${m[1]}${m[3]}`) / 1000 + Number(`0${m[2] ?? ''}`);
}

/** Docker's timestamp form: RFC3339 in UTC with nine fractional digits and a `Z`. */
export function dockerTime(time: string): string {
  const m = TIME_RE.exec(time);
  if (!m) return time;
  const utc = new Date(Date.parse(`${m[1]}${m[3]}`)).toISOString().slice(0, 19);
  return `${utc}${(m[2] ?? '.').padEnd(10, '0')}Z`;
}

/** Reads the log and applies stream, time and tail filters. */
export async function readLog(file: string, q: LogQuery): Promise<{ entries: LogEntry[]; offset: number }> {
  const buf = await fsp.readFile(file).catch(() => Buffer.alloc(0));
  const { entries, rest } = parseLog(buf);
  let out = entries.filter((e) => (e.stream === 'stdout' ? q.stdout : q.stderr));
  if (q.since !== undefined || q.until !== undefined)
    out = out.filter((e) => {
      const t = logTimeSeconds(e.time);
      return (q.since === undefined || t >= q.since) && (q.until === undefined || t <= q.until);
    });
  if (q.tail !== undefined) {
    // Tail counts lines, so a partial chunk belongs with the full line that ends it.
    let lines = 0;
    let i = out.length;
    while (i > 0) {
      if (out[i - 1]!.data.at(-1) === 0x0a) {
        if (lines === q.tail) break;
        lines++;
      }
      i--;
    }
    out = q.tail === 0 ? [] : out.slice(i);
  }
  return { entries: out, offset: buf.length - rest.length };
}

/**
 * Follows the log from byte `offset`, calling `onEntry` for each new entry, until `stop()` is
 * called; `stop` drains what is already written before it resolves. (`logs` itself goes through
 * logstream.ts, which encodes records in place instead of making entries.)
 */
export function followLog(file: string, offset: number, onEntry: (e: LogEntry) => void): { stop: () => Promise<void> } {
  const tail = new LogTail(file, offset, {
    consume(buf) {
      const { entries, rest } = parseLog(buf);
      entries.forEach(onEntry);
      return buf.length - rest.length;
    },
  });
  tail.follow();
  return {
    async stop() {
      await tail.drain();
      await tail.close();
    },
  };
}

/** Docker's 8-byte multiplexed frame header: stream (1 stdout, 2 stderr), 3 zero bytes, BE length. */
export function frame(stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = stream === 'stdout' ? 1 : 2;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}
