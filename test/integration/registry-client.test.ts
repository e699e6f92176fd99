/**
 * The registry client against real peers: Debian's docker-registry (CNCF distribution 2.8)
 * on loopback, driven through Berth by the real docker CLI, docker-py and `berth`. Push from
 * one daemon, pull into a fresh data root and run; Docker's progress and error wording;
 * basic auth with `docker login`; the Bearer token flow with a token server in front of a
 * registry configured with `auth: token`. Transfer faults are in registry-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon, type Result } from './harness.js';
import { freePort, htpasswdLine, Registry, REGISTRY_BIN, runAsync, TokenServer } from './registry-helpers.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync(REGISTRY_BIN) ? 'docker-registry (Debian) not installed' : false;

const ok = (r: Result, what: string) => assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);

process.env.DOCKER_BUILDKIT = '0';

describe('registry client (pull, push, login)', { skip }, () => {
  let dir: string;
  const src = new TestDaemon('regsrc');
  const fresh = new TestDaemon('regfresh');
  const registries: Registry[] = [];
  let busyboxId: string;

  const registry = async (name: string, auth?: ConstructorParameters<typeof Registry>[2]) => {
    const r = new Registry(path.join(dir, name), await freePort(), auth);
    registries.push(r);
    await r.start();
    return r;
  };
  /** docker against `d` without blocking this process (for peers served from it). */
  const dockerAsync = (d: TestDaemon, args: string[], input?: string) => runAsync('docker', args, { DOCKER_HOST: d.host }, input);

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-regclient-'));
    // Logins must not touch the real ~/.docker/config.json; every client here reads DOCKER_CONFIG.
    process.env['DOCKER_CONFIG'] = path.join(dir, 'docker-config');
    await fs.rm(path.join(fresh.dataRoot, 'images-import'), { recursive: true, force: true });
    await src.start();
    await fresh.start();
    busyboxId = src.docker(['image', 'inspect', 'busybox', '--format', '{{.Id}}']).stdout.trim();
  });

  after(async () => {
    for (const r of registries) await r.kill();
    await src.stop();
    await fresh.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('docker push, then docker pull into a fresh data root, and run the image', async () => {
    const reg = await registry('plain');
    const img = `${reg.host}/lib/busybox:v1`;
    ok(src.docker(['tag', 'busybox', img]), 'tag');
    let r = src.docker(['push', img]);
    ok(r, 'push');
    assert.match(r.stdout, new RegExp(`The push refers to repository \\[${reg.host}/lib/busybox\\]`));
    assert.match(r.stdout, /[a-f0-9]{12}: Pushed/);
    const pushed = /v1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(r.stdout)?.[1];
    assert.ok(pushed, r.stdout);
    await new Promise((r) => setTimeout(r, 300)); // the registry's access log is read by this (blocked) process
    assert.match(reg.log, /"PUT \/v2\/lib\/busybox\/blobs\/uploads\//);
    assert.doesNotMatch(reg.log, /"PATCH /, 'a small layer goes in one PUT');
    assert.match(src.docker(['push', img]).stdout, /Layer already exists/);
    ok(src.docker(['tag', 'busybox', `${reg.host}/other/copy:v2`]), 'tag');
    assert.match(src.docker(['push', `${reg.host}/other/copy:v2`]).stdout, /Mounted from lib\/busybox/);

    assert.equal(fresh.docker(['images', '-q']).stdout.trim(), '', 'the fresh daemon starts empty');
    r = fresh.docker(['pull', img]);
    ok(r, 'pull');
    for (const line of ['v1: Pulling from lib/busybox', 'Pulling fs layer', 'Download complete', 'Pull complete', `Digest: ${pushed}`, `Status: Downloaded newer image for ${img}`])
      assert.ok(r.stdout.includes(line), `missing "${line}" in:\n${r.stdout}`);
    assert.equal(fresh.docker(['image', 'inspect', img, '--format', '{{.Id}}']).stdout.trim(), busyboxId);
    assert.match(fresh.docker(['image', 'inspect', img, '--format', '{{json .RepoDigests}}']).stdout, new RegExp(`${reg.host}/lib/busybox@${pushed}`));
    r = fresh.docker(['run', '--rm', img, 'echo', 'pulled-and-run']);
    ok(r, 'run');
    assert.equal(r.stdout.trim(), 'pulled-and-run');
    assert.match(fresh.docker(['pull', img]).stdout, new RegExp(`Status: Image is up to date for ${img}`));
    // The manifest a pulled image came with is pushed back unchanged: same digest.
    ok(fresh.docker(['tag', img, `${reg.host}/lib/again:v1`]), 'tag');
    assert.match(fresh.docker(['push', `${reg.host}/lib/again:v1`]).stdout, new RegExp(`v1: digest: ${pushed}`));
  });

  it('Docker schema 2 with gzip layers (converted by skopeo): pulled, run, pushed back byte for byte', async (t) => {
    if (!existsSync('/usr/bin/skopeo')) return t.skip('skopeo not installed');
    const reg = await registry('schema2');
    const oci = `${reg.host}/lib/oci:v1`;
    ok(src.docker(['tag', 'busybox', oci]), 'tag');
    ok(src.docker(['push', oci]), 'push');
    const s2 = `${reg.host}/lib/s2:v1`;
    const copy = spawnSync('skopeo', ['copy', '--format', 'v2s2', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${oci}`, `docker://${s2}`], { encoding: 'utf8' });
    assert.equal(copy.status, 0, copy.stderr);
    const raw = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${s2}`], { encoding: 'utf8' }).stdout;
    const manifest = JSON.parse(raw) as { mediaType: string; layers: Array<{ mediaType: string }> };
    assert.equal(manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(manifest.layers[0]!.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    // Drop every name of the image so the gzip layer is really downloaded and unpacked.
    ok(fresh.docker(['rmi', '-f', busyboxId]), 'rmi -f');
    let r = fresh.docker(['pull', s2]);
    ok(r, 'pull schema 2');
    assert.match(r.stdout, /Pull complete/);
    assert.equal(fresh.docker(['image', 'inspect', s2, '--format', '{{.Id}}']).stdout.trim(), busyboxId);
    assert.equal(fresh.docker(['run', '--rm', s2, 'echo', 'gzip-layer']).stdout.trim(), 'gzip-layer');
    ok(fresh.docker(['tag', s2, `${reg.host}/lib/s2copy:v1`]), 'tag');
    r = fresh.docker(['push', `${reg.host}/lib/s2copy:v1`]);
    ok(r, 'push');
    const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    assert.match(r.stdout, new RegExp(`Mounted from lib/s2[\\s\\S]*v1: digest: ${digest} size: ${Buffer.byteLength(raw)}`));
  });

  it('berth pull/push, docker-py pull, and run/create pulling a missing image', async () => {
    const reg = await registry('cli');
    const name = `${reg.host}/berth/bb`;
    ok(src.berth(['tag', 'busybox', name]), 'tag');
    let r = src.berth(['push', name]);
    ok(r, 'berth push');
    assert.match(r.stdout, /Using default tag: latest[\s\S]*Pushed[\s\S]*latest: digest: sha256:/);
    r = fresh.berth(['pull', name]);
    ok(r, 'berth pull');
    assert.match(r.stdout, new RegExp(`latest: Pulling from berth/bb[\\s\\S]*Status: (Downloaded newer image|Image is up to date) for ${name}:latest\\n${name}:latest\\n$`));
    ok(fresh.docker(['rmi', `${name}:latest`]), 'rmi');
    r = fresh.python(`import docker\nc = docker.from_env()\ni = c.images.pull('${name}', tag='latest')\nprint(i.id, i.tags)`);
    ok(r, 'docker-py pull');
    assert.match(r.stdout, new RegExp(`^${busyboxId} \\[.*'${name}:latest'.*\\]$`, 'm'));
    ok(fresh.docker(['rmi', `${name}:latest`]), 'rmi');
    r = fresh.docker(['run', '--rm', `${name}:latest`, 'echo', 'auto-pulled']);
    ok(r, 'docker run pulls');
    assert.match(r.stderr, new RegExp(`Unable to find image '${name}:latest' locally`));
    assert.equal(r.stdout.trim(), 'auto-pulled');
    ok(fresh.docker(['rmi', `${name}:latest`]), 'rmi');
    r = fresh.berth(['run', '--rm', `${name}:latest`, 'echo', 'berth-pulled']);
    ok(r, 'berth run pulls');
    assert.match(r.stderr, /Unable to find image/);
    r = fresh.berth(['create', '--pull', 'always', '--name', 'pulled-always', `${name}:latest`]);
    ok(r, 'berth create --pull always');
    assert.match(r.stderr, /Status: Image is up to date/);
    assert.equal(fresh.berth(['run', '--rm', '--pull', 'never', `${reg.host}/berth/absent:x`, 'true']).code, 125);
  });

  it('reports failures with Docker’s wording and status codes', async () => {
    const reg = await registry('errors');
    let r = fresh.docker(['pull', `${reg.host}/lib/busybox:nope`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Error response from daemon: manifest for ${reg.host}/lib/busybox:nope not found: manifest unknown`));
    r = fresh.python(`import docker\ntry:\n  docker.from_env().images.pull('${reg.host}/lib/none', tag='x')\nexcept docker.errors.NotFound as e:\n  print('notfound', e.status_code)`);
    assert.equal(r.stdout.trim(), 'notfound 404', r.stderr);
    r = src.docker(['push', `${reg.host}/nothing/here`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`An image does not exist locally with the tag: ${reg.host}/nothing/here`));
    r = fresh.docker(['pull', `127.0.0.1:${await freePort()}/down/x:y`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ECONNREFUSED|connection refused/);
  });

  it('basic auth: docker login stores credentials that push and pull then send', async (t) => {
    const line = htpasswdLine('alice', 's3cret');
    if (!line) return t.skip('no bcrypt implementation (python3 crypt with METHOD_BLOWFISH) to write the htpasswd file');
    const reg = await registry('basic', { htpasswd: line });
    const img = `${reg.host}/priv/bb:v1`;
    ok(src.docker(['tag', 'busybox', img]), 'tag');
    let r = src.docker(['push', img]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /no basic auth credentials/);
    r = src.docker(['login', '-u', 'alice', '--password-stdin', reg.host], 'wrong\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`));
    r = src.python(
      `import docker\nc = docker.from_env()\nprint(c.login(username='alice', password='s3cret', registry='${reg.host}')['Status'])\ntry:\n  c.login(username='alice', password='x', registry='${reg.host}', reauth=True)\nexcept docker.errors.APIError as e:\n  print(e.status_code)`,
    );
    assert.equal(r.stdout, 'Login Succeeded\n401\n', r.stderr);
    r = src.docker(['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret\n');
    ok(r, 'login');
    assert.match(r.stdout, /Login Succeeded/);
    const cfg = JSON.parse(await fs.readFile(path.join(process.env['DOCKER_CONFIG']!, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(cfg.auths[reg.host]?.auth, Buffer.from('alice:s3cret').toString('base64'));
    ok(src.docker(['push', img]), 'push with credentials');
    ok(fresh.berth(['pull', img]), 'berth pull with stored credentials');
    ok(fresh.docker(['rmi', img]), 'rmi');
    r = fresh.berth(['logout', reg.host]);
    assert.equal(r.stdout, `Removing login credentials for ${reg.host}\n`);
    assert.match(fresh.docker(['pull', img]).stderr, /no basic auth credentials/);
    r = fresh.berth(['login', '-u', 'alice', '-p', 's3cret', reg.host]);
    ok(r, 'berth login');
    assert.match(r.stdout, /Login Succeeded/);
    ok(fresh.docker(['pull', img]), 'docker pull after berth login');

    // A build FROM an image that is not here pulls it, with the client's stored credentials
    // (X-Registry-Config), through the docker CLI's legacy builder and through berth build.
    const ctx = path.join(dir, 'from-ctx');
    await fs.mkdir(ctx, { recursive: true });
    await fs.writeFile(path.join(ctx, 'Dockerfile'), `FROM ${img}\nRUN echo pulled > /from.txt\n`);
    for (const [who, tag] of [['docker', 'from-docker'], ['berth', 'from-berth']] as const) {
      ok(fresh.docker(['rmi', img]), 'rmi before the build');
      r = fresh[who](['build', '-t', tag, ctx]);
      ok(r, `${who} build pulling its base image`);
      assert.match(r.stdout, /Pulling from priv\/bb/);
      assert.equal(fresh.docker(['run', '--rm', tag, 'cat', '/from.txt']).stdout, 'pulled\n');
    }
    ok(fresh.berth(['logout', reg.host]), 'logout');
    ok(fresh.docker(['rmi', img]), 'rmi');
    r = fresh.docker(['build', '-t', 'from-anon', ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /no basic auth credentials/);
    await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM 127.0.0.1:9/nothing/here:v1\n');
    r = fresh.docker(['build', ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /127\.0\.0\.1:9/);
    assert.equal(fresh.docker(['images', '-q', '--filter', 'dangling=true']).stdout.trim(), '');
  });

  it('token auth: the Bearer flow with anonymous and logged-in tokens', async () => {
    const tokenDir = path.join(dir, 'token');
    await fs.mkdir(tokenDir, { recursive: true });
    const ts = new TokenServer(tokenDir, 'bob', 'pw');
    await ts.start();
    try {
      const reg = await registry('token', { token: { realm: ts.realm, service: 'berth-test', issuer: ts.issuer, certFile: ts.certFile } });
      const img = `${reg.host}/team/bb:v1`;
      ok(src.docker(['tag', 'busybox', img]), 'tag');
      let r = await dockerAsync(src, ['push', img]);
      assert.notEqual(r.code, 0, 'an anonymous token may not push');
      assert.match(r.stderr + r.stdout, /unauthorized: authentication required/);
      r = await dockerAsync(src, ['login', '-u', 'bob', '--password-stdin', reg.host], 'nope\n');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /unauthorized: incorrect username or password/);
      r = await dockerAsync(src, ['login', '-u', 'bob', '--password-stdin', reg.host], 'pw\n');
      ok(r, 'login');
      ok(await dockerAsync(src, ['push', img]), 'push with a token for bob');
      assert.ok(ts.requests.some((q) => q.user === 'bob' && q.scopes.includes('repository:team/bb:pull,push')), JSON.stringify(ts.requests));
      ok(await dockerAsync(src, ['logout', reg.host]), 'logout');
      r = await dockerAsync(fresh, ['pull', img]);
      ok(r, 'anonymous pull');
      assert.ok(ts.requests.some((q) => q.user === undefined && q.scopes.includes('repository:team/bb:pull')));
      r = await dockerAsync(fresh, ['run', '--rm', img, 'echo', 'via-token']);
      ok(r, 'run');
      assert.equal(r.stdout.trim(), 'via-token');
    } finally {
      await ts.close();
    }
  });
});
