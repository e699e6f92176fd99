/**
 * The `berth` CLI against a real daemon: the same verbs, tables and exit codes as docker,
 * `--trace`, BERTH_HOST, and bad input (an invalid flag value, a corrupt tarball).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, TestDaemon } from './harness.js';

describe('berth CLI against berth', () => {
  const d = new TestDaemon('berthcli');
  before(() => d.start());
  after(() => d.stop());

  it('runs, lists and removes containers like docker', () => {
    const r = d.berth(['run', '--rm', 'busybox', 'echo', 'hello']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
    const id = d.berth(['run', '-d', '--name', 'b1', '-e', 'GREETING=hi', 'busybox', 'sh', '-c', 'echo $GREETING; exec sleep 1000']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = d.berth(['ps']);
    assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    assert.match(ps.stdout, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+.*Up .*b1\\n`));
    assert.equal(d.berth(['ps', '-q']).stdout.trim(), id.slice(0, 12));
    assert.equal(d.berth(['logs', 'b1']).stdout, 'hi\n');
    assert.equal(d.berth(['stop', '-t', '1', 'b1']).stdout.trim(), 'b1');
    assert.equal(d.berth(['rm', 'b1']).code, 0);
  });

  it('exits with the container code, 125, 126 and 127 as docker run does', () => {
    assert.equal(d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'exit 42']).code, 42);
    assert.equal(d.berth(['run', '--rm', 'busybox', 'nonexistent-cmd']).code, 127);
    assert.equal(d.berth(['run', '--rm', 'busybox', '/etc']).code, 126);
    const bad = d.berth(['run', '--rm', '--memory', '12zz', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid argument "12zz" for "-m, --memory" flag/);
    d.berth(['container', 'prune', '-f']);
  });

  it('prints the stage timeline with --trace', () => {
    const r = d.berth(['--trace', 'run', '--rm', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    for (const stage of ['resolve image', 'prepare snapshot', 'mount rootfs', 'write bundle', 'runtime create', 'runtime start']) assert.match(r.stderr, new RegExp(stage));
  });

  it('saves and loads images, interchangeably with the docker CLI', () => {
    const tar = path.join(d.dir, 'bb.tar');
    assert.equal(d.berth(['save', '-o', tar, 'busybox']).code, 0);
    assert.equal(d.docker(['rmi', 'busybox']).code, 0);
    assert.match(d.docker(['load', '-i', tar]).stdout, /Loaded image: busybox:latest/);
    assert.equal(d.berth(['run', '--rm', 'busybox', 'echo', 'back']).stdout, 'back\n');
    const images = d.berth(['images']);
    assert.match(images.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(images.stdout, /busybox\s+latest\s+[0-9a-f]{12}\s/);
  });

  it('rejects a corrupt tarball on load and leaves no partial image behind', () => {
    const good = fs.readFileSync(path.join(REPO, '.cache/images/busybox.tar'));
    const before = d.berth(['images', '-aq']).stdout;
    const r = d.berth(['load'], good.subarray(0, Math.floor(good.length / 2)));
    assert.equal(r.code, 1);
    assert.notEqual(r.stderr.trim(), '');
    assert.equal(d.berth(['images', '-aq']).stdout, before);
  });

  it('imports a root file system tar with changes', () => {
    const root = path.join(d.dir, 'rootfs');
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
    fs.symlinkSync('busybox', path.join(root, 'bin/sh'));
    fs.symlinkSync('busybox', path.join(root, 'bin/echo'));
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 64 << 20 }).stdout;
    const imp = d.berth(['import', '-c', 'CMD ["echo", "imported"]', '-', 'mini:1'], tar);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    assert.equal(d.docker(['run', '--rm', 'mini:1']).stdout, 'imported\n');
    assert.equal(d.berth(['rmi', 'mini:1']).code, 0);
  });

  it('refuses to remove an image in use unless forced', () => {
    d.docker(['create', '--name', 'holder', 'busybox', 'true']);
    const r = d.berth(['rmi', 'busybox']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
    d.docker(['rm', 'holder']);
  });
});
