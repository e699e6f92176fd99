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

  /** Serves one image `fake/<name>:latest` of one layer from a fake registry; `blob` answers the layer's GETs. */
  async function fakeRegistry(name: string, layer: Buffer, blob: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
      }),
    );
    let blobGets = 0;
    const server = http.createServer((req, res) => {
      const send = (type: string, body: Buffer) => (res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length }), res.end(body));
      if (req.url === '/v2/') return send('application/json', Buffer.from('{}'));
      if (req.url === `/v2/fake/${name}/manifests/latest`) return send('application/vnd.oci.image.manifest.v1+json', manifest);
      if (req.url === `/v2/fake/${name}/blobs/${sha(config)}`) return send('application/octet-stream', config);
      if (req.url === `/v2/fake/${name}/blobs/${sha(layer)}`) return blob(req, res, ++blobGets);
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: req.url }] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      ref: `127.0.0.1:${(server.address() as net.AddressInfo).port}/fake/${name}:latest`,
      close: async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  }
  const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
  const stagedLayers = () => readdirSync(path.join(dst.dataRoot, 'snapshots', 'tmp'));

  it('rejects a blob whose bytes do not match its digest', async () => {
    const layer = crypto.randomBytes(64 << 10);
    const good = sha(layer);
    const corrupted = Buffer.from(layer);
    corrupted[1000] = corrupted[1000]! ^ 0xff;
    const fake = await fakeRegistry('bad', layer, (_req, res) => (res.writeHead(200, { 'Content-Length': corrupted.length }), res.end(corrupted)));
    try {
      const r = await pullAsync(fake.ref);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${good}`));
      assert.notEqual(dst.docker(['image', 'inspect', fake.ref]).code, 0);
      assert.equal(blobExists(good), false, 'corrupted bytes never enter the content store');
      assert.equal(readdirSync(ingestDir()).length, 0);
      assert.deepEqual(stagedLayers(), [], 'the layer unpacked while downloading is discarded');
    } finally {
      await fake.close();
    }
  });

  it('a transfer that starts over (Range ignored) still unpacks the layer it verified', async () => {
    // The layer is unpacked while it downloads; when the second attempt starts from byte 0,
    // what was unpacked from the first cannot be continued and the layer is unpacked again.
    const ctx = path.join(dir, 'restart-ctx');
    await fs.mkdir(ctx, { recursive: true });
    await fs.writeFile(path.join(ctx, 'payload'), crypto.randomBytes(4 << 20));
    const layer = spawnSync('tar', ['-C', ctx, '-cf', '-', '.'], { maxBuffer: 64 << 20 }).stdout;
    const fake = await fakeRegistry('restart', layer, (_req, res, n) => {
      res.writeHead(200, { 'Content-Length': layer.length });
      if (n > 1) return res.end(layer); // a 200 from byte 0, whatever Range asked for
      res.write(layer.subarray(0, layer.length >> 1), () => setTimeout(() => res.destroy(), 50));
    });
    try {
      const r = await pullAsync(fake.ref);
      ok(r, 'pull after a restarted transfer');
      assert.equal(dst.docker(['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', fake.ref]).stdout.trim(), sha(layer));
      // A first layer's chain ID is its diff ID: the committed snapshot holds the whole file.
      const unpacked = path.join(dst.dataRoot, 'snapshots', sha(layer).slice('sha256:'.length), 'fs', 'payload');
      assert.equal(statSync(unpacked).size, 4 << 20);
      assert.deepEqual(stagedLayers(), []);
    } finally {
      await fake.close();
    }
  });

  it('a hostile layer with valid digests is refused while streaming and leaves no layer', async () => {
    const layer = Buffer.concat([tarHeader('../../escape', 5), Buffer.from('pwned'.padEnd(512, '\0')), Buffer.alloc(1024)]);
    const fake = await fakeRegistry('hostile', layer, (_req, res) => (res.writeHead(200, { 'Content-Length': layer.length }), res.end(layer)));
    try {
      const r = await pullAsync(fake.ref);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /escapes the layer root/);
      assert.notEqual(dst.docker(['image', 'inspect', fake.ref]).code, 0);
      assert.deepEqual(stagedLayers(), []);
      assert.equal(existsSync(path.join(dst.dataRoot, '..', 'escape')), false);
    } finally {
      await fake.close();
    }
  });
});

/** A ustar header for a regular file (hostile names included, which tar tools refuse to write). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}
