/** Unit tests for the log encoder (frames, pieces of lines, filters, timestamps), `tail`, and the file follower. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { LogEncoder, recordSeconds, tailOffset, type EncodeOptions } from '../../../src/engine/containers/logencode.js';
import { LogTail } from '../../../src/engine/containers/logfile.js';
import { followLog, logTimeSeconds, type LogEntry } from '../../../src/engine/containers/logs.js';

const T = (i: number) => `2026-11-22T04:26:${String(i).padStart(2, '0')}.100000000+00:00`;
const line = (i: number, stream: string, tag: string, text: string) => `${T(i)} ${stream} ${tag} ${text}\n`;
const opts = (o: Partial<EncodeOptions> = {}): EncodeOptions => ({ stdout: true, stderr: true, timestamps: false, raw: false, ...o });

/** Splits multiplexed output into [stream, payload] frames. */
function frames(out: Buffer): Array<[number, string]> {
  const got: Array<[number, string]> = [];
  for (let at = 0; at < out.length; ) {
    const size = out.readUInt32BE(at + 4);
    got.push([out[at]!, out.subarray(at + 8, at + 8 + size).toString()]);
    at += 8 + size;
  }
  return got;
}

/** Encodes `log` fed in chunks of `step` bytes (carrying what is unused, as LogTail does). */
async function encode(log: string, o: EncodeOptions, step = Infinity): Promise<{ out: Buffer; used: number; late: boolean }> {
  const chunks: Buffer[] = [];
  const enc = new LogEncoder(o, (c) => void chunks.push(c));
  const all = Buffer.from(log);
  let used = 0;
  for (let end = Math.min(step, all.length); ; end = Math.min(end + step, all.length)) {
    used += await enc.push(all.subarray(used, end));
    if (end === all.length) break;
  }
  await enc.flush();
  return { out: Buffer.concat(chunks), used, late: enc.state.late };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-unit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('log encoder', () => {
  const log = line(1, 'stdout', 'F', 'one') + line(2, 'stdout', 'P', 'tw') + line(3, 'stdout', 'F', 'o') + line(4, 'stderr', 'F', 'err') + line(5, 'stdout', 'P', 'par') + line(6, 'stderr', 'P', 'x') + line(7, 'stdout', 'F', 'tial') + 'garbage\n' + line(8, 'stdout', 'F', '');

  it('sends one frame per line, joining the pieces conmon cut, whatever the chunking', async () => {
    const want: Array<[number, string]> = [[1, 'one\n'], [1, 'two\n'], [2, 'err\n'], [1, 'par'], [2, 'x'], [1, 'tial\n'], [1, '\n']];
    for (const step of [Infinity, 1, 7, 50]) assert.deepEqual(frames((await encode(log, opts(), step)).out), want, `step ${step}`);
  });

  it('keeps an unfinished record for the next read', async () => {
    const { out, used } = await encode(line(1, 'stdout', 'F', 'a') + T(2) + ' stdout F b', opts());
    assert.deepEqual(frames(out), [[1, 'a\n']]);
    assert.equal(used, line(1, 'stdout', 'F', 'a').length);
  });

  it('selects streams, and writes raw bytes for a TTY', async () => {
    assert.deepEqual(frames((await encode(log, opts({ stdout: false }))).out), [[2, 'err\n'], [2, 'x']]);
    assert.equal((await encode(log, opts({ raw: true }))).out.toString(), 'one\ntwo\nerr\nparxtial\n\n');
  });

  it('prints one timestamp per line, in UTC with nine digits', async () => {
    const ts = (await encode(line(1, 'stdout', 'P', 'a') + line(2, 'stdout', 'F', 'b') + '2026-11-22T06:26:03.5+02:00 stdout F c\n', opts({ timestamps: true, raw: true }))).out.toString();
    assert.equal(ts, '2026-11-22T04:26:01.100000000Z ab\n2026-11-22T04:26:03.500000000Z c\n');
  });

  it('applies since and until, and says when records are past until', async () => {
    const t = (i: number) => logTimeSeconds(T(i));
    const { out, late } = await encode(log, opts({ since: t(2), until: t(4) }));
    assert.deepEqual(frames(out), [[1, 'two\n'], [2, 'err\n']]);
    assert.ok(late);
    assert.ok(!(await encode(log, opts({ until: t(9) }))).late);
  });

  it('reads conmon times in place exactly as the general parser does', () => {
    for (const t of ['2026-11-22T04:26:02.567656057+00:00', '2026-01-01T00:00:00.000000001-05:30', '2024-02-29T23:59:59.999999999+14:00']) {
      assert.equal(recordSeconds(Buffer.from(t), 0, t.length), logTimeSeconds(t), t);
    }
  });

  it('splits output into 1 MiB chunks without breaking frames', async () => {
    const text = 'y'.repeat(999);
    const big = Array.from({ length: 3000 }, (_, i) => line(i % 60, i % 3 ? 'stdout' : 'stderr', 'F', text)).join('');
    const chunks: Buffer[] = [];
    const enc = new LogEncoder(opts(), (c) => void chunks.push(c));
    assert.equal(await enc.push(Buffer.from(big)), big.length);
    await enc.flush();
    assert.ok(chunks.length >= 3);
    for (const c of chunks) assert.equal(frames(c).length * 1008, c.length);
    assert.equal(chunks.reduce((n, c) => n + frames(c).length, 0), 3000);
  });
});

describe('tail', () => {
  async function tailOf(content: string, lines: number, f = { stdout: true, stderr: true }): Promise<string> {
    const file = path.join(tmp, `tail-${lines}-${content.length}`);
    fs.writeFileSync(file, content);
    const fh = await fsp.open(file, 'r');
    try {
      return content.slice(await tailOffset(fh, content.length, lines, f));
    } finally {
      await fh.close();
    }
  }

  it('counts whole lines (pieces join the line they end) and skips filtered ones', async () => {
    const log = line(1, 'stdout', 'F', 'a') + line(2, 'stderr', 'F', 'e') + line(3, 'stdout', 'P', 'b1') + line(4, 'stdout', 'F', 'b2') + line(5, 'stdout', 'P', 'c');
    assert.equal(await tailOf(log, 1), line(3, 'stdout', 'P', 'b1') + line(4, 'stdout', 'F', 'b2') + line(5, 'stdout', 'P', 'c'));
    assert.equal(await tailOf(log, 2), log.slice(line(1, 'stdout', 'F', 'a').length));
    assert.equal(await tailOf(log, 2, { stdout: true, stderr: false }), log);
    assert.equal(await tailOf(log, 10), log);
    assert.equal(await tailOf(log, 0), '');
  });

  it('reads a big log backwards across its 1 MiB windows', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => line(i % 60, 'stdout', 'F', `line ${i} ${'z'.repeat(i % 97)}`));
    const log = lines.join('');
    assert.ok(log.length > 3 << 20);
    for (const n of [1, 5000, 39_999]) assert.equal(await tailOf(log, n), lines.slice(-n).join(''), `tail ${n}`);
    const huge = line(1, 'stdout', 'F', 'h'.repeat(3 << 20)) + line(2, 'stdout', 'F', 'last');
    assert.equal(await tailOf(huge, 1), line(2, 'stdout', 'F', 'last'));
    assert.equal(await tailOf(huge, 2), huge);
  });
});

describe('log file follower', () => {
  /** A LogTail that collects whole records as text. */
  function collect(file: string, offset = 0) {
    let text = '';
    const tail = new LogTail(file, offset, {
      consume(buf) {
        const end = buf.lastIndexOf(0x0a) + 1;
        text += buf.subarray(0, end).toString();
        return end;
      },
    });
    return { tail, text: () => text };
  }
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 300 && !cond(); i++) await sleep(10);
    assert.ok(cond());
  };

  it('waits for the file, then reads appends, a truncation and a replacement without repeats or gaps', async () => {
    const file = path.join(tmp, 'follow.log');
    const c = collect(file);
    c.tail.follow();
    await sleep(50);
    fs.writeFileSync(file, 'a1\na2\npart');
    await until(() => c.text() === 'a1\na2\n');
    fs.appendFileSync(file, 'ial\n');
    await until(() => c.text() === 'a1\na2\npartial\n');
    // Replaced by a new file (rotation): the new file is read from its start.
    fs.writeFileSync(`${file}.new`, 'b1\n');
    fs.renameSync(`${file}.new`, file);
    await until(() => c.text().endsWith('b1\n'));
    fs.appendFileSync(file, 'b2\n');
    await until(() => c.text().endsWith('b2\n'));
    // Truncated in place, then written again.
    fs.truncateSync(file, 0);
    await c.tail.drain();
    fs.appendFileSync(file, 'c1\n');
    await until(() => c.text().endsWith('c1\n'));
    await c.tail.close();
    assert.equal(c.text(), 'a1\na2\npartial\nb1\nb2\nc1\n');
  });

  it('drains what was written before the call, and reads on from an offset after the file is deleted', async () => {
    const file = path.join(tmp, 'drain.log');
    fs.writeFileSync(file, 'skip\n');
    const c = collect(file, 5);
    c.tail.follow();
    const w = fs.openSync(file, 'a');
    for (let i = 0; i < 2000; i++) fs.writeSync(w, `n${i}\n`);
    fs.unlinkSync(file);
    fs.writeSync(w, 'after-unlink\n');
    fs.closeSync(w);
    await c.tail.drain();
    await c.tail.close();
    const got = c.text().split('\n').filter(Boolean);
    assert.equal(got.length, 2001);
    assert.equal(new Set(got).size, 2001);
    assert.equal(got[0], 'n0');
    assert.equal(got.at(-1), 'after-unlink');
  });

  it('keeps followLog (attach) delivering entries', async () => {
    const file = path.join(tmp, 'entries.log');
    fs.writeFileSync(file, line(1, 'stdout', 'F', 'old'));
    const got: LogEntry[] = [];
    const f = followLog(file, fs.statSync(file).size, (e) => got.push(e));
    fs.appendFileSync(file, line(2, 'stderr', 'P', 'ne') + line(3, 'stderr', 'F', 'w'));
    await f.stop();
    assert.deepEqual(got.map((e) => [e.stream, e.data.toString()]), [['stderr', 'ne'], ['stderr', 'w\n']]);
  });
});
