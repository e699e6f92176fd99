/**
 * Process helpers for the benchmark: run a command and time it, list processes from /proc,
 * read a process's resident memory.
 *
 * The benchmark is a tool that sits outside the engine (it drives the engines the way a user
 * does, through the `docker` CLI), so it spawns programs itself instead of going through
 * `src/host/`, which is the engine's own seam to the host.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
  /** True when the command was killed for exceeding `timeoutMs`. */
  timedOut: boolean;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Kill the command (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
  /** Feed this to the command's stdin. */
  input?: string;
  /** Pass stdout/stderr through to ours instead of capturing (for long installs). */
  inherit?: boolean;
  /** Send stdout to /dev/null (timing a command whose output is large, not our reading of it). */
  discardStdout?: boolean;
}

/** Runs `cmd args…` and resolves with its exit code, output and wall time; never rejects on exit code. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.inherit ? 'inherit' : opts.discardStdout ? 'ignore' : 'pipe', opts.inherit ? 'inherit' : 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - t0,
        timedOut,
      });
    });
  });
}

/** Like `run`, but rejects with the command's stderr when it exits non-zero. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const msg = r.timedOut ? `timed out after ${(r.ms / 1000).toFixed(0)} s` : (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${msg}`);
  }
  return r;
}

/** True when `cmd` is found on PATH. */
export async function have(cmd: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${cmd}`])).code === 0;
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  /** argv joined by spaces. */
  cmdline: string;
}

/** Every process visible in /proc (processes that vanish while we read are skipped). */
export function listProcs(): ProcInfo[] {
  const procs: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // comm is parenthesised and may contain spaces or ')', so split at the last ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const rest = stat.slice(close + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      procs.push({ pid: Number(name), ppid: Number(rest[1]), comm, state: rest[0] ?? '?', cmdline });
    } catch {
      // The process exited between readdir and read.
    }
  }
  return procs;
}

/** Resident set size of `pid` in KiB (0 for zombies or processes that are gone). */
export function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Proportional set size of `pid` in KiB: resident pages with shared ones divided among the
 * processes sharing them, a fairer sum over many copies of one binary (shims, conmons).
 */
export function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Sends `sig` to `pid`, ignoring "no such process". */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Waits until `pid` is gone (or a zombie) or `ms` elapse; resolves true if it is gone. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await sleep(100);
  }
  return !alive(pid);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
