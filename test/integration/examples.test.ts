/**
 * The repository's examples, built as a user would: the Debian base image made with debootstrap
 * (scripts/build-debian-image.sh, cached in .cache/images/debian.tar; the first run fetches
 * Debian's packages from the configured mirror) and examples/webapp built FROM it with `berth
 * build` and with the docker CLI's legacy builder, then run with a published port and asked
 * for pages from the host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, TestDaemon } from './harness.js';
import { freePort } from './registry-harness.js';

process.env.DOCKER_BUILDKIT = '0';
const SCRIPT = path.join(REPO, 'scripts/build-debian-image.sh');
const DEBIAN = path.join(REPO, '.cache/images/debian.tar');
const WEBAPP = path.join(REPO, 'examples/webapp');
const STACK = path.join(REPO, '.cache/images/debian-stack.tar');
const COUNTER = path.join(REPO, 'examples/compose-counter/compose.yaml');

/** A Debian image tarball from scripts/build-debian-image.sh, made (or remade after the script changed) when needed. */
function debianImage(out = DEBIAN, args: string[] = []): string {
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(SCRIPT).mtimeMs) return out;
  const r = spawnSync('bash', [SCRIPT, out, ...args], { encoding: 'utf8', timeout: 15 * 60_000 });
  assert.equal(r.status, 0, `build-debian-image.sh: ${r.stderr}${r.stdout}`);
  return out;
}


function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function getWhenUp(port: number, p: string): Promise<{ status: number; body: string }> {
  for (const end = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 200))) {
    try {
      return await get(port, p);
    } catch (err) {
      if (Date.now() > end) throw err;
    }
  }
}

describe('examples: Debian base image and the web application', () => {
  const d = new TestDaemon('examples');
  const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => {
    assert.equal(r.code, 0, `${what}: ${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };

  before(async () => {
    const tar = debianImage();
    await d.start();
    ok(d.berth(['load', '-i', tar]), 'load the Debian image');
  });
  after(async () => {
    await d.stop();
  });

  it('the base image is Debian bookworm with python3 and its standard library, made from Debian packages', () => {
    const script = `. /etc/os-release; echo $VERSION_CODENAME; python3 -c 'import http.server; print(6*7)'; dpkg-query -W -f='\${Status}' python3`;
    const out = ok(d.berth(['run', '--rm', '--network', 'none', 'berth/debian:bookworm', 'sh', '-c', script]), 'run');
    assert.deepEqual(out.trim().split('\n'), ['bookworm', '42', 'install ok installed']);
  });

  it('berth build makes the web app; it serves through a published port as its own user', async () => {
    const out = ok(d.berth(['build', '-t', 'webapp:berth', WEBAPP]), 'berth build');
    assert.match(out, /Step 1\/\d+ : FROM berth\/debian:bookworm/);
    assert.match(out, /Successfully tagged webapp:berth/);
    ok(d.berth(['run', '-d', '--name', 'web', '-p', '127.0.0.1::8000', 'webapp:berth']), 'run');
    const port = Number(ok(d.berth(['port', 'web', '8000']), 'port').trim().split(':').pop());
    const hello = await getWhenUp(port, '/hello');
    assert.equal(hello.status, 200);
    assert.match(hello.body, /^Hello from a Berth container: host=\w+ user=app cwd=\/srv\/app visits=1\n$/);
    assert.match((await get(port, '/hello')).body, /visits=2/);
    const page = await get(port, '/');
    assert.match(page.body, /<h1>webapp<\/h1>/);
    // .dockerignore kept the README out of the image.
    assert.notEqual(d.berth(['exec', 'web', 'test', '-e', '/srv/app/README.md']).code, 0);
    const cfg = JSON.parse(ok(d.berth(['image', 'inspect', 'webapp:berth']), 'inspect'))[0].Config;
    assert.equal(cfg.User, 'app');
    assert.equal(cfg.WorkingDir, '/srv/app');
    assert.deepEqual(Object.keys(cfg.ExposedPorts), ['8000/tcp']);
    assert.deepEqual(cfg.Healthcheck.Test.slice(0, 1), ['CMD-SHELL']);
    ok(d.berth(['rm', '-f', 'web']), 'rm');
  });

  it('docker build (legacy builder) of the same directory hits the cache of every step', () => {
    const r = d.docker(['build', '-t', 'webapp:docker', WEBAPP]);
    const out = ok(r, 'docker build');
    const steps = out.split('\n').filter((l) => l.startsWith('Step '));
    const hits = out.split('\n').filter((l) => l === ' ---> Using cache');
    assert.equal(hits.length, steps.length - 1, out); // every step after FROM
    assert.equal(ok(d.docker(['run', '--rm', 'webapp:docker', 'id', '-un']), 'run').trim(), 'app');
    // A build arg that RUN uses is a miss from that step on.
    const other = ok(d.docker(['build', '--build-arg', 'APP_USER=web', '-t', 'webapp:web', WEBAPP]), 'build with --build-arg');
    assert.doesNotMatch(other.split('Step 3/')[1] ?? '', /^[^\n]*\n ---> Using cache/);
    assert.equal(ok(d.docker(['run', '--rm', 'webapp:web', 'id', '-un']), 'run').trim(), 'web');
  });

  it('the Compose example: Flask counting visits in Redis behind Nginx, on the Debian images', async () => {
    const stack = debianImage(STACK, ['berth/debian-stack:bookworm', 'python3,python3-flask,python3-redis,redis-server,nginx-light']);
    ok(d.berth(['load', '-i', stack]), 'load the stack image');
    const port = await freePort();
    process.env['COUNTER_PORT'] = String(port);
    try {
      const up = d.berth(['compose', '-f', COUNTER, 'up', '-d', '--build']);
      ok(up, 'compose up');
      // nginx waited for web's health check, which needs Redis: all three answer in order.
      assert.match(up.stderr, /Container counter-web-1 {2}Started[\s\S]*Container counter-nginx-1 {2}Started/);
      const first = await getWhenUp(port, '/');
      assert.equal(first.status, 200, first.body);
      const n = Number(/visited (\d+) times/.exec(first.body)?.[1]);
      assert.ok(n >= 1, first.body);
      const second = await get(port, '/');
      assert.match(second.body, new RegExp(`^Hello from Flask on \\w+! This page has been visited ${n + 1} times\\.\\n$`));
      assert.match(ok(d.berth(['compose', '-f', COUNTER, 'ps']), 'ps'), /counter-nginx-1 .* nginx .*:\d+->80\/tcp/);
    } finally {
      delete process.env['COUNTER_PORT'];
      ok(d.berth(['compose', '-f', COUNTER, 'down', '-v', '--rmi', 'local']), 'compose down');
    }
    assert.equal(d.docker(['ps', '-aq']).stdout, '');
  });
});
