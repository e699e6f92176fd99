/**
 * The real `docker` CLI against Berth's image routes (a bare API server with only the image
 * routes and /_ping, so these tests do not depend on the container engine): load, images,
 * inspect, tag, history, save | load, import, rmi and prune, with Docker's output and errors.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { realHost } from '../../src/host/real.js';
import { ApiServer } from '../../src/engine/api/server.js';
import { registerImageRoutes } from '../../src/engine/api/routes/images.js';
import { ImageService } from '../../src/engine/images/service.js';
import { makeTar } from '../unit/snapshots/tarutil.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const haveDocker = spawnSync('docker', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;
const skip = !isRoot ? 'needs root' : !haveDocker ? 'docker CLI not installed' : false;

describe('docker CLI image verbs', { skip }, () => {
  let dir: string;
  let api: ApiServer;
  let svc: ImageService;
  let busyboxTar: string;
  const inUse = new Set<string>();

  // The server runs in this process: the CLI must be spawned asynchronously, never with spawnSync.
  const docker = (args: string[], input?: Buffer) =>
    new Promise<{ code: number; stdout: string; stderr: string; raw: Buffer }>((resolve, reject) => {
      const p = spawn('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${path.join(dir, 'api.sock')}` } });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout.on('data', (d: Buffer) => out.push(d));
      p.stderr.on('data', (d: Buffer) => err.push(d));
      p.on('error', reject);
      p.on('close', (code) => {
        const raw = Buffer.concat(out);
        resolve({ code: code ?? -1, stdout: raw.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), raw });
      });
      p.stdin.on('error', () => undefined); // the CLI may exit before reading all input
      p.stdin.end(input);
    });
  const ok = async (args: string[], input?: Buffer) => {
    const r = await docker(args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-imgcli-'));
    busyboxTar = path.join(dir, 'busybox.tar');
    const b = spawnSync(process.execPath, [path.join(REPO, 'scripts/build-busybox-image.mjs'), busyboxTar], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    svc = await ImageService.open(path.join(dir, 'data'), realHost);
    api = new ApiServer();
    api.router.add('GET', '/_ping', async (ctx) => {
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain' });
      ctx.res.end('OK');
    });
    registerImageRoutes(api.router, svc, (id) => (inUse.has(id) ? 'f'.repeat(64) : undefined));
    await api.listen(path.join(dir, 'api.sock'));
  });

  after(async () => {
    await api?.close();
    await svc?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('loads, lists, inspects, tags and shows history', async () => {
    assert.equal((await ok(['load', '-i', busyboxTar])).trim(), 'Loaded image: busybox:latest');
    const id = svc.resolve('busybox').id;
    assert.match(await ok(['images']), new RegExp(`^busybox\\s+latest\\s+${id.slice(7, 19)}\\s`, 'm'));
    assert.equal((await ok(['image', 'inspect', 'busybox', '--format', '{{.Id}} {{json .Config.Cmd}} {{.Os}}/{{.Architecture}}'])).trim(), `${id} ["sh"] linux/amd64`);
    await ok(['tag', 'busybox', 'localhost:5000/team/box:v1']);
    assert.equal((await ok(['images', '--filter', 'reference=localhost:5000/team/*', '--format', '{{.Repository}}:{{.Tag}}'])).trim(), 'localhost:5000/team/box:v1');
    assert.equal((await ok(['images', '-q'])).trim().split('\n').length, 2);
    assert.match(await ok(['history', 'busybox']), /CMD \["sh"\]/);
  });

  it('round-trips docker save | docker load', async () => {
    const saved = await docker(['save', 'busybox']);
    assert.equal(saved.code, 0, saved.stderr);
    const id = svc.resolve('busybox').id;
    assert.match(await ok(['rmi', 'busybox', 'localhost:5000/team/box:v1']), new RegExp(`Untagged: busybox:latest\\nUntagged: localhost:5000/team/box:v1\\nDeleted: ${id}`));
    assert.equal((await ok(['images', '-q'])).trim(), '');
    assert.equal((await ok(['load'], saved.raw)).trim(), 'Loaded image: busybox:latest');
    assert.equal(svc.resolve('busybox').id, id);
  });

  it('imports a rootfs with changes', async () => {
    const rootfs = await makeTar([{ name: 'hello.txt', body: 'hi' }]);
    const out = (await ok(['import', '-c', 'CMD ["/hello"]', '-c', 'ENV A=b', '-', 'imported:v1'], rootfs)).trim();
    assert.match(out, /^sha256:[a-f0-9]{64}$/);
    assert.equal((await ok(['image', 'inspect', 'imported:v1', '--format', '{{json .Config.Cmd}} {{json .Config.Env}}'])).trim(), '["/hello"] ["A=b"]');
    assert.match(await ok(['history', 'imported:v1']), /Imported from -/);
  });

  it('reports bad input the way Docker does', async () => {
    const before = await ok(['images', '-q']);
    const t = await fs.readFile(busyboxTar);
    const bad = await docker(['load'], t.subarray(0, 100_000));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid archive|Unexpected end/);
    assert.equal(await ok(['images', '-q']), before);
    const missing = await docker(['rmi', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error response from daemon: No such image: nosuch:latest/);
    const trunc = await docker(['import', '-', 'broken'], (await makeTar([{ name: 'f', body: 'x'.repeat(5000) }])).subarray(0, 3000));
    assert.notEqual(trunc.code, 0);
    assert.match(trunc.stderr, /invalid/);
  });

  it('refuses to remove an image in use, and prunes', async () => {
    const id = svc.resolve('imported:v1').id;
    inUse.add(id);
    const r = await docker(['rmi', 'imported:v1']);
    assert.match(r.stderr, /conflict: unable to remove repository reference "imported:v1" \(must force\) - container ffffffffffff is using its referenced image/);
    inUse.clear();
    assert.match(await ok(['image', 'prune', '-af']), /Total reclaimed space/);
    assert.equal((await ok(['images', '-q'])).trim(), '');
  });
});
