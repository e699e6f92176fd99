/**
 * Helpers for the Compose integration tests: a project directory with files in it, and
 * `berth compose` / `docker-compose` run from that directory against the test's daemon.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REPO, type Result, type TestDaemon } from './harness.js';

const MAIN = path.join(REPO, 'dist/src/cli/main.js');

export class ComposeDir {
  readonly dir: string;

  constructor(
    readonly d: TestDaemon,
    name: string,
    files: Record<string, string> = {},
  ) {
    this.dir = path.join(d.dir, name);
    fs.mkdirSync(this.dir, { recursive: true });
    this.write(files);
  }

  write(files: Record<string, string>): void {
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(this.dir, f), text);
  }

  /** `berth compose ARGS` in the project directory. */
  compose(args: string[], env: Record<string, string> = {}): Result {
    const r = spawnSync(process.execPath, [MAIN, 'compose', ...args], { cwd: this.dir, env: { ...process.env, BERTH_HOST: this.d.host, ...env }, encoding: 'utf8', timeout: 180_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Like compose(), asserting success. */
  ok(args: string[], env: Record<string, string> = {}): Result {
    const r = this.compose(args, env);
    assert.equal(r.code, 0, `berth compose ${args.join(' ')}: ${r.stderr}`);
    return r;
  }

  /** Debian's docker-compose (1.29) in the project directory. */
  v1(args: string[]): Result {
    const r = spawnSync('docker-compose', args, { cwd: this.dir, env: { ...process.env, DOCKER_HOST: this.d.host, COMPOSE_INTERACTIVE_NO_CLI: '1' }, encoding: 'utf8', timeout: 180_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }
}

/** GET http://127.0.0.1:port/path from the host, retried while the server comes up. */
export async function httpGet(port: number, p = '/', tries = 50): Promise<string> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 2000 }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timeout')));
      });
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last;
}

/** Names of the daemon's containers, networks and volumes (for "nothing left" checks). */
export function inventory(d: TestDaemon): { containers: string[]; networks: string[]; volumes: string[] } {
  const list = (args: string[]) => d.docker(args).stdout.split('\n').filter(Boolean).sort();
  return {
    containers: list(['ps', '-a', '--format', '{{.Names}}']),
    networks: list(['network', 'ls', '--format', '{{.Name}}']).filter((n) => !['bridge', 'host', 'none'].includes(n)),
    volumes: list(['volume', 'ls', '-q']),
  };
}
