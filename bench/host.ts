/**
 * Host preparation and description for the benchmark: installs the reference engine (Debian's
 * docker.io) and debootstrap when missing, without letting the package start a system dockerd,
 * and collects the machine facts recorded beside the numbers.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { have, listProcs, run } from './proc.js';
import { DOCKER_CLI } from './engines.js';

const POLICY = '/usr/sbin/policy-rc.d';

/**
 * Installs the Debian packages whose binaries are missing (`binary → package`), idempotently.
 * While installing, a policy-rc.d that denies every service start keeps docker.io's postinst
 * from starting the system dockerd/containerd on hosts that have an init system.
 */
export async function ensurePackages(wanted: Record<string, string>): Promise<void> {
  const missing: string[] = [];
  for (const [bin, pkg] of Object.entries(wanted)) if (!(await have(bin)) && !missing.includes(pkg)) missing.push(pkg);
  if (missing.length === 0) return;
  process.stderr.write(`bench: installing ${missing.join(' ')} from Debian…\n`);
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\n# written by berth bench during apt-get install; removed after\nexit 101\n', { mode: 0o755 });
  // Ctrl-C during the install must not leave our policy-rc.d behind.
  const onSignal = () => {
    if (ownPolicy) rmSync(POLICY, { force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: 30 * 60_000 });
    let r = await install();
    if (r.code !== 0) {
      // Stale package lists are the usual cause; refresh once and retry.
      await run('apt-get', ['update'], { env, timeoutMs: 10 * 60_000 });
      r = await install();
    }
    if (r.code !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed:\n${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
}

/** dockerd/containerd/shim/conmon processes running now (to tell ours from strays afterwards). */
export function engineProcesses(): Map<number, string> {
  const m = new Map<number, string>();
  for (const p of listProcs()) {
    if (p.state === 'Z') continue;
    if (['dockerd', 'containerd', 'conmon'].includes(p.comm) || p.comm.startsWith('containerd-shim')) m.set(p.pid, p.cmdline);
  }
  return m;
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args).catch(() => undefined);
  if (!r || r.code !== 0) return 'not installed';
  return r.stdout.trim().split('\n')[0] ?? '';
}

export interface MachineInfo {
  date: string;
  cpu: string;
  nproc: number;
  memGiB: string;
  kernel: string;
  os: string;
  versions: Record<string, string>;
}

/** The facts printed above the table in BENCHMARKS.md. */
export async function machineInfo(repoRoot: string): Promise<MachineInfo> {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const commit = await run('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']).catch(() => undefined);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus()[0]?.model ?? 'unknown',
    nproc: cpus().length,
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: release(),
    os: /^PRETTY_NAME="?([^"\n]*)/m.exec(osRelease)?.[1] ?? 'unknown',
    versions: {
      'docker CLI': await firstLine(DOCKER_CLI, ['--version']),
      dockerd: await firstLine('dockerd', ['--version']),
      containerd: await firstLine('containerd', ['--version']),
      runc: await firstLine('runc', ['--version']),
      conmon: await firstLine('conmon', ['--version']),
      node: process.version,
      berth: commit?.code === 0 ? `commit ${commit.stdout.trim()}` : 'unknown commit',
    },
  };
}
