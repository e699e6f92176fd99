/**
 * A throwaway single-member etcd (Debian's `etcd-server`) on free loopback ports with its own
 * data dir: what the storage tests and the benchmark run the etcd backend against. Part of
 * `host/` because it spawns a program; nothing here is used by `berth server`, which only
 * connects to an etcd someone else runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface LocalEtcdOptions {
  /** Serve clients over https with these PEM files; with `clientCA`, require client certificates signed by it. */
  tls?: { cert: string; key: string; clientCA?: string };
  /** Binary (default: `etcd` on PATH). */
  binary?: string;
}

export interface LocalEtcd {
  /** The client URL (`http://127.0.0.1:N` or `https://…`). */
  endpoint: string;
  dataDir: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL now (a crash); resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGKILL, then start again on the same ports and data (a crash and a restart). */
  restart(): Promise<void>;
  /** What etcd wrote to stderr so far. */
  log(): string;
}

/** `n` ports that were free on 127.0.0.1 a moment ago (held together, so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Starts etcd with its data under `dir` (created); resolves once it reports healthy. */
export async function startLocalEtcd(dir: string, opts: LocalEtcdOptions = {}): Promise<LocalEtcd> {
  mkdirSync(dir, { recursive: true });
  const [client, peer, metrics] = await freePorts(3);
  const scheme = opts.tls ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${client}`;
  const dataDir = join(dir, 'data');
  const args = [
    '--name', 'berth', '--data-dir', dataDir,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `berth=http://127.0.0.1:${peer}`, '--listen-metrics-urls', `http://127.0.0.1:${metrics}`,
    '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
  ];
  if (opts.tls) {
    args.push('--cert-file', opts.tls.cert, '--key-file', opts.tls.key);
    if (opts.tls.clientCA) args.push('--client-cert-auth', '--trusted-ca-file', opts.tls.clientCA);
  }
  const logFile = join(dir, 'etcd.log');
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  let proc = await launch(opts.binary ?? 'etcd', args, logFile, `http://127.0.0.1:${metrics}/health`, log);
  const self: LocalEtcd = {
    endpoint,
    dataDir,
    get pid() {
      return proc.pid;
    },
    stop: () => proc.end('SIGTERM'),
    kill: () => proc.end('SIGKILL'),
    restart: async () => {
      await proc.end('SIGKILL');
      proc = await launch(opts.binary ?? 'etcd', args, logFile, `http://127.0.0.1:${metrics}/health`, log);
    },
    log,
  };
  return self;
}

interface Proc {
  pid: number;
  end(signal: NodeJS.Signals): Promise<void>;
}

/** Spawns etcd (stderr appended to `logFile`) and waits for its health endpoint. */
async function launch(binary: string, args: string[], logFile: string, health: string, log: () => string): Promise<Proc> {
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.pipe(logStream);
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => (gone = true));
  // A test that dies must not leave etcd behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const end = async (signal: NodeJS.Signals) => {
    process.removeListener('exit', onExit);
    if (!gone) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise((r) => logStream.end(r));
  };
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined); // raced below; not a stray rejection once start-up is over
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gone) throw new Error(`etcd exited during start-up: ${log().slice(-2000)}`);
    if (Date.now() > deadline) {
      await end('SIGKILL');
      throw new Error(`etcd did not become healthy in 30 s: ${log().slice(-2000)}`);
    }
    if (await Promise.race([healthy(health), spawnError])) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, end };
}
