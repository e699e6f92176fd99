/**
 * Layer extraction writes regular files in the background while it reads on (inflight.ts).
 * These cases put entries that touch the same path right after each other, so that the later
 * one arrives while the earlier one may still be in flight, and assert that the result is the
 * one the layer's order says — as if every entry had been applied one at a time.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { RecordingHost } from '../../../src/host/fake.js';
import { unpackLayer } from '../../../src/engine/snapshots/unpack.js';
import { chunks, makeTar, sha, type TarEntry } from './tarutil.js';

let sandbox: string;
let root: string;
let host: RecordingHost;

beforeEach(async () => {
  sandbox = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-unpack-order-'));
  root = path.join(sandbox, 'root');
  await fs.mkdir(root);
  host = new RecordingHost();
});

afterEach(async () => {
  await fs.rm(sandbox, { recursive: true, force: true });
});

const big = (c: string) => Buffer.alloc(3 << 20, c); // several chunks: a slow write
const unpack = async (entries: TarEntry[]) => unpackLayer(chunks(await makeTar(entries), 64 << 10), root, host);
const read = (p: string) => fs.readFile(path.join(root, p));

describe('unpackLayer: background writes keep the layer order', () => {
  it('a later entry at the same path wins, whatever it is', async () => {
    await unpack([
      { name: 'f', body: big('a') },
      { name: 'f', body: 'second' },
      { name: 'd', body: big('b') },
      { name: 'd/', type: 'directory' },
      { name: 'd/x', body: 'in dir' },
      { name: 's', body: big('c') },
      { name: 's', type: 'symlink', linkname: 'f' },
    ]);
    assert.equal((await read('f')).toString(), 'second');
    assert.equal((await read('d/x')).toString(), 'in dir');
    assert.equal(await fs.readlink(path.join(root, 's')), 'f');
  });

  it('a directory replaced by a file takes the files still being written in it along', async () => {
    await unpack([
      { name: 'dir/a', body: big('a') },
      { name: 'dir/b', body: big('b') },
      { name: 'dir', body: 'now a file' },
    ]);
    assert.equal((await read('dir')).toString(), 'now a file');
    await fs.rm(root, { recursive: true });
    await fs.mkdir(root);
    await assert.rejects(unpack([{ name: 'dir/a', body: big('a') }, { name: 'dir', body: 'file' }, { name: 'dir/c', body: 'c' }]), (e) => isKind(e, 'InvalidArgument'));
  });

  it('a hardlink to a file still being written shares its whole content', async () => {
    const body = big('h');
    await unpack([
      { name: 'data/blob', body },
      { name: 'data/hard', type: 'link', linkname: 'data/blob' },
    ]);
    assert.equal(sha(await read('data/hard')), sha(body));
    assert.equal((await fs.stat(path.join(root, 'data/blob'))).nlink, 2);
  });

  it('a whiteout removes a file written just before it', async () => {
    await unpack([{ name: 'w/f', body: big('w') }, { name: 'w/.wh.f' }]);
    assert.equal((await read('w/f')).length, 0); // the fake host's whiteout marker
    assert.deepEqual(host.calls.map((c) => c.op), ['makeWhiteout']);
  });

  it('a symlinked parent made after files were queued is still resolved inside the root', async () => {
    const outside = path.join(sandbox, 'outside');
    await fs.mkdir(outside);
    await unpack([
      { name: 'p', body: big('p') },
      { name: 'p', type: 'symlink', linkname: outside },
      { name: 'p/escape', body: 'x' },
    ]);
    assert.deepEqual(await fs.readdir(outside), []);
    assert.equal((await read(path.join(outside.slice(1), 'escape'))).toString(), 'x');
  });

  it('hundreds of files in many directories keep their contents and modes', async () => {
    const entries: TarEntry[] = [];
    const modes = [0o644, 0o755, 0o600, 0o777, 0o400, 0o2755, 0o1777, 0o444];
    for (let i = 0; i < 400; i++) entries.push({ name: `d${i % 17}/f${i}`, body: `file ${i} `.repeat(i), mode: modes[i % modes.length]!, uid: i % 3 });
    await unpack(entries);
    for (let i = 0; i < 400; i++) {
      const p = path.join(root, `d${i % 17}/f${i}`);
      assert.equal(await fs.readFile(p, 'utf8'), `file ${i} `.repeat(i));
      const st = await fs.stat(p);
      assert.equal(st.mode & 0o7777, modes[i % modes.length], `mode of f${i}`);
      assert.equal(st.uid, i % 3);
    }
  });
});
