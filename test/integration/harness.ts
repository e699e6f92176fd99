/**
 * Integration harness: a real Berth daemon per test file, with its own data root, exec root
 * and socket under a temp dir, the offline busybox image pre-placed for import, and helpers to
 * drive it with the real `docker` CLI, docker-py and `berth`. `stop()` shuts it down and
 * asserts the host is clean: no mounts under its roots, no conmon left, no cgroups.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const BUSYBOX_TAR = path.join(REPO, '.cache/images/busybox.tar');
const MAIN = path.join(REPO, 'dist/src/cli/main.js');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Daemons started by this test process; stopped if the runner itself is terminated. */
const running = new Set<ChildProcess>();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    for (const p of running) p.kill('SIGTERM');
    setTimeout(() => process.exit(128 + (sig === 'SIGTERM' ? 15 : 2)), 15_000).unref();
    if (running.size === 0) process.exit(1);
    for (const p of running) p.once('exit', () => running.size === 0 && process.exit(1));
  });
}

export class TestDaemon {
  readonly dir: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly sock: string;
  proc?: ChildProcess;
  log = '';

  constructor(name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-${name}-`));
    this.dataRoot = path.join(this.dir, 'data');
    this.execRoot = path.join(this.dir, 'exec');
    this.sock = path.join(this.dir, 'berth.sock');
    fs.mkdirSync(path.join(this.dataRoot, 'images-import'), { recursive: true });
    fs.copyFileSync(BUSYBOX_TAR, path.join(this.dataRoot, 'images-import', 'busybox.tar'));
  }

  get host(): string {
    return `unix://${this.sock}`;
  }

  /** Starts (or restarts) the daemon and waits until it answers /_ping. */
  async start(extra: string[] = []): Promise<void> {
    fs.rmSync(this.sock, { force: true });
    const p = spawn(process.execPath, [MAIN, 'daemon', '--data-root', this.dataRoot, '--exec-root', this.execRoot, '-H', this.host, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => (this.log += d));
    p.stderr!.on('data', (d) => (this.log += d));
    this.proc = p;
    running.add(p);
    p.once('exit', () => running.delete(p));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (p.exitCode !== null) throw new Error(`daemon exited early (${p.exitCode}):\n${this.log}`);
      if (fs.existsSync(this.sock) && this.docker(['version', '--format', '{{.Server.Version}}']).code === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`daemon did not come up:\n${this.log}`);
  }

  /** SIGKILL, as a crash would: containers must survive it. */
  async crash(): Promise<void> {
    const p = this.proc!;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  /** Graceful stop (containers are stopped with the daemon). */
  async shutdown(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await gone;
  }

  docker(args: string[], input?: string): Result {
    return run('docker', args, { DOCKER_HOST: this.host }, input);
  }

  berth(args: string[], input?: string | Buffer): Result {
    return run(process.execPath, [MAIN, ...args], { BERTH_HOST: this.host }, input);
  }

  python(code: string): Result {
    return run(pythonWithDocker(), ['-c', code], { DOCKER_HOST: this.host });
  }

  /** Shuts down and checks nothing is left on the host; throws listing leftovers. */
  async stop(): Promise<void> {
    // Remove every container first so the check covers rm's own cleanup, then stop.
    if (this.proc && this.proc.exitCode === null) {
      const ids = this.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (ids.length) this.docker(['rm', '-f', ...ids]);
    }
    await this.shutdown();
    // A dump of the ruleset taken while a CNI plugin rewrites it can show rules that are not
    // there; only what stays in three dumps counts.
    let leftovers = leaks(this.dir);
    for (let i = 0; i < 2 && leftovers.length; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const again = new Set(leaks(this.dir));
      leftovers = leftovers.filter((l) => again.has(l));
    }
    for (const m of mountsUnder(this.dir).reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (leftovers.length) throw new Error(`host state leaked:\n${leftovers.join('\n')}\n--- daemon log ---\n${this.log}`);
  }
}

function run(file: string, args: string[], env: Record<string, string>, input?: string | Buffer): Result {
  const r = spawnSync(file, args, { env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 120_000, maxBuffer: 256 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

let python: string | undefined;
/** A python3 that can import docker-py (the pyenv one here, Debian's python3-docker otherwise). */
export function pythonWithDocker(): string {
  if (python) return python;
  for (const p of ['python3', '/usr/bin/python3']) if (spawnSync(p, ['-c', 'import docker']).status === 0) return (python = p);
  throw new Error('no python3 with docker-py found');
}

export function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
}

/** Host state a daemon rooted in `dir` may leave: mounts, conmon processes, container cgroups. */
export function leaks(dir: string): string[] {
  const out = mountsUnder(dir).map((m) => `mount ${m}`);
  const ps = spawnSync('pgrep', ['-af', `conmon.*${dir}`], { encoding: 'utf8' }).stdout.trim();
  if (ps) out.push(`processes:\n${ps}`);
  const idFile = path.join(dir, 'data', 'engine-id.json');
  if (fs.existsSync(idFile)) {
    const tag = (JSON.parse(fs.readFileSync(idFile, 'utf8')) as { id: string }).id.slice(0, 8);
    const name = `berth-${tag}`;
    for (const h of fs.readdirSync('/sys/fs/cgroup')) if (fs.existsSync(path.join('/sys/fs/cgroup', h, name))) out.push(`cgroup ${h}/${name}`);
    out.push(...networkLeaks(dir, tag));
  }
  return out;
}

/** Bridges, iptables rules and subnet claims of the daemon rooted in `dir` that are still there. */
function networkLeaks(dir: string, tag: string): string[] {
  const out: string[] = [];
  const netDir = path.join(dir, 'data', 'network', 'networks');
  const bridges = [`bb-${tag}`];
  const subnets: Array<[number, number]> = [];
  const ipNum = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  if (fs.existsSync(netDir))
    for (const f of fs.readdirSync(netDir)) {
      const n = JSON.parse(fs.readFileSync(path.join(netDir, f), 'utf8')) as { BridgeName?: string; IPAM: { Config: Array<{ Subnet: string }> } };
      if (n.BridgeName) bridges.push(n.BridgeName);
      for (const c of n.IPAM.Config) {
        const [ip, bits] = c.Subnet.split('/');
        subnets.push([ipNum(ip!), 2 ** (32 - Number(bits))]);
      }
    }
  // A subnet we released may already be another daemon's (claimed in /run/berth-subnets by
  // another data root): rules in it are that daemon's, not leftovers of ours.
  const claims = '/run/berth-subnets';
  const foreign: Array<[number, number]> = [];
  if (fs.existsSync(claims))
    for (const c of fs.readdirSync(claims)) {
      const owner = path.join(claims, c, 'owner');
      const m = /^(\d+\.\d+\.\d+\.\d+)_(\d+)$/.exec(c);
      if (m && fs.existsSync(owner) && !fs.readFileSync(owner, 'utf8').startsWith(dir)) foreign.push([ipNum(m[1]!), 2 ** (32 - Number(m[2]))]);
    }
  const inAny = (ip: string, nets: Array<[number, number]>) => nets.some(([base, size]) => ipNum(ip) >= base && ipNum(ip) < base + size);
  // A rule naming an address of our subnets (a container's NAT or forward rule) outlived its container.
  const ours = (rule: string) => (rule.match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? []).some((ip) => inAny(ip, subnets) && !inAny(ip, foreign));
  for (const b of new Set(bridges)) if (fs.existsSync(`/sys/class/net/${b}`)) out.push(`link ${b}`);
  // Read under the daemons' iptables lock: a dump taken while another daemon changes the
  // ruleset can print one chain's rule under another (deleted) chain's name.
  const rules = spawnSync('flock', ['-w', '60', '/run/berth-iptables.lock', 'iptables-save'], { encoding: 'utf8' }).stdout.split('\n');
  // A rule of a chain the same dump does not declare cannot exist: the dump was taken while a
  // chain was being removed (iptables-nft can print a rule under a deleted chain's name).
  const declared = new Set(rules.filter((r) => r.startsWith(':')).map((r) => r.slice(1).split(' ')[0]));
  const consistent = (r: string) => !r.startsWith('-A ') || declared.has(r.split(' ')[1]!);
  for (const r of rules) if ((r.includes(tag) || bridges.some((b) => r.includes(b)) || ours(r)) && consistent(r)) out.push(`iptables ${r}`);
  if (fs.existsSync(claims))
    for (const c of fs.readdirSync(claims)) {
      const owner = path.join(claims, c, 'owner');
      if (fs.existsSync(owner) && fs.readFileSync(owner, 'utf8').startsWith(dir)) out.push(`subnet claim ${c}`);
    }
  return out;
}
