/**
 * `docker cp` and `berth cp` against a real daemon: files and directories both ways, `-` tar
 * streams, `-a`, `-L`, stopped containers, errors worded like docker's — and containers full of
 * hostile symlinks (absolute, relative `../..`, symlinked parents, a symlink as the destination,
 * a link swapped back and forth while copying) that must never make cp read or write a host file
 * outside the container's root (notes/security.md, CVE-2018-15664).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTar } from '../unit/snapshots/tarutil.js';
import { mountsUnder, REPO, TestDaemon } from './harness.js';

interface BinResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

describe('cp', () => {
  const d = new TestDaemon('cp');
  let work: string;
  // A directory on the host that hostile containers aim at; nothing may read or change it.
  let canary: string;
  let canaryState: string;

  /** Runs docker or berth with binary stdin/stdout (tar streams). */
  const run = (cli: string, args: string[], input?: Buffer): BinResult => {
    const [file, argv, env] = cli === 'docker' ? ['docker', args, { DOCKER_HOST: d.host }] : [process.execPath, [path.join(REPO, 'dist/src/cli/main.js'), ...args], { BERTH_HOST: d.host }];
    const r = spawnSync(file, argv as string[], { env: { ...process.env, ...env }, input, timeout: 120_000, maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
  };
  const ok = (cli: string, args: string[], input?: Buffer): BinResult => {
    const r = run(cli, args, input);
    assert.equal(r.code, 0, `${cli} ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  /** `tar -tv` of a container path, owners numeric. */
  const listing = (ref: string) => spawnSync('tar', ['-tv', '--numeric-owner'], { input: ok('berth', ['cp', `${ref}`, '-']).stdout, encoding: 'utf8' }).stdout;
  /** Content of a file in a container, or undefined when cp fails. */
  const cat = (cli: string, ref: string): string | undefined => {
    const r = run(cli, ['cp', ref, '-']);
    return r.code === 0 ? spawnSync('tar', ['-xOf', '-'], { input: r.stdout, encoding: 'utf8' }).stdout : undefined;
  };
  const local = (...p: string[]) => path.join(work, ...p);
  const snapshot = (dir: string) =>
    fs.readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => {
      const st = fs.lstatSync(path.join(e.parentPath, e.name));
      return `${path.join(e.parentPath, e.name)} ${st.mode} ${st.size} ${st.mtimeMs} ${st.isFile() ? fs.readFileSync(path.join(e.parentPath, e.name), 'utf8') : ''}`;
    }).sort().join('\n');
  const api = (method: string, url: string, body?: Buffer) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ socketPath: d.sock, method, path: url }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const waitFor = (ref: string) => {
    for (let i = 0; i < 100 && run('docker', ['cp', ref, '-']).code !== 0; i++) spawnSync('sleep', ['0.1']);
  };

  before(async () => {
    await d.start();
    work = path.join(d.dir, 'work');
    canary = path.join(d.dir, 'canary');
    fs.mkdirSync(work);
    fs.mkdirSync(canary);
    fs.writeFileSync(path.join(canary, 'secret'), 'HOST SECRET\n');
    canaryState = snapshot(canary);
    d.docker(['run', '-d', '--name', 'ct', 'busybox', 'sh', '-c',
      'mkdir -p /data/sub && echo hello > /data/hello && echo deep > /data/sub/deep && ln -s hello /data/link && touch /ready && i=0 && while :; do i=$((i+1)); echo $i > /beat; sleep 0.05; done']);
    waitFor('ct:/ready');
  });
  after(async () => {
    await d.stop();
  });

  for (const cli of ['docker', 'berth']) {
    it(`${cli}: copies files and directories out of a running container, which keeps running`, () => {
      fs.mkdirSync(local(cli, 'into'), { recursive: true });
      ok(cli, ['cp', 'ct:/data/hello', local(cli, 'file')]);
      assert.equal(fs.readFileSync(local(cli, 'file'), 'utf8'), 'hello\n');
      ok(cli, ['cp', 'ct:/data', local(cli, 'dir')]);
      assert.equal(fs.readFileSync(local(cli, 'dir/sub/deep'), 'utf8'), 'deep\n');
      assert.equal(fs.readlinkSync(local(cli, 'dir/link')), 'hello');
      ok(cli, ['cp', 'ct:/data/.', local(cli, 'into')]);
      ok(cli, ['cp', 'ct:/data/sub', `${local(cli, 'into')}/`]);
      assert.deepEqual(fs.readdirSync(local(cli, 'into')).sort(), ['hello', 'link', 'sub']);
      const beat = cat(cli, 'ct:/beat');
      spawnSync('sleep', ['0.3']);
      assert.notEqual(cat(cli, 'ct:/beat'), beat, 'the container runs again after the copy');
      assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', 'ct']).stdout.trim(), 'running');
    });

    it(`${cli}: copies files and directories into a container, - tar streams both ways`, () => {
      fs.mkdirSync(local(cli, 'src/inner'), { recursive: true });
      fs.writeFileSync(local(cli, 'src/inner/f'), 'local\n');
      fs.writeFileSync(local(cli, 'one'), 'one\n');
      ok(cli, ['cp', local(cli, 'src'), `ct:/tmp/${cli}-dir`]);
      ok(cli, ['cp', local(cli, 'src/.'), `ct:/tmp/${cli}-dir/`]);
      ok(cli, ['cp', local(cli, 'one'), `ct:/tmp/${cli}-dir/renamed`]);
      assert.match(listing(`ct:/tmp/${cli}-dir`), new RegExp(`${cli}-dir/inner/f\\n[^]*${cli}-dir/renamed`));
      assert.equal(cat(cli, `ct:/tmp/${cli}-dir/inner/f`), 'local\n');
      const tar = ok(cli, ['cp', 'ct:/data', '-']).stdout;
      assert.deepEqual(spawnSync('tar', ['-t'], { input: tar, encoding: 'utf8' }).stdout.split('\n').filter(Boolean), ['data/', 'data/hello', 'data/link', 'data/sub/', 'data/sub/deep']);
      ok(cli, ['cp', '-', `ct:/tmp/${cli}-dir`], tar);
      assert.equal(cat(cli, `ct:/tmp/${cli}-dir/data/sub/deep`), 'deep\n');
      const notDir = run(cli, ['cp', '-', 'ct:/data/hello'], tar);
      assert.equal(notDir.code, 1);
      assert.equal(notDir.stderr, 'destination "ct:/data/hello" must be a directory\n');
    });
  }

  it('prints the same summary as docker when asked to (-q=false), and sends the same bytes', () => {
    const lines = (cli: string) => [
      run(cli, ['cp', '-q=false', 'ct:/data/hello', local(`${cli}-summary`)]).stderr,
      run(cli, ['cp', '-q=false', 'ct:/data', local(`${cli}-summary-dir`)]).stderr,
      run(cli, ['cp', '-q=false', local(`${cli}-summary`), `ct:/tmp/summary`]).stderr,
    ].map((s) => s.replace(`${cli}-summary`, 'X'));
    assert.deepEqual(lines('berth'), lines('docker'));
    assert.match(lines('berth')[0]!, /^Successfully copied 2\.05kB to \/.*\/X\n$/);
    assert.deepEqual(ok('berth', ['cp', 'ct:/data', '-']).stdout, ok('docker', ['cp', 'ct:/data', '-']).stdout);
  });

  it('thaws the container when the reader of an archive goes away', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ socketPath: d.sock, path: '/containers/ct/archive?path=/' }, (res) => {
        res.once('data', () => (req.destroy(), resolve()));
      });
      req.on('error', reject);
      req.end();
    });
    const beat = cat('berth', 'ct:/beat');
    spawnSync('sleep', ['0.3']);
    assert.notEqual(cat('berth', 'ct:/beat'), beat);
    assert.doesNotMatch(d.log, /request failed/);
  });

  it('keeps the archive owners, and -a gives copies to the container user', () => {
    d.docker(['create', '--name', 'owned', '--user', '1234:5678', 'busybox', 'true']);
    fs.writeFileSync(local('owned'), 'o\n');
    fs.chownSync(local('owned'), 4321, 8765);
    for (const cli of ['docker', 'berth']) {
      ok(cli, ['cp', local('owned'), `owned:/${cli}-plain`]);
      ok(cli, ['cp', '-a', local('owned'), `owned:/${cli}-archive`]);
      assert.match(listing(`owned:/${cli}-plain`), /4321\/8765/);
      assert.match(listing(`owned:/${cli}-archive`), /1234\/5678/);
      ok(cli, ['cp', '-a', local('owned'), `ct:/tmp/${cli}-a`]); // no container user: the owners stay
      assert.match(listing(`ct:/tmp/${cli}-a`), /4321\/8765/);
    }
  });

  it('-L copies what a symlink points to, under the link\'s name', () => {
    fs.symlinkSync(local('owned'), local('owned-link'));
    for (const cli of ['docker', 'berth']) {
      ok(cli, ['cp', 'ct:/data/link', local(`${cli}-nofollow`)]);
      assert.equal(fs.readlinkSync(local(`${cli}-nofollow`)), 'hello');
      ok(cli, ['cp', '-L', 'ct:/data/link', local(`${cli}-follow`)]);
      assert.equal(fs.readFileSync(local(`${cli}-follow`), 'utf8'), 'hello\n');
      ok(cli, ['cp', '-L', local('owned-link'), `ct:/tmp/${cli}-L`]);
      assert.match(listing(`ct:/tmp/${cli}-L`), /^-.* \w+-L\n$/);
    }
  });

  it('copies into a created and an exited container; the exited one is mounted only meanwhile', () => {
    d.docker(['create', '--name', 'later', 'busybox', 'cat', '/msg']);
    fs.writeFileSync(local('msg'), 'delivered\n');
    ok('berth', ['cp', local('msg'), 'later:/msg']);
    assert.equal(d.docker(['start', '-a', 'later']).stdout, 'delivered\n');
    assert.deepEqual(mountsUnder(path.join(d.execRoot, 'containers', d.docker(['inspect', '-f', '{{.Id}}', 'later']).stdout.trim())), []);
    ok('docker', ['cp', local('msg'), 'later:/msg2']);
    assert.equal(cat('berth', 'later:/msg2'), 'delivered\n');
    assert.deepEqual(mountsUnder(path.join(d.execRoot, 'containers', d.docker(['inspect', '-f', '{{.Id}}', 'later']).stdout.trim())), []);
  });

  it('fails like docker: missing path, missing container, bad arguments, and the API\'s own answers', async () => {
    for (const [args, message] of [
      [['cp', 'ct:/nosuch', local('x')], 'Error response from daemon: Could not find the file /nosuch in container ct\n'],
      [['cp', 'nosuch:/etc', local('x')], 'Error response from daemon: No such container: nosuch\n'],
      [['cp', local('nosuch'), 'ct:/tmp'], `lstat ${local('nosuch')}: no such file or directory\n`],
      [['cp', local('msg'), 'ct:/nonexistent/dir/'], 'no such directory\n'],
      [['cp', 'a', 'b'], 'must specify at least one container source\n'],
      [['cp', 'ct:/a', 'ct:/b'], 'copying between containers is not supported\n'],
    ] as const) {
      const b = run('berth', [...args]);
      const k = run('docker', [...args]);
      assert.equal(b.code, 1, b.stderr);
      assert.equal(k.code, 1, k.stderr);
      assert.equal(b.stderr, message);
      assert.ok(k.stderr.endsWith(message), k.stderr);
    }
    const put = run('berth', ['cp', local('msg'), 'nosuch:/tmp']);
    assert.equal(put.stderr, 'Error response from daemon: No such container: nosuch\n');
    const notDir = await api('PUT', '/containers/ct/archive?path=/data/hello', await makeTar([{ name: 'x', body: 'x' }]));
    assert.deepEqual(notDir, { status: 400, body: '{"message":"extraction point is not a directory"}' });
    assert.equal((await api('HEAD', '/containers/ct/archive?path=/nosuch')).status, 404);
    assert.equal((await api('GET', '/containers/ct/archive')).status, 400);
    const escape = await api('PUT', '/containers/ct/archive?path=/tmp', await makeTar([{ name: '../../escape', body: 'x' }]));
    assert.equal(escape.status, 400, escape.body);
  });

  describe('hostile symlinks never reach the host', () => {
    before(() => {
      // Links to the canary's host path, absolute and relative, and a root link; plus the same
      // path made inside the container, so resolving in the wrong root would be visible.
      d.docker(['run', '-d', '--name', 'evil', 'busybox', 'sh', '-c',
        `mkdir -p /safe${canary} && echo CONTAINER > /safe${canary}/secret && ln -s ${canary} /abs && ln -s ../../../../../../../.. /up && ln -s / /rootlink && ln -s ${canary}/secret /dstlink && mkdir /tmp/out && touch /ready && while :; do ln -sfn / /swap; ln -sfn /safe /swap; done`]);
      waitFor('evil:/ready');
    });

    for (const cli of ['docker', 'berth']) {
      it(`${cli}: reads resolve inside the container`, () => {
        for (const p of [`/abs/secret`, `/up${canary}/secret`, `/rootlink${canary}/secret`, `/rootlink/rootlink/up${canary}/secret`]) {
          const r = run(cli, ['cp', `evil:${p}`, local(`${cli}-read`)]);
          assert.equal(r.code, 1, `${p} must not exist in the container`);
          assert.match(r.stderr, /Could not find the file/);
        }
        assert.equal(cat(cli, `evil:/rootlink/safe${canary}/secret`), 'CONTAINER\n');
        assert.equal(cat(cli, `evil:/up/safe${canary}/secret`), 'CONTAINER\n');
        assert.equal(run(cli, ['cp', '-L', 'evil:/dstlink', local(`${cli}-read`)]).code, 1);
        assert.match(listing('evil:/abs'), new RegExp(`abs -> ${canary}$`, 'm'));
      });

      it(`${cli}: writes resolve inside the container`, () => {
        fs.writeFileSync(local('pwn'), 'PWNED\n');
        for (const dest of ['/abs/', `/up${canary}/`, '/dstlink', `/rootlink/up${canary}/secret`]) run(cli, ['cp', local('pwn'), `evil:${dest}`]);
        ok(cli, ['cp', local('pwn'), `evil:/up/safe${canary}/`]);
        assert.equal(cat(cli, `evil:/safe${canary}/pwn`), 'PWNED\n');
      });
    }

    it('an archive cannot plant a symlink and write through it, or replace a symlink by following it', async () => {
      const tar = await makeTar([
        { name: 'esc', type: 'symlink', linkname: canary },
        { name: 'esc/secret', body: 'PWNED BY TAR\n' },
        { name: 'up', type: 'symlink', linkname: '../../../../../../..' },
        { name: `up${canary}/planted`, body: 'PLANTED\n' },
        { name: 'dstlink-copy', type: 'symlink', linkname: `${canary}/secret` },
        { name: 'dstlink-copy', body: 'REPLACED\n' },
      ]);
      ok('berth', ['cp', '-', 'evil:/tmp/out'], tar);
      assert.equal(cat('berth', `evil:${canary}/secret`), 'PWNED BY TAR\n');
      assert.equal(cat('berth', `evil:${canary}/planted`), 'PLANTED\n');
      assert.match(listing('evil:/tmp/out/dstlink-copy'), /^-/);
    });

    it('a link swapped while copying is resolved in the container every time', () => {
      for (let i = 0; i < 8; i++) {
        const got = cat('berth', `evil:/swap${canary}/secret`);
        assert.ok(got === undefined || got === 'CONTAINER\n' || got === 'PWNED BY TAR\n', `read ${got}`);
        run('berth', ['cp', local('pwn'), `evil:/swap${canary}/`]);
        run('docker', ['cp', local('pwn'), `evil:/swap${canary}/swapped-${i}`]);
      }
    });

    it('left the host canary untouched', () => {
      assert.equal(snapshot(canary), canaryState);
      assert.equal(fs.readFileSync(path.join(canary, 'secret'), 'utf8'), 'HOST SECRET\n');
    });
  });
});
