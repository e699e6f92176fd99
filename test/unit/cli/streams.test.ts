/**
 * Unit tests for the byte streams the CLI reads: the 8-byte framed stdout/stderr stream of
 * non-TTY containers, the JSON message streams of pull/import/load, and the CR-LF fix-up of
 * raw-mode terminals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { Demuxer, StreamError, demultiplex } from '../../../src/cli/stream/demux.js';
import { displayJsonMessages, JsonMessageError, renderMessage } from '../../../src/cli/format/jsonmessage.js';
import { CrlfToLf } from '../../../src/cli/stream/attach.js';
import { DetachScanner, parseDetachKeys } from '../../../src/lib/detach-keys.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function collect(stream: PassThrough): Promise<string> {
  stream.end();
  let s = '';
  for await (const c of stream) s += (c as Buffer).toString();
  return s;
}

describe('Demuxer', () => {
  it('delivers whole frames, whatever the chunking', () => {
    const bytes = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, ''), frame(0, 'in')]);
    for (const size of [1, 3, 8, 9, bytes.length]) {
      const got: [number, string][] = [];
      const d = new Demuxer((s, p) => got.push([s, p.toString()]));
      for (let i = 0; i < bytes.length; i += size) d.push(bytes.subarray(i, i + size));
      assert.deepEqual(got, [[1, 'hello\n'], [2, 'oops\n'], [1, ''], [0, 'in']], `chunk size ${size}`);
      assert.equal(d.pending, 0);
    }
  });
  it('keeps an incomplete frame pending', () => {
    const d = new Demuxer(() => assert.fail('no frame expected'));
    d.push(frame(1, 'partial').subarray(0, 10));
    assert.equal(d.pending, 10);
  });
  it('turns a system error frame into an error', () => {
    const d = new Demuxer(() => {});
    assert.throws(() => d.push(frame(3, 'boom')), { message: 'error from daemon in stream: boom' });
    assert.throws(() => new Demuxer(() => {}).push(frame(7, 'x')), StreamError);
  });
  it('copies stdout and stderr frames to their streams', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    await demultiplex(Readable.from([frame(1, 'a'), Buffer.concat([frame(2, 'b'), frame(1, 'c')])]), out, err);
    assert.equal(await collect(out), 'ac');
    assert.equal(await collect(err), 'b');
  });
});

describe('JSON message stream', () => {
  it('prints statuses, ids and stream text; hides progress', async () => {
    const lines = [
      { status: 'Pulling from library/busybox', id: 'latest' },
      { status: 'Downloading', id: 'abc', progressDetail: { current: 10, total: 100 }, progress: '[=>  ]' },
      { status: 'Pull complete', id: 'abc', progressDetail: {} },
      { stream: 'Loaded image: busybox:latest\n' },
      { aux: { ID: 'sha256:x' } },
      { status: 'sha256:1234' },
    ];
    const input = Readable.from([lines.map((l) => JSON.stringify(l)).join('\r\n') + '\r\n']);
    const out = new PassThrough();
    const aux: unknown[] = [];
    await displayJsonMessages(input, out, (a) => aux.push(a));
    assert.equal(await collect(out), 'latest: Pulling from library/busybox\nabc: Pull complete\nLoaded image: busybox:latest\nsha256:1234\n');
    assert.deepEqual(aux, [{ ID: 'sha256:x' }]);
  });
  it('fails on an error message', async () => {
    const input = Readable.from(['{"status":"x"}\r\n{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}\r\n']);
    await assert.rejects(displayJsonMessages(input, new PassThrough()), (e) => e instanceof JsonMessageError && e.message === 'unexpected EOF');
  });
  it('renders a message exactly', () => {
    assert.equal(renderMessage({ status: 'Digest: sha256:abc' }), 'Digest: sha256:abc\n');
    assert.equal(renderMessage({ status: 'Extracting', id: 'x', progressDetail: { current: 1 } }), '');
  });
});

describe('raw terminal output', () => {
  it('turns CRLF into LF, also across chunk boundaries', async () => {
    const t = new CrlfToLf();
    const done = (async () => {
      let s = '';
      for await (const c of t) s += (c as Buffer).toString();
      return s;
    })();
    t.write('a\r');
    t.write('\nb\r\nc\r');
    t.end();
    assert.equal(await done, 'a\nb\nc\r');
  });
  it('parses detach keys', () => {
    assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
    assert.deepEqual([...parseDetachKeys('a,ctrl-@')], [97, 0]);
    assert.deepEqual([...parseDetachKeys(undefined)], [16, 17]);
    assert.deepEqual([...parseDetachKeys('ctrl-[,ctrl-_')], [27, 31]);
    assert.throws(() => parseDetachKeys('ctrl-pp'), /Invalid detach keys \(ctrl-pp\) provided/);
  });
  it('detaches on the full sequence, split across chunks, dropping what follows', () => {
    const s = new DetachScanner(parseDetachKeys(undefined));
    assert.deepEqual(s.feed(Buffer.from('ab\x10')), { pass: Buffer.from('ab'), detach: false });
    assert.deepEqual(s.feed(Buffer.from('\x11zz')), { pass: Buffer.alloc(0), detach: true });
  });
  it('passes a held key on when the sequence breaks', () => {
    const s = new DetachScanner(parseDetachKeys(undefined));
    assert.deepEqual(s.feed(Buffer.from('\x10')).pass, Buffer.alloc(0));
    assert.deepEqual(s.feed(Buffer.from('x')), { pass: Buffer.from('\x10x'), detach: false });
    // A repeated first key keeps one held: ctrl-p ctrl-p ctrl-q still detaches after passing one ctrl-p.
    assert.deepEqual(s.feed(Buffer.from('\x10\x10\x11')), { pass: Buffer.from('\x10'), detach: true });
  });
  it('custom single-character keys', () => {
    const s = new DetachScanner(parseDetachKeys('ctrl-a,x'));
    assert.deepEqual(s.feed(Buffer.from('ax\x01y\x01x')), { pass: Buffer.from('ax\x01y'), detach: true });
  });
});
