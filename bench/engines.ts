/**
 * The two engines under test, each with its own socket, data root and exec root under the
 * benchmark's temp dir: the reference dockerd (Debian's docker.io, which starts its own containerd
 * with root and state under our data and exec roots) and Berth's daemon.
 *
 * Both are driven by the same `docker` CLI through DOCKER_HOST; this file knows how to start them,
 * wait until they answer /_ping, find their helper processes for the memory figure, and stop them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { listProcs, pssKb, rssKb, run, sleep, alive, type RunOptions, type RunResult } from './proc.js';
import { cleanTree, removeCgroup, stopProcess } from './teardown.js';

/** The docker CLI both engines are driven with (28.x here; docker.io brings an older /usr/bin/docker). */
export const DOCKER_CLI = process.env.BENCH_DOCKER_CLI ?? (existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker');

export interface Memory {
  /** KiB: Berth's daemon, or dockerd + containerd. */
  daemonKb: number;
  /** KiB: conmon processes, or containerd-shim processes. */
  monitorsKb: number;
  monitors: number;
  /** The same two sums as proportional set size (shared pages split), KiB. */
  daemonPssKb: number;
  monitorsPssKb: number;
  /** KiB per named process, for the notes. */
  parts: Record<string, number>;
}

export interface Engine {
  label: 'Berth' | 'Docker';
  dir: string;
  /** The cgroup parent its containers go under, removed at the end (undefined: unknown). */
  cgroupParent(): string | undefined;
  sock: string;
  pid: number;
  log: string;
  memory(): Memory;
}

/** Runs the docker CLI against `e`. */
export function docker(e: Engine, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(DOCKER_CLI, args, { timeoutMs: 60_000, ...opts, env: { ...process.env, ...opts.env, DOCKER_HOST: `unix://${e.sock}` } });
}

/** Like `docker`, but rejects with the CLI's error text on a non-zero exit. */
export async function dockerOk(e: Engine, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await docker(e, args, opts);
  if (r.code !== 0) {
    const out = (r.stderr || r.stdout).trim().split('\n').filter((l) => l && !l.startsWith("Run 'docker")).slice(-3).join(' | ');
    const msg = r.timedOut ? `no answer within ${(r.ms / 1000).toFixed(0)} s, killed${out ? ` (${out})` : ''}` : out;
    throw new Error(`docker ${args.join(' ')} → exit ${r.code}: ${msg}`);
  }
  return r;
}

function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: sock, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** GET `path` from the engine's API and parse JSON; undefined on any failure (optional extras only). */
export function getJson(e: Engine, path: string): Promise<unknown> {
  return new Promise((resolve) => {
    const req = request({ socketPath: e.sock, path, method: 'GET', timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString()) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Spawns a daemon in its own process group (so Ctrl-C reaches us, not it) and waits for /_ping. */
async function startDaemon(cmd: string, args: string[], sock: string, log: string, timeoutMs: number): Promise<number> {
  const fd = openSync(log, 'a');
  // $TMPDIR beside the log: containerd may dump goroutine stacks there on a slow shutdown.
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, TMPDIR: dirname(log) } });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${cmd}`);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive(pid)) throw new Error(`${cmd} exited during start-up; last log lines:\n${tail(log)}`);
    if (existsSync(sock) && (await ping(sock))) return pid;
    await sleep(100);
  }
  await stopProcess(pid, 5000);
  throw new Error(`${cmd} did not answer /_ping on ${sock} within ${timeoutMs / 1000}s; last log lines:\n${tail(log)}`);
}

/**
 * How the reference dockerd networks: by default not at all (`--bridge=none --iptables=false`,
 * for the engine metrics), or, for the networking metrics, on `bridge` — a bridge the bench made
 * and addressed beforehand, since dockerd only creates one named docker0 itself and refuses
 * `--bip` beside `-b` — with iptables and the userland proxy as Docker ships them, and user
 * networks carved from `pool` (a range no other network on the host uses).
 */
export interface DockerNetworking {
  bridge: string;
  pool: string;
}

/** Starts Debian's dockerd as the reference, with networking off unless `net` is given. */
export async function startDocker(root: string, net?: DockerNetworking): Promise<Engine> {
  const dir = join(root, net ? 'docker-net' : 'docker');
  const data = join(dir, 'data');
  const exec = join(dir, 'exec');
  mkdirSync(data, { recursive: true });
  mkdirSync(exec, { recursive: true });
  const sock = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  // Our own daemon.json: the host's /etc/docker/daemon.json must not change the reference, and the
  // libtrust key dockerd 20.10 writes (default /etc/docker/key.json) goes under our dir.
  const config = join(dir, 'daemon.json');
  const cgroupParent = `/berth-bench-docker${net ? '-net' : ''}-${root.slice(-6)}`;
  writeFileSync(config, JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
  const networking = net
    ? ['--bridge', net.bridge, '--default-address-pool', `base=${net.pool},size=24`, '--ip6tables=false']
    : ['--iptables=false', '--ip6tables=false', '--bridge=none'];
  // Without --containerd, dockerd 20.10 starts containerd with root <data>/containerd/daemon,
  // state <exec>/containerd/daemon and socket <exec>/containerd/containerd.sock: all per run.
  const pid = await startDaemon(
    'dockerd',
    ['--config-file', config, '-H', `unix://${sock}`, '--data-root', data, '--exec-root', exec, '--pidfile', join(dir, 'docker.pid'),
      ...networking, '--storage-driver=overlay2',
      // Not the shared "/docker" parent a system dockerd would use; ours is removed at the end.
      '--cgroup-parent', cgroupParent],
    sock, log, 60_000,
  );
  const containerdSock = join(exec, 'containerd', 'containerd.sock');
  return {
    label: 'Docker', dir, sock, pid, log,
    cgroupParent: () => cgroupParent,
    memory() {
      const procs = listProcs().filter((p) => p.state !== 'Z');
      const containerd = procs.filter((p) => p.comm === 'containerd' && p.cmdline.includes(exec));
      const shims = procs.filter((p) => p.comm.startsWith('containerd-shim') && p.cmdline.includes(containerdSock));
      const dockerdKb = rssKb(pid);
      const containerdKb = containerd.reduce((s, p) => s + rssKb(p.pid), 0);
      const shimKb = shims.reduce((s, p) => s + rssKb(p.pid), 0);
      return { daemonKb: dockerdKb + containerdKb, monitorsKb: shimKb, monitors: shims.length,
        daemonPssKb: pssKb(pid) + containerd.reduce((s, p) => s + pssKb(p.pid), 0),
        monitorsPssKb: shims.reduce((s, p) => s + pssKb(p.pid), 0),
        parts: { dockerd: dockerdKb, containerd: containerdKb, 'containerd-shim (all)': shimKb } };
    },
  };
}

/** Path of Berth's compiled CLI, next to this file's dist/bench folder. */
export const BERTH_MAIN = new URL('../src/cli/main.js', import.meta.url).pathname;

/**
 * Starts Berth's daemon. `imports` are docker-archive tarballs copied into
 * <data-root>/images-import/ first, which the daemon loads at start.
 */
export async function startBerth(root: string, imports: string[]): Promise<Engine> {
  if (!existsSync(BERTH_MAIN)) throw new Error(`${BERTH_MAIN} does not exist (build with npx tsc -p .)`);
  const dir = join(root, 'berth');
  const data = join(dir, 'data');
  const exec = join(dir, 'exec');
  mkdirSync(join(data, 'images-import'), { recursive: true });
  mkdirSync(exec, { recursive: true });
  for (const tar of imports) await run('cp', [tar, join(data, 'images-import')]);
  const sock = join(dir, 'berth.sock');
  const log = join(dir, 'berth.log');
  const pid = await startDaemon(process.execPath,
    [BERTH_MAIN, 'daemon', '--data-root', data, '--exec-root', exec, '-H', `unix://${sock}`], sock, log, 120_000);
  return {
    label: 'Berth', dir, sock, pid, log,
    // Berth names its parent after its engine id; read it so a crashed daemon's cgroups go too.
    cgroupParent() {
      try {
        const id = (JSON.parse(readFileSync(join(data, 'engine-id.json'), 'utf8')) as { id?: string }).id;
        return id ? `/berth-${id.slice(0, 8)}` : undefined;
      } catch {
        return undefined;
      }
    },
    memory() {
      // conmon double-forks away from the daemon, so find it by our paths on its command line.
      const conmons = listProcs().filter((p) => p.state !== 'Z' && p.comm === 'conmon' && p.cmdline.includes(dir));
      const daemonKb = rssKb(pid);
      const conmonKb = conmons.reduce((s, p) => s + rssKb(p.pid), 0);
      return { daemonKb, monitorsKb: conmonKb, monitors: conmons.length,
        daemonPssKb: pssKb(pid), monitorsPssKb: conmons.reduce((s, p) => s + pssKb(p.pid), 0),
        parts: { 'berth daemon': daemonKb, 'conmon (all)': conmonKb } };
    },
  };
}

/**
 * Stops an engine and cleans its tree: removes its containers through the API while it still
 * answers, SIGTERM (then SIGKILL) to the daemon, then `cleanTree` for whatever it left behind.
 */
export async function stopEngine(e: Engine, keep: boolean): Promise<string[]> {
  const problems: string[] = [];
  if (alive(e.pid)) {
    const ids = await docker(e, ['ps', '-aq'], { timeoutMs: 20_000 }).catch(() => undefined);
    const list = ids?.code === 0 ? ids.stdout.split('\n').filter(Boolean) : [];
    if (list.length) await docker(e, ['rm', '-f', ...list], { timeoutMs: 60_000 }).catch(() => undefined);
    // A daemon killed mid-shutdown may leave host state (rules, bridges) that it would have removed.
    if (await stopProcess(e.pid, 30_000)) problems.push(`${e.label} daemon (pid ${e.pid}) did not exit within 30 s of SIGTERM and was killed`);
    if (alive(e.pid)) problems.push(`${e.label} daemon (pid ${e.pid}) survived SIGKILL`);
  }
  const cgroup = e.cgroupParent();
  problems.push(...(await cleanTree(e.dir, keep)).map((p) => `${e.label}: ${p}`));
  if (cgroup) problems.push(...removeCgroup(cgroup).map((p) => `${e.label}: ${p}`));
  return problems;
}
