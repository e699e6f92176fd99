/**
 * The measurements, each driven through the docker CLI exactly as a user would type it, against
 * one engine at a time. Every command's exit code is checked: a failed command is an error in the
 * report, never a fast sample.
 */
import { docker, dockerOk, getJson, type Engine, type Memory } from './engines.js';
import type { ImageArchive } from './images.js';
import { sleep } from './proc.js';

export interface EngineResults {
  /** Milliseconds per sample. */
  runRm?: number[];
  runD?: number[];
  ps?: number[];
  rmF?: number[];
  /** Milliseconds per load of `bytes`. */
  load?: { ms: number[]; bytes: number };
  mem?: Memory;
  /** Berth only: stage → milliseconds per `run -d`, from the daemon's own trace (/berth/trace/{id}). */
  stages?: Record<string, number[]>;
  /** metric → error text, when that measurement failed. */
  errors: Record<string, string>;
}

type Say = (msg: string) => void;

/** Makes sure `archive` is loaded (Berth may already have auto-imported it at start). */
export async function ensureImage(e: Engine, archive: ImageArchive): Promise<void> {
  const have = await docker(e, ['image', 'inspect', '--format', '{{.Id}}', archive.ref]);
  if (have.code === 0) return;
  await dockerOk(e, ['load', '-i', archive.path], { timeoutMs: 600_000 });
  await dockerOk(e, ['image', 'inspect', '--format', '{{.Id}}', archive.ref]);
}

/** `docker run --rm busybox true`, after untimed warm-ups. */
export async function measureRunRm(e: Engine, warmups: number, runs: number, say: Say): Promise<number[]> {
  for (let i = 0; i < warmups; i++) await dockerOk(e, ['run', '--rm', 'busybox', 'true']);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push((await dockerOk(e, ['run', '--rm', 'busybox', 'true'])).ms);
  say(`run --rm: ${out.map((v) => v.toFixed(0)).join(' ')} ms`);
  const left = await dockerOk(e, ['ps', '-aq']);
  if (left.stdout.trim()) throw new Error(`run --rm left containers behind: ${left.stdout.trim().split('\n').length}`);
  return out;
}

/**
 * The container phase: n × `run -d busybox sleep 3600` (per op), `ps` with n running, memory
 * with n running, n × `rm -f` (per op). Steps the caller did not ask for are run untimed when a
 * later step needs their containers.
 */
export async function measureContainers(
  e: Engine, n: number, warmups: number, runs: number, want: { ps: boolean; mem: boolean }, res: EngineResults, say: Say,
): Promise<void> {
  const ids: string[] = [];
  const runD: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const r = await dockerOk(e, ['run', '-d', 'busybox', 'sleep', '3600']);
      ids.push(r.stdout.trim());
      runD.push(r.ms);
    }
    res.runD = runD;
    say(`run -d: ${runD.map((v) => v.toFixed(0)).join(' ')} ms`);
    if (e.label === 'Berth') res.stages = await traceStages(e, ids);
    const running = (await dockerOk(e, ['ps', '-q'])).stdout.trim().split('\n').filter(Boolean).length;
    if (running !== n) throw new Error(`${running} of ${n} containers are running after run -d`);
    if (want.ps) {
      try {
        for (let i = 0; i < warmups; i++) await dockerOk(e, ['ps']);
        const ps: number[] = [];
        for (let i = 0; i < runs; i++) {
          const r = await dockerOk(e, ['ps']);
          const rows = r.stdout.trim().split('\n').length - 1;
          if (rows !== n) throw new Error(`docker ps listed ${rows} containers, expected ${n}`);
          ps.push(r.ms);
        }
        res.ps = ps;
        say(`ps: ${ps.map((v) => v.toFixed(0)).join(' ')} ms`);
      } catch (err) {
        res.errors.ps = (err as Error).message;
      }
    }
    if (want.mem) {
      // Let start-up allocations settle, then take the median of three samples.
      await sleep(2000);
      const samples: Memory[] = [];
      for (let i = 0; i < 3; i++) {
        samples.push(e.memory());
        await sleep(500);
      }
      samples.sort((a, b) => a.daemonKb + a.monitorsKb - (b.daemonKb + b.monitorsKb));
      res.mem = samples[1];
      say(`memory: ${JSON.stringify(res.mem)}`);
    }
  } finally {
    const rmF: number[] = [];
    let rmError = '';
    for (const id of ids) {
      const r = await docker(e, ['rm', '-f', id]);
      if (r.code === 0) rmF.push(r.ms);
      else rmError ||= `docker rm -f → exit ${r.code}: ${r.stderr.trim()}`;
    }
    if (rmError) res.errors.rm = rmError;
    else if (ids.length === n) res.rmF = rmF;
    if (rmF.length) say(`rm -f: ${rmF.map((v) => v.toFixed(0)).join(' ')} ms`);
  }
}

/**
 * The daemon-side stage timings of each container's create + start, read from Berth's tracing
 * endpoint: the same numbers `berth --trace run` prints. Missing traces are skipped.
 */
async function traceStages(e: Engine, ids: string[]): Promise<Record<string, number[]> | undefined> {
  const stages: Record<string, number[]> = {};
  for (const id of ids) {
    const t = (await getJson(e, `/berth/trace/${id}`)) as { Spans?: { Stage: string; StartMs: number; DurationMs: number }[] } | undefined;
    if (!t?.Spans?.length) continue;
    for (const s of t.Spans) (stages[s.Stage] ??= []).push(s.DurationMs);
    (stages['(all stages, first start to last end)'] ??= []).push(Math.max(...t.Spans.map((s) => s.StartMs + s.DurationMs)) - Math.min(...t.Spans.map((s) => s.StartMs)));
  }
  return Object.keys(stages).length ? stages : undefined;
}

/** `docker load -i` of the big archive, removing the image before each run. */
export async function measureLoad(e: Engine, archive: ImageArchive, runs: number, say: Say): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      await docker(e, ['rmi', '-f', archive.ref]);
      const r = await dockerOk(e, ['load', '-i', archive.path], { timeoutMs: 900_000 });
      ms.push(r.ms);
      await dockerOk(e, ['image', 'inspect', '--format', '{{.Id}}', archive.ref]);
    }
  } finally {
    await docker(e, ['rmi', '-f', archive.ref]);
  }
  say(`load: ${ms.map((v) => (v / 1000).toFixed(2)).join(' ')} s`);
  return { ms, bytes: archive.bytes };
}
