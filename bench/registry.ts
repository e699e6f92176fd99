/**
 * The local registry the pull and push metrics (issue 5) go through: Debian's `docker-registry`
 * (CNCF distribution 2.8) on a free loopback port, storing on disk under the bench's temp dir.
 * Both engines reach it as `127.0.0.1:PORT`, which each treats as insecure (plain HTTP) by
 * default, so neither needs a daemon flag and no remote registry is ever contacted.
 *
 * No blob-descriptor cache is configured, so the registry answers every HEAD from its files:
 * `wipe()` between runs really empties it, and a push after it finds no blob already there.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { alive, sleep } from './proc.js';
import { stopProcess } from './teardown.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** A free TCP port on 127.0.0.1 (the kernel picks one; a tiny race with other binders is acceptable). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** GET `url`; resolves with status and body, or undefined when nothing answers. */
function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

/** What a repository's tag holds, as the registry stores it (for the notes). */
export interface StoredManifest {
  mediaType: string;
  layers: Array<{ mediaType: string; size: number }>;
}

export class LocalRegistry {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly pid: number,
    private readonly storage: string,
    private readonly log: string,
  ) {}

  /** `127.0.0.1:PORT`, the domain part of image references. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the registry with its config, storage and log in `<root>/registry`. */
  static async start(root: string): Promise<LocalRegistry> {
    if (!existsSync(REGISTRY_BIN)) throw new Error(`${REGISTRY_BIN} is missing (apt-get install docker-registry)`);
    const dir = join(root, 'registry');
    const storage = join(dir, 'storage');
    mkdirSync(storage, { recursive: true });
    const port = await freePort();
    const config = join(dir, 'config.yml');
    // Info-level logs, one line per request: enough to see what each engine asked for afterwards.
    writeFileSync(config, ['version: 0.1', 'log:', '  level: info', 'storage:', '  filesystem:', `    rootdirectory: ${storage}`,
      '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'));
    const log = join(dir, 'registry.log');
    const fd = openSync(log, 'a');
    // Own process group: Ctrl-C reaches the bench, which stops the registry in its teardown.
    const child = spawn(REGISTRY_BIN, ['serve', config], { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not spawn ${REGISTRY_BIN}`);
    const reg = new LocalRegistry(dir, port, child.pid, storage, log);
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      if (!alive(child.pid)) throw new Error(`docker-registry exited during start-up: ${reg.tail()}`);
      if ((await httpGet(`http://${reg.host}/v2/`))?.status === 200) return reg;
      await sleep(100);
    }
    await reg.stop();
    throw new Error(`docker-registry did not answer /v2/ on ${reg.host} within 30 s: ${reg.tail()}`);
  }

  private tail(): string {
    try {
      return readFileSync(this.log, 'utf8').trim().split('\n').slice(-5).join(' ⏎ ');
    } catch {
      return '(no log)';
    }
  }

  /** Empties the storage (every repository and blob) while the registry runs; see file header. */
  wipe(): void {
    rmSync(join(this.storage, 'docker'), { recursive: true, force: true });
  }

  /** The manifest `repo:tag` names (schema 2 or OCI), or undefined. */
  async manifest(repo: string, tag: string): Promise<StoredManifest | undefined> {
    const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
    const r = await httpGet(`http://${this.host}/v2/${repo}/manifests/${tag}`, { Accept: accept });
    if (r?.status !== 200) return undefined;
    try {
      const m = JSON.parse(r.body) as { mediaType?: string; layers?: Array<{ mediaType: string; size: number }> };
      return { mediaType: m.mediaType ?? '?', layers: m.layers ?? [] };
    } catch {
      return undefined;
    }
  }

  /** Stops the registry (SIGTERM, then SIGKILL) and removes its storage; returns problems. */
  async stop(keep = false): Promise<string[]> {
    const problems: string[] = [];
    if (alive(this.pid) && (await stopProcess(this.pid, 10_000))) problems.push(`docker-registry (pid ${this.pid}) ignored SIGTERM and was killed`);
    if (alive(this.pid)) problems.push(`docker-registry (pid ${this.pid}) survived SIGKILL`);
    if (!keep) {
      try {
        rmSync(this.dir, { recursive: true, force: true });
      } catch (e) {
        problems.push(`could not remove the registry's storage ${this.dir}: ${(e as Error).message}`);
      }
    }
    return problems;
  }
}
