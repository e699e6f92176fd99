/**
 * `docker export`: the container's files as a tar, for running and stopped containers. Symlinks
 * planted by the container are archived as links, never followed into the host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mountsUnder, TestDaemon } from './harness.js';

function listTar(file: string): string[] {
  return spawnSync('tar', ['-tvf', file], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n').filter(Boolean);
}

describe('export', () => {
  const d = new TestDaemon('export');
  before(() => d.start());
  after(() => d.stop());

  it('exports a running container without following its symlinks, and leaves it running', () => {
    d.docker(['run', '-d', '--name', 'ex', 'busybox', 'sh', '-c', 'mkdir /data && echo hi > /data/hello && ln -s /etc /evil && ln -s / /root-link && exec sleep 100']);
    // Wait until the container has written its files.
    for (let i = 0; i < 50 && !d.docker(['diff', 'ex']).stdout.includes('/evil'); i++) spawnSync('sleep', ['0.1']);
    const file = path.join(d.dir, 'ex.tar');
    const r = d.docker(['export', '-o', file, 'ex']);
    assert.equal(r.code, 0, r.stderr);
    const entries = listTar(file);
    assert.ok(entries.some((e) => /\.\/bin\/busybox$/.test(e)));
    assert.ok(entries.some((e) => /\.\/data\/hello$/.test(e)));
    assert.ok(entries.some((e) => /^l.* \.\/evil -> \/etc$/.test(e)), 'symlink archived as a link');
    assert.ok(!entries.some((e) => / \.\/(evil|root-link)\/./.test(e)), 'nothing archived through a symlink');
    const hello = spawnSync('tar', ['-xOf', file, './data/hello'], { encoding: 'utf8' }).stdout;
    assert.equal(hello, 'hi\n');
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', 'ex']).stdout.trim(), 'running');
    d.docker(['rm', '-f', 'ex']);
  });

  it('exports a stopped container and unmounts its root afterwards', () => {
    d.docker(['run', '--name', 'done', 'busybox', 'sh', '-c', 'echo bye > /bye']);
    const file = path.join(d.dir, 'done.tar');
    assert.equal(d.docker(['export', '-o', file, 'done']).code, 0);
    assert.ok(listTar(file).some((e) => /\.\/bye$/.test(e)));
    assert.deepEqual(mountsUnder(path.join(d.execRoot, 'containers')), []);
    d.docker(['rm', 'done']);
    assert.match(d.docker(['export', 'nosuch']).stderr, /No such container: nosuch/);
  });
});
