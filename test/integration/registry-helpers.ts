/**
 * Real and fake registry peers for the registry client tests: Debian's `docker-registry`
 * (CNCF distribution 2.8) on a free loopback port with its config in a temp dir, optionally
 * with htpasswd basic auth or token auth; a token server signing JWTs with a throwaway
 * openssl certificate; a throttling TCP proxy (so a transfer lasts long enough to be cut);
 * and async command runners — the peers live in this process, so a synchronous spawn would
 * stall them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Result } from './harness.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Runs a command without blocking the event loop. */
export function runAsync(file: string, args: string[], env: Record<string, string>, input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const p = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.stdin.end(input ?? '');
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `user:bcrypt(pass)` for distribution's htpasswd auth, or undefined when no bcrypt is at hand. */
export function htpasswdLine(user: string, pass: string): string | undefined {
  // Python's crypt module (deprecated, still in Debian 12's 3.11) has bcrypt as METHOD_BLOWFISH;
  // the lowest cost (2^4 rounds) keeps the registry's check of every request fast.
  const r = spawnSync('python3', ['-W', 'ignore', '-c', `import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))`, pass], { encoding: 'utf8' });
  const hash = r.stdout.trim();
  return r.status === 0 && hash.startsWith('$2') ? `${user}:${hash}` : undefined;
}

export interface RegistryAuth {
  htpasswd?: string;
  token?: { realm: string; service: string; issuer: string; certFile: string };
}

/** Debian's docker-registry on 127.0.0.1:`port`, storing under `dir/data`. */
export class Registry {
  proc?: ChildProcess;
  log = '';
  readonly configFile: string;

  constructor(
    readonly dir: string,
    readonly port: number,
    auth: RegistryAuth = {},
  ) {
    fs.mkdirSync(dir, { recursive: true });
    let authYaml = '';
    if (auth.htpasswd) {
      fs.writeFileSync(path.join(dir, 'htpasswd'), `${auth.htpasswd}\n`);
      authYaml = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${path.join(dir, 'htpasswd')}\n`;
    } else if (auth.token) {
      const t = auth.token;
      authYaml = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certFile}\n`;
    }
    this.configFile = path.join(dir, 'config.yml');
    fs.writeFileSync(
      this.configFile,
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: berth-test\n${authYaml}`,
    );
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts it and waits until `/v2/` answers. */
  async start(): Promise<void> {
    const p = spawn(REGISTRY_BIN, ['serve', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => (this.log += d));
    p.stderr!.on('data', (d) => (this.log += d));
    this.proc = p;
    for (let i = 0; i < 100; i++) {
      if (p.exitCode !== null) throw new Error(`docker-registry exited:\n${this.log}`);
      const ok = await new Promise<boolean>((r) => http.get(`http://${this.host}/v2/`, (res) => (res.resume(), r(true))).on('error', () => r(false)));
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`docker-registry did not come up:\n${this.log}`);
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}

/**
 * A token server for distribution's `auth: token`: anonymous callers get pull rights only,
 * `user`/`pass` get what they ask for, wrong credentials a 401. Tokens are ES256 JWTs whose
 * `x5c` header carries the self-signed certificate the registry trusts.
 */
export class TokenServer {
  readonly server: http.Server;
  readonly certFile: string;
  readonly issuer = 'berth-test-issuer';
  readonly requests: Array<{ user?: string; scopes: string[] }> = [];
  private readonly key: crypto.KeyObject;
  private readonly certDer: string;
  port = 0;

  constructor(dir: string, readonly user: string, readonly pass: string) {
    const keyFile = path.join(dir, 'token.key');
    this.certFile = path.join(dir, 'token.crt');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', this.certFile, '-days', '1', '-subj', '/CN=berth-test-token'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    this.key = crypto.createPrivateKey(fs.readFileSync(keyFile));
    this.certDer = new crypto.X509Certificate(fs.readFileSync(this.certFile)).raw.toString('base64');
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://x');
    let user: string | undefined;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      const [name, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      if (name !== this.user || rest.join(':') !== this.pass) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }));
        return;
      }
      user = name;
    }
    const scopes = u.searchParams.getAll('scope');
    this.requests.push({ user, scopes });
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = (rest.pop() ?? '').split(',');
      return { type, name: rest.join(':'), actions: user ? actions : actions.filter((a) => a === 'pull') };
    });
    const now = Math.floor(Date.now() / 1000);
    const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${b64u({ typ: 'JWT', alg: 'ES256', x5c: [this.certDer] })}.${b64u({ iss: this.issuer, sub: user ?? '', aud: u.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access })}`;
    const sig = crypto.sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: `${input}.${sig}`, expires_in: 300 }));
  }
}

/**
 * A TCP proxy that passes registry answers on at `bytesPerSec`, so a large blob takes long
 * enough for the test to cut it. The registry behind it can be killed and restarted.
 */
export class SlowProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly target: number,
    private readonly bytesPerSec: number,
  ) {
    this.server = net.createServer((client) => {
      const up = net.connect(this.target, '127.0.0.1');
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
      client.pipe(up);
      const start = Date.now();
      let sent = 0;
      up.on('data', (d: Buffer) => {
        client.write(d);
        sent += d.length;
        const ahead = sent / this.bytesPerSec - (Date.now() - start) / 1000;
        if (ahead > 0.05) {
          up.pause();
          setTimeout(() => up.resume(), ahead * 1000);
        }
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}
