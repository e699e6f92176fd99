/**
 * Registry test harness: starts `berth registry serve` and Debian's `docker-registry` (CNCF
 * distribution 2.8) on free loopback ports, each with its own storage in a temp dir, and
 * gives raw HTTP and skopeo helpers. `stop()` ends the process it started and removes its dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO, type Result } from './harness.js';

const MAIN = path.join(REPO, 'dist/src/cli/main.js');

/** Registry processes of this test file, ended if the runner itself is terminated. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export class TestRegistry {
  /** `http://127.0.0.1:PORT` (https with TLS). */
  url = '';
  log = '';
  private constructor(
    readonly dir: string,
    readonly proc: ChildProcess,
  ) {}

  /** `127.0.0.1:PORT`, the form skopeo's docker:// references use. */
  get host(): string {
    return new URL(this.url).host;
  }

  /** Starts `berth registry serve` on a free port with storage in `dir` (default: a new temp dir). */
  static async berth(extra: string[] = [], dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registry-'))): Promise<TestRegistry> {
    const p = spawn(process.execPath, [MAIN, 'registry', 'serve', '--addr', '127.0.0.1:0', '--root', path.join(dir, 'root'), ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BERTH_LOG_LEVEL: 'info' },
    });
    const r = new TestRegistry(dir, p);
    running.add(p);
    await r.waitFor(() => /listening on (https?:\/\/\S+)/.exec(r.log)?.[1]);
    return r;
  }

  /** Starts Debian's docker-registry (deletes enabled; basic auth when `auth` is given) on a free port. */
  static async distribution(auth?: { htpasswd: string; realm: string }): Promise<TestRegistry> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-distribution-'));
    const port = await freePort();
    const config = path.join(dir, 'config.yml');
    fs.writeFileSync(
      config,
      [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${path.join(dir, 'root')}}, delete: {enabled: true}}`,
        `http: {addr: "127.0.0.1:${port}"}`,
        ...(auth ? [`auth: {htpasswd: {realm: "${auth.realm}", path: ${auth.htpasswd}}}`] : []),
        '',
      ].join('\n'),
    );
    const p = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = new TestRegistry(dir, p);
    running.add(p);
    const url = `http://127.0.0.1:${port}`;
    const up = (status?: number) => status === 200 || (auth !== undefined && status === 401);
    await r.waitFor(async () => (up((await request('GET', `${url}/v2/`).catch(() => undefined))?.status) ? url : undefined));
    return r;
  }

  private async waitFor(probe: () => string | undefined | Promise<string | undefined>): Promise<void> {
    this.proc.stdout!.on('data', (d) => (this.log += d));
    this.proc.stderr!.on('data', (d) => (this.log += d));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) break;
      const url = await probe();
      if (url) {
        this.url = url;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`registry did not come up:\n${this.log}`);
  }

  /** SIGKILL, as a crash would; the storage dir stays for a restart. */
  async crash(): Promise<void> {
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await gone;
    running.delete(this.proc);
  }

  /** SIGTERM (SIGKILL after 10 s), then removes the storage dir unless `keep`. Resolves with the exit code. */
  async stop(keep = false): Promise<number | null> {
    const p = this.proc;
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }
    running.delete(p);
    if (!keep) fs.rmSync(this.dir, { recursive: true, force: true });
    return p.exitCode;
  }
}

/** A port that was free a moment ago (for servers that cannot report the one they picked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The connection ended before the announced body did. */
  truncated: boolean;
  json<T = any>(): T;
}

/**
 * One raw HTTP(S) request, with no header added beyond what is given (no default Accept),
 * so tests control content negotiation exactly. TLS certificates are not verified.
 */
export function request(
  method: string,
  url: string,
  opts: { headers?: Record<string, string | number>; body?: Buffer | string; rawPath?: string } = {},
): Promise<Response> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  // `rawPath` is sent as it is, past the client's URL normalisation (for `..` and friends).
  const target = { hostname: u.hostname, port: u.port, path: opts.rawPath ?? `${u.pathname}${u.search}` };
  return new Promise((resolve, reject) => {
    const req = mod.request({ ...target, method, headers: opts.headers, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (truncated: boolean) => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, truncated, json: () => JSON.parse(body.toString()) });
      };
      res.on('end', () => done(false));
      // A body cut short after the headers is still an answer (distribution 2.8's 416 announces
      // the blob's length and sends less); the caller sees `truncated`.
      res.on('error', () => done(true));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The `code` of the first error in a registry error body, or undefined. */
export function errorCode(r: Response): string | undefined {
  try {
    return (r.json() as { errors?: { code: string }[] }).errors?.[0]?.code;
  } catch {
    return undefined;
  }
}

export function skopeo(args: string[]): Result {
  const r = spawnSync('skopeo', args, { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Resolves an upload `Location` (absolute, or relative as Berth sends it) against `base`. */
export function location(base: string, r: Response): URL {
  const loc = r.headers.location;
  if (!loc) throw new Error(`no Location in ${r.status} response: ${r.body.toString()}`);
  return new URL(loc, base);
}

/** Uploads `data` with POST + PUT (the flow every registry supports); returns its digest. */
export async function pushBlob(base: string, name: string, data: Buffer | string): Promise<string> {
  const digest = sha256(data);
  const start = await request('POST', `${base}/v2/${name}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`POST upload: ${start.status} ${start.body.toString()}`);
  const put = location(base, start);
  put.searchParams.set('digest', digest);
  const r = await request('PUT', put.href, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': Buffer.byteLength(data) }, body: data });
  if (r.status !== 201) throw new Error(`PUT upload: ${r.status} ${r.body.toString()}`);
  return digest;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** PUTs a manifest (an object is serialised compactly); returns the response. */
export function putManifest(base: string, name: string, ref: string, manifest: object | string, mediaType = OCI_MANIFEST): Promise<Response> {
  const body = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  return request('PUT', `${base}/v2/${name}/manifests/${ref}`, { headers: { 'Content-Type': mediaType }, body });
}

/** Pushes a config blob and one layer, then an OCI image manifest tagged `tag`; returns its parts. */
export async function pushImage(base: string, name: string, tag: string, seed = tag, extra: object = {}) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layer = Buffer.from(`layer of ${seed}`);
  const configDigest = await pushBlob(base, name, config);
  const layerDigest = await pushBlob(base, name, layer);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    ...extra,
  };
  const text = JSON.stringify(manifest);
  const r = await putManifest(base, name, tag, text);
  if (r.status !== 201) throw new Error(`PUT manifest: ${r.status} ${r.body.toString()}`);
  return { manifest, text, digest: sha256(text), configDigest, layerDigest, config, layer };
}
