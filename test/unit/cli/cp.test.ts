/**
 * The client half of `berth cp`: docker's argument split and copy rules (trailing `/` and `/.`),
 * Go's path helpers, and local extraction of an archive a container controls — no name, link or
 * hard link out of the destination, never a write through a symlink.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as gopath from '../../../src/lib/gopath.js';
import { prepareArchiveCopy, rebase, splitCpArg, type CopyInfo } from '../../../src/cli/copy/paths.js';
import { untarLocal } from '../../../src/cli/copy/untar.js';
import { chunks, makeTar, type TarEntry } from '../snapshots/tarutil.js';

const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cp-unit-'));
after(() => fs.rmSync(sandbox, { recursive: true, force: true }));

describe('cp arguments and paths', () => {
  it('splits CONTAINER:PATH like docker, local paths with a colon written explicitly', () => {
    assert.deepEqual(splitCpArg('web:/etc/hosts'), { container: 'web', path: '/etc/hosts' });
    assert.deepEqual(splitCpArg('/tmp/a:b'), { container: '', path: '/tmp/a:b' });
    assert.deepEqual(splitCpArg('./a:b'), { container: '', path: './a:b' });
    assert.deepEqual(splitCpArg('file'), { container: '', path: 'file' });
    assert.deepEqual(splitCpArg('-'), { container: '', path: '-' });
  });

  it('follows Go for the corners Node differs in', () => {
    assert.equal(gopath.dir('/a/'), '/a');
    assert.equal(gopath.base('/'), '/');
    assert.equal(gopath.base('/data/.'), '.');
    assert.equal(gopath.clean('/a/../../b/'), '/b');
    assert.equal(gopath.join('/tmp', '/etc'), '/tmp/etc');
    assert.deepEqual(gopath.splitPathDirEntry('/data/.'), ['/data', '.']);
    assert.equal(gopath.preserveTrailingDotOrSeparator('/x', 'x/.'), '/x/.');
    assert.equal(rebase('/bin/sh', ['/', 'out']), 'out/bin/sh');
  });

  it('decides where an archive lands and under which name', () => {
    const info = (p: string, exists: boolean, isDir: boolean): CopyInfo => ({ path: p, exists, isDir, rebaseName: '' });
    assert.deepEqual(prepareArchiveCopy(info('/src/f', true, false), info('/dst', true, true)), { dstDir: '/dst' });
    assert.deepEqual(prepareArchiveCopy(info('/src/f', true, false), info('/dst/new', false, false)), { dstDir: '/dst', rename: ['f', 'new'] });
    assert.deepEqual(prepareArchiveCopy(info('/src/d/.', true, true), info('/dst/new', false, false)), { dstDir: '/dst', rename: ['.', 'new'] });
    assert.throws(() => prepareArchiveCopy(info('/src/d', true, true), info('/dst/file', true, false)), /cannot copy directory/);
    assert.throws(() => prepareArchiveCopy(info('/src/f', true, false), info('/dst/nodir/', false, false)), /no such directory/);
  });
});

describe('local extraction of a hostile archive', () => {
  let n = 0;
  const fresh = () => {
    const base = path.join(sandbox, `case${n++}`);
    const dest = path.join(base, 'dest');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(dest, { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'victim'), 'original');
    return { dest, outside };
  };
  const extract = async (dest: string, entries: TarEntry[]) => untarLocal(chunks(await makeTar(entries)), dest, (x) => x);
  const untouched = (outside: string) => assert.deepEqual([fs.readdirSync(outside), fs.readFileSync(path.join(outside, 'victim'), 'utf8')], [['victim'], 'original']);

  it('extracts files, directories, symlinks and hard links', async () => {
    const { dest } = fresh();
    await extract(dest, [
      { name: 'd/', type: 'directory', mode: 0o750 },
      { name: 'd/f', body: 'data', mode: 0o640 },
      { name: 'd/l', type: 'symlink', linkname: 'f' },
      { name: 'd/h', type: 'link', linkname: 'd/f' },
    ]);
    assert.equal(fs.readFileSync(path.join(dest, 'd/h'), 'utf8'), 'data');
    assert.equal(fs.readlinkSync(path.join(dest, 'd/l')), 'f');
    assert.equal(fs.statSync(path.join(dest, 'd')).mode & 0o777, 0o750);
  });

  it('refuses names, symlinks and hard links that leave the destination', async () => {
    for (const entries of [
      [{ name: '../escape', body: 'x' }],
      [{ name: 'l', type: 'symlink', linkname: '../../outside' }],
      [{ name: 'h', type: 'link', linkname: '../outside/victim' }],
    ] as TarEntry[][]) {
      const { dest, outside } = fresh();
      await assert.rejects(extract(dest, entries));
      untouched(outside);
    }
  });

  it('never writes through a symlink, planted by the archive or found in place', async () => {
    const { dest, outside } = fresh();
    // A link found in place, or planted by the archive (`in -> /` passes Docker's lexical check), is never written through.
    fs.symlinkSync(outside, path.join(dest, 'pre'));
    await assert.rejects(extract(dest, [{ name: 'pre/victim', body: 'PWNED' }]), /symbolic link/);
    await assert.rejects(extract(dest, [{ name: 'in', type: 'symlink', linkname: '/' }, { name: `in${outside}/victim`, body: 'PWNED' }]), /symbolic link/);
    untouched(outside);
    // An existing symlink in the entry's own place is replaced, not followed.
    fs.symlinkSync(path.join(outside, 'victim'), path.join(dest, 'file'));
    await extract(dest, [{ name: 'file', body: 'new' }]);
    assert.equal(fs.readFileSync(path.join(dest, 'file'), 'utf8'), 'new');
    assert.ok(!fs.lstatSync(path.join(dest, 'file')).isSymbolicLink());
    untouched(outside);
  });

  it('keeps directories and files from replacing each other', async () => {
    const { dest } = fresh();
    fs.mkdirSync(path.join(dest, 'd'));
    fs.writeFileSync(path.join(dest, 'f'), '');
    await assert.rejects(extract(dest, [{ name: 'd', body: 'x' }]), /cannot overwrite directory/);
    await assert.rejects(extract(dest, [{ name: 'f/', type: 'directory' }]), /cannot overwrite non-directory/);
  });
});
