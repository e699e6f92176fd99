/**
 * Safe layer extraction against hostile tars (notes/security.md: CVE-2014-6407, 9356,
 * node-tar 2021 CVEs). Each case asserts what happened inside the root and that nothing
 * outside it appeared or changed. Uses the recording fake host (whiteouts become marker files).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { RecordingHost } from '../../../src/host/fake.js';
import { unpackLayer, splitName } from '../../../src/engine/snapshots/unpack.js';
import { chunks, FIXED_TIME, gzip, makeTar, sha, type TarEntry } from './tarutil.js';

let sandbox: string;
let root: string;
let outside: string;
let host: RecordingHost;

async function snapshotOutside(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = await fs.lstat(p);
      out.push(`${path.relative(sandbox, p)} ${st.mode} ${st.size} ${st.nlink}`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(outside);
  return out.sort();
}

async function unpack(entries: TarEntry[]) {
  return unpackLayer(chunks(await makeTar(entries)), root, host);
}

async function expectInvalid(entries: TarEntry[]) {
  await assert.rejects(unpack(entries), (err) => isKind(err, 'InvalidArgument'));
}

beforeEach(async () => {
  sandbox = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-unpack-'));
  root = path.join(sandbox, 'root');
  outside = path.join(sandbox, 'outside');
  await fs.mkdir(root);
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'victim'), 'original');
  host = new RecordingHost();
});

afterEach(async () => {
  await fs.rm(sandbox, { recursive: true, force: true });
});

describe('unpackLayer: ordinary layers', () => {
  it('round-trips files, dirs, symlinks, hardlinks and metadata, and returns the diff ID', async () => {
    const entries: TarEntry[] = [
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/tool', body: '#!/bin/sh\necho hi\n', mode: 0o4755, uid: 1000, gid: 1000 },
      { name: 'bin/link', type: 'symlink', linkname: 'tool' },
      { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      { name: 'etc/motd', body: 'hello' },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    ];
    const tarBytes = await makeTar(entries);
    const r = await unpackLayer(chunks(tarBytes), root, host);
    assert.equal(r.diffId, sha(tarBytes));
    assert.equal(r.size, '#!/bin/sh\necho hi\n'.length + 'hello'.length);
    const tool = await fs.stat(path.join(root, 'bin/tool'));
    assert.equal(tool.mode & 0o7777, 0o4755);
    assert.equal(tool.uid, 1000);
    assert.equal(tool.mtimeMs, FIXED_TIME.getTime());
    assert.equal(tool.nlink, 2);
    assert.equal(await fs.readlink(path.join(root, 'bin/link')), 'tool');
    assert.equal((await fs.stat(path.join(root, 'tmp'))).mode & 0o7777, 0o1777);
    assert.equal((await fs.stat(path.join(root, 'bin'))).mtimeMs, FIXED_TIME.getTime());
    assert.equal(await fs.readFile(path.join(root, 'etc/motd'), 'utf8'), 'hello');
    assert.deepEqual(host.calls.find((c) => c.op === 'run')?.args, ['mkfifo', '-m', '600', path.join(root, 'run/fifo')]);
  });

  it('accepts gzip-compressed layers and reports the uncompressed diff ID', async () => {
    const tarBytes = await makeTar([{ name: 'a', body: 'x'.repeat(5000) }]);
    const r = await unpackLayer(chunks(gzip(tarBytes)), root, host);
    assert.equal(r.diffId, sha(tarBytes));
    assert.equal((await fs.readFile(path.join(root, 'a'))).length, 5000);
  });

  it('rejects a truncated layer', async () => {
    const tarBytes = await makeTar([{ name: 'a', body: 'x'.repeat(5000) }]);
    await assert.rejects(unpackLayer(chunks(tarBytes.subarray(0, 2000)), root, host), (e) => isKind(e, 'InvalidArgument'));
    await assert.rejects(unpackLayer(chunks(gzip(tarBytes).subarray(0, 40)), root, host), (e) => isKind(e, 'InvalidArgument'));
  });
});

describe('unpackLayer: hostile layers', () => {
  it('rejects ../ entries that climb out, and writes nothing outside', async () => {
    const before = await snapshotOutside();
    await expectInvalid([{ name: '../outside/victim', body: 'pwned' }]);
    await expectInvalid([{ name: 'a/../../outside/new', body: 'pwned' }]);
    assert.deepEqual(await snapshotOutside(), before);
    assert.equal(await fs.readFile(path.join(outside, 'victim'), 'utf8'), 'original');
    assert.throws(() => splitName('x/../../y'));
    assert.deepEqual(splitName('x/../y'), ['y']);
  });

  it('puts absolute paths inside the root', async () => {
    await unpack([{ name: `${outside}/victim`, body: 'pwned' }, { name: '////etc/evil', body: 'x' }]);
    assert.equal(await fs.readFile(path.join(outside, 'victim'), 'utf8'), 'original');
    assert.equal(await fs.readFile(path.join(root, outside, 'victim'), 'utf8'), 'pwned');
    assert.equal(await fs.readFile(path.join(root, 'etc/evil'), 'utf8'), 'x');
  });

  it('resolves a symlinked parent inside the root (absolute target), like chroot', async () => {
    const before = await snapshotOutside();
    await unpack([
      { name: 'evil', type: 'symlink', linkname: outside },
      { name: 'evil/victim', body: 'pwned' },
      { name: 'evil/new', body: 'pwned' },
    ]);
    assert.deepEqual(await snapshotOutside(), before);
    assert.equal(await fs.readlink(path.join(root, 'evil')), outside); // the link itself is data
    assert.equal(await fs.readFile(path.join(root, outside, 'new'), 'utf8'), 'pwned');
  });

  it('clamps relative symlinks that climb above the root', async () => {
    const before = await snapshotOutside();
    await unpack([
      { name: 'd/up', type: 'symlink', linkname: '../../../../../../..' },
      { name: 'd/up/outside/victim', body: 'pwned' },
    ]);
    assert.deepEqual(await snapshotOutside(), before);
    assert.equal(await fs.readFile(path.join(root, 'outside/victim'), 'utf8'), 'pwned');
  });

  it('follows chains of symlinks inside the root and stops loops', async () => {
    const before = await snapshotOutside();
    await unpack([
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: '/c' },
      { name: 'c', type: 'symlink', linkname: path.join(outside, '..') },
      { name: 'a/outside/victim', body: 'pwned' },
    ]);
    assert.deepEqual(await snapshotOutside(), before);
    assert.equal(await fs.readFile(path.join(root, path.dirname(outside), 'outside/victim'), 'utf8'), 'pwned');
    await fs.rm(root, { recursive: true });
    await fs.mkdir(root);
    await expectInvalid([
      { name: 'l1', type: 'symlink', linkname: 'l2' },
      { name: 'l2', type: 'symlink', linkname: 'l1' },
      { name: 'l1/x', body: 'loop' },
    ]);
  });

  it('replaces a symlink at the final component instead of writing through it', async () => {
    await unpack([
      { name: 'x', type: 'symlink', linkname: path.join(outside, 'victim') },
      { name: 'x', body: 'pwned' },
    ]);
    assert.equal(await fs.readFile(path.join(outside, 'victim'), 'utf8'), 'original');
    assert.equal((await fs.lstat(path.join(root, 'x'))).isFile(), true);
  });

  it('never hardlinks to files outside the root', async () => {
    const passwd = await fs.stat('/etc/passwd');
    await expectInvalid([{ name: 'pw', type: 'link', linkname: '/etc/passwd' }]);
    await expectInvalid([{ name: 'pw', type: 'link', linkname: '../../../../etc/passwd' }]);
    await expectInvalid([
      { name: 'etcl', type: 'symlink', linkname: '/etc' },
      { name: 'pw', type: 'link', linkname: 'etcl/passwd' },
    ]);
    await fs.rm(root, { recursive: true });
    await fs.mkdir(root);
    // A hardlink to an in-layer symlink that points outside links the symlink, not its target.
    await unpack([
      { name: 'sl', type: 'symlink', linkname: path.join(outside, 'victim') },
      { name: 'hl', type: 'link', linkname: 'sl' },
    ]);
    assert.equal((await fs.lstat(path.join(root, 'hl'))).isSymbolicLink(), true);
    assert.equal((await fs.stat(path.join(outside, 'victim'))).nlink, 1);
    assert.equal((await fs.stat('/etc/passwd')).nlink, passwd.nlink);
  });

  it('does not create device nodes', async () => {
    await unpack([
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 },
      { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 },
      { name: 'fakewh', type: 'character-device', devmajor: 0, devminor: 0 },
      { name: 'ok', body: 'still extracted' },
    ]);
    for (const n of ['dev/sda', 'dev/mem', 'fakewh']) await assert.rejects(fs.lstat(path.join(root, n)));
    assert.equal(await fs.readFile(path.join(root, 'ok'), 'utf8'), 'still extracted');
  });

  it('turns whiteouts into overlay whiteouts and opaque markers, inside the root only', async () => {
    const before = await snapshotOutside();
    await unpack([
      { name: 'dir/file', body: 'x' },
      { name: 'dir/.wh.file' },
      { name: 'other/.wh..wh..opq' },
      { name: 'evil', type: 'symlink', linkname: outside },
      { name: 'evil/.wh.victim' },
      { name: '.wh..wh.plnk' },
    ]);
    assert.deepEqual(await snapshotOutside(), before);
    const ops = host.calls.map((c) => `${c.op} ${path.relative(root, c.args[0] as string)}`);
    assert.deepEqual(ops, ['makeWhiteout dir/file', 'setOpaque other', `makeWhiteout ${path.join(outside, 'victim').slice(1)}`]);
  });

  it('rejects the degenerate whiteouts .wh., .wh.. and .wh...', async () => {
    for (const name of ['.wh.', 'd/.wh..', 'd/.wh...']) {
      await expectInvalid([{ name: 'd/keep', body: 'k' }, { name }]);
    }
    assert.equal(await fs.readFile(path.join(root, 'd/keep'), 'utf8'), 'k');
    assert.equal(host.calls.length, 0);
  });

  it('rejects a path through a regular file', async () => {
    await expectInvalid([{ name: 'f', body: 'x' }, { name: 'f/g', body: 'y' }]);
  });
});
