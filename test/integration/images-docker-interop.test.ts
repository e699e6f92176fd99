/**
 * Interchangeability with Docker's own save/load (root, and Debian's dockerd installed): a
 * reference dockerd on its own data root and socket loads our busybox tarball, builds a
 * multi-layer image from it, and `docker save`s both; Berth loads that archive with the same
 * image IDs, saves them back, and dockerd loads Berth's archive with the same IDs again.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { realHost } from '../../src/host/real.js';
import { ImageService } from '../../src/engine/images/service.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const DOCKERD = '/usr/sbin/dockerd';
const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync(DOCKERD) ? 'dockerd (Debian docker.io) not installed' : false;

describe('docker save/load interchange with a reference dockerd', { skip }, () => {
  let dir: string;
  let sock: string;
  let pid: number | undefined;

  const docker = (args: string[]) => {
    // dockerd is another process, so a synchronous CLI call cannot deadlock here.
    const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_BUILDKIT: '0' }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-interop-'));
    sock = path.join(dir, 'd.sock');
    const d = spawn(DOCKERD, ['--data-root', path.join(dir, 'docker'), '--exec-root', path.join(dir, 'exec'), '-H', `unix://${sock}`, '--pidfile', path.join(dir, 'd.pid'), '--iptables=false', '--bridge=none'], {
      stdio: 'ignore',
      // containerd dumps goroutine stacks into $TMPDIR when dockerd's shutdown is slow: keep them in our dir.
      env: { ...process.env, TMPDIR: dir },
    });
    pid = d.pid;
    const deadline = Date.now() + 60_000;
    while (spawnSync('docker', ['version'], { env: { ...process.env, DOCKER_HOST: `unix://${sock}` } }).status !== 0) {
      assert.ok(Date.now() < deadline && d.exitCode === null, 'reference dockerd did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    if (pid) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && realHost.alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    }
    const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(dir));
    for (const m of mounts.reverse()) await realHost.unmount(m!);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps image IDs across Docker → Berth → Docker', async () => {
    const bb = path.join(dir, 'busybox.tar');
    assert.equal(spawnSync(process.execPath, [path.join(REPO, 'scripts/build-busybox-image.mjs'), bb]).status, 0);
    assert.equal(docker(['load', '-i', bb]), 'Loaded image: busybox:latest');
    const ctx = path.join(dir, 'ctx');
    await fs.mkdir(ctx);
    await fs.writeFile(path.join(ctx, 'f'), 'from docker\n');
    await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY f /d/f\nENV FOO=bar\nCMD ["cat", "/d/f"]\n');
    docker(['build', '-q', '-t', 'multi:1', ctx]);
    const ids = { multi: docker(['image', 'inspect', 'multi:1', '--format', '{{.Id}}']), busybox: docker(['image', 'inspect', 'busybox', '--format', '{{.Id}}']) };
    const fromDocker = path.join(dir, 'from-docker.tar');
    docker(['save', '-o', fromDocker, 'multi:1', 'busybox']);

    const svc = await ImageService.open(path.join(dir, 'berth'), realHost);
    assert.deepEqual((await svc.load(createReadStream(fromDocker))).sort(), ['Loaded image: busybox:latest', 'Loaded image: multi:1']);
    assert.equal(svc.resolve('multi:1').id, ids.multi);
    assert.equal(svc.resolve('busybox').id, ids.busybox);
    assert.equal(svc.resolve('multi:1').chainIds.length, 2);
    await svc.idle(); // layers are unpacked in the background
    const top = svc.snapshots.lowerDirs(svc.resolve('multi:1').chainIds)[0]!;
    assert.equal(await fs.readFile(path.join(top, 'd/f'), 'utf8'), 'from docker\n');

    const fromBerth = path.join(dir, 'from-berth.tar');
    await pipeline(svc.save(['multi:1', 'busybox']) as NodeJS.ReadableStream, createWriteStream(fromBerth));
    docker(['rmi', 'multi:1', 'busybox']);
    assert.equal(docker(['images', '-q']), '');
    docker(['load', '-i', fromBerth]);
    assert.equal(docker(['image', 'inspect', 'multi:1', '--format', '{{.Id}}']), ids.multi);
    assert.equal(docker(['image', 'inspect', 'busybox', '--format', '{{.Id}}']), ids.busybox);
  });
});
