/**
 * Registry transfers that go wrong, with real peers: a ~50 MB image (random data, made with
 * `docker import` through Berth) pushed to Debian's docker-registry and pulled through a
 * throttling proxy; the registry is killed mid-transfer (no image may appear, no partial blob
 * may stay, and the next pull succeeds), then killed and restarted within the retry window
 * (the pull resumes with a Range request); and a fake registry serving a blob whose bytes do
 * not match its digest (rejected). Prints the pull/push times of the 50 MB image.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon, type Result } from './harness.js';
import { freePort, Registry, REGISTRY_BIN, runAsync, SlowProxy } from './registry-helpers.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync(REGISTRY_BIN) ? 'docker-registry (Debian) not installed' : false;
const ok = (r: Result, what: string) => assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
const BIG = 50_000_000;

describe('registry transfer faults', { skip }, () => {
  let dir: string;
  const src = new TestDaemon('regfault-src');
  const dst = new TestDaemon('regfault-dst');
  let reg: Registry;
  let bigId: string;

  const ingestDir = () => path.join(dst.dataRoot, 'content', 'ingest');
  const ingestBytes = () => readdirSync(ingestDir()).reduce((n, f) => n + statSync(path.join(ingestDir(), f)).size, 0);
  const blobExists = (digest: string) => existsSync(path.join(dst.dataRoot, 'content', 'blobs', 'sha256', digest.replace('sha256:', '')));
  const pullAsync = (ref: string) => runAsync('docker', ['pull', ref], { DOCKER_HOST: dst.host });
  const until = async (what: string, cond: () => boolean, ms = 30_000) => {
    for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-regfault-'));
    process.env['DOCKER_CONFIG'] = path.join(dir, 'docker-config');
    await src.start();
    // Three attempts per layer: retries after 1 s and 2 s.
    await dst.start(['--max-download-attempts', '3']);
    reg = new Registry(path.join(dir, 'registry'), await freePort());
    await reg.start();
    const ctx = path.join(dir, 'ctx');
    await fs.mkdir(ctx);
    await fs.writeFile(path.join(ctx, 'blob'), crypto.randomBytes(BIG));
    const tar = path.join(dir, 'big.tar');
    assert.equal(spawnSync('tar', ['-C', ctx, '-cf', tar, '.']).status, 0);
    const r = src.docker(['import', tar, `${reg.host}/big/data:v1`]);
    ok(r, 'import');
    bigId = r.stdout.trim();
  });

  after(async () => {
    await reg?.kill();
    await src.stop();
    await dst.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('pushes and pulls a ~50 MB image (timed)', async () => {
    let t = Date.now();
    ok(src.docker(['push', `${reg.host}/big/data:v1`]), 'push');
    const push = Date.now() - t;
    await new Promise((r) => setTimeout(r, 300)); // the registry's access log is read by this (blocked) process
    assert.match(reg.log, /"PATCH \/v2\/big\/data\/blobs\/uploads\/[^"]*" 202 /, 'a 50 MB layer goes in chunks');
    t = Date.now();
    ok(dst.docker(['pull', `${reg.host}/big/data:v1`]), 'pull');
    const pull = Date.now() - t;
    process.stdout.write(`# 50 MB image through a local registry: push ${push} ms, pull ${pull} ms\n`);
    assert.equal(dst.docker(['image', 'inspect', `${reg.host}/big/data:v1`, '--format', '{{.Id}}']).stdout.trim(), bigId);
    ok(dst.docker(['rmi', `${reg.host}/big/data:v1`]), 'rmi');
  });

  it('an interrupted pull leaves no image and no partial blob; the next pull succeeds', async () => {
    const proxy = new SlowProxy(reg.port, 10_000_000);
    await proxy.start();
    try {
      const ref = `127.0.0.1:${proxy.port}/big/data:v1`;
      const pulling = pullAsync(ref);
      await until('part of the layer to arrive', () => ingestBytes() > 5_000_000);
      await reg.kill();
      const r = await pulling;
      assert.notEqual(r.code, 0, `the pull must fail: ${r.stdout}`);
      assert.notEqual(dst.docker(['image', 'inspect', ref]).code, 0, 'no image after an interrupted pull');
      assert.equal(readdirSync(ingestDir()).length, 0, 'partial downloads are dropped');
      assert.notEqual(dst.docker(['image', 'inspect', bigId]).code, 0, 'not even untagged');
      await reg.start();
      ok(await pullAsync(ref), 'pull after the registry is back');
      assert.equal(dst.docker(['image', 'inspect', ref, '--format', '{{.Id}}']).stdout.trim(), bigId);
      ok(dst.docker(['rmi', ref]), 'rmi');
    } finally {
      await proxy.close();
    }
  });

  it('a registry restarted within the retry window lets the pull resume with a Range request', async () => {
    const proxy = new SlowProxy(reg.port, 10_000_000);
    await proxy.start();
    try {
      const ref = `127.0.0.1:${proxy.port}/big/data:v1`;
      const pulling = pullAsync(ref);
      await until('part of the layer to arrive', () => ingestBytes() > 5_000_000);
      await reg.kill();
      const logFrom = reg.log.length;
      await reg.start();
      const r = await pulling;
      ok(r, 'pull');
      assert.match(r.stdout, /Pull complete/);
      assert.match(reg.log.slice(logFrom), /"GET \/v2\/big\/data\/blobs\/sha256:[a-f0-9]{64} HTTP\/1.1" 206 /, 'the retry asked for the rest only');
      assert.equal(dst.docker(['image', 'inspect', ref, '--format', '{{.Id}}']).stdout.trim(), bigId);
      ok(dst.docker(['rmi', ref]), 'rmi');
    } finally {
      await proxy.close();
    }
  });

  it('a client that hangs up cancels the pull and its partial download', async () => {
    const proxy = new SlowProxy(reg.port, 10_000_000);
    await proxy.start();
    try {
      const ref = `127.0.0.1:${proxy.port}/big/data:v1`;
      const cli = spawn('docker', ['pull', ref], { env: { ...process.env, DOCKER_HOST: dst.host }, stdio: 'ignore' });
      await until('part of the layer to arrive', () => ingestBytes() > 5_000_000);
      cli.kill('SIGKILL');
      await until('the partial download to be dropped', () => readdirSync(ingestDir()).length === 0, 10_000);
      assert.notEqual(dst.docker(['image', 'inspect', ref]).code, 0);
    } finally {
      await proxy.close();
    }
  });

  it('rejects a blob whose bytes do not match its digest', async () => {
    const layer = crypto.randomBytes(64 << 10);
    const digest = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
    const good = digest(layer);
    const corrupted = Buffer.from(layer);
    corrupted[1000] = corrupted[1000]! ^ 0xff;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [good] } }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: good, size: layer.length }],
      }),
    );
    const fake = http.createServer((req, res) => {
      const send = (type: string, body: Buffer) => (res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length }), res.end(body));
      if (req.url === '/v2/') return send('application/json', Buffer.from('{}'));
      if (req.url === '/v2/fake/bad/manifests/latest') return send('application/vnd.oci.image.manifest.v1+json', manifest);
      if (req.url === `/v2/fake/bad/blobs/${digest(config)}`) return send('application/octet-stream', config);
      if (req.url === `/v2/fake/bad/blobs/${good}`) return send('application/octet-stream', corrupted);
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: req.url }] }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const ref = `127.0.0.1:${(fake.address() as net.AddressInfo).port}/fake/bad:latest`;
      const r = await pullAsync(ref);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${good}`));
      assert.notEqual(dst.docker(['image', 'inspect', ref]).code, 0);
      assert.equal(blobExists(good), false, 'corrupted bytes never enter the content store');
      assert.equal(readdirSync(ingestDir()).length, 0);
    } finally {
      fake.closeAllConnections();
      await new Promise((r) => fake.close(r));
    }
  });
});
