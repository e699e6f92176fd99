/**
 * The measurements, each driven through the docker CLI exactly as a user would type it. Every
 * command's exit code is checked: a failed command is an error in the report, never a fast sample.
 *
 * Samples alternate between the engines (Berth, Docker, Berth, Docker, …) so that background load
 * on the machine (other tests, disk writeback) falls on both sides alike.
 */
import { docker, dockerOk, getJson, type Engine, type Memory } from './engines.js';
import type { ImageArchive } from './images.js';
import type { BenchOptions, Metric } from './options.js';
import { run, sleep } from './proc.js';
import { measureBuild } from './build.js';
import { measureExec, measureLogs } from './streams.js';

export interface EngineResults {
  /** Milliseconds per sample. */
  runRm?: number[];
  runD?: number[];
  ps?: number[];
  rmF?: number[];
  /** Milliseconds per load of `bytes`. */
  load?: { ms: number[]; bytes: number };
  /** Milliseconds per `docker logs` of a log of `bytes`. */
  logs?: { ms: number[]; bytes: number };
  /** Milliseconds per `docker exec c true`. */
  exec?: number[];
  mem?: Memory;
  /** ms of `run --rm busybox true` with `--network none` and on the default bridge, in pairs (same index). */
  netSetup?: { none: number[]; bridge: number[]; stages?: Record<string, number[]> };
  /** ms per HTTP GET of 1 kB through a published port, by address ("lo" 127.0.0.1, "host" the host's address). */
  portLat?: Record<string, number[]>;
  /** ms per download of `bytes` through a published port, by address as in portLat. */
  portBw?: { bytes: number; ms: Record<string, number[]> };
  /** ms per container-to-container transfer of `bytes` on a user network. */
  c2c?: { bytes: number; ms: number[] };
  /** ms per cold (`--no-cache`) build and per fully cached rebuild (build.ts). */
  build?: number[];
  rebuild?: number[];
  /** ms per `docker push` / `docker pull` of the load image through the local registry (transfer.ts). */
  push?: number[];
  pull?: number[];
  /** Berth only: stage → milliseconds per `run -d`, from the daemon's own trace (/berth/trace/{id}). */
  stages?: Record<string, number[]>;
  /** metric → error text, when that measurement failed. */
  errors: Record<string, string>;
  /** metric → why the engine cannot be measured on it (a feature it does not have yet). */
  missing: Record<string, string>;
}

/** One engine under test; `engine` is unset when it was skipped or did not start. */
export interface Contender {
  label: 'Berth' | 'Docker';
  engine?: Engine;
  absent?: string;
  results: EngineResults;
}


/**
 * Takes `count` samples of `fn` per engine, alternating engines; an engine whose command fails
 * drops out of this metric with the error recorded. Returns the samples per contender.
 */
export async function alternate(sides: Contender[], metric: Metric, count: number, stop: () => boolean,
  fn: (e: Engine, i: number) => Promise<number>): Promise<Map<Contender, number[]>> {
  const out = new Map(sides.map((s) => [s, [] as number[]]));
  for (let i = 0; i < count && !stop(); i++) {
    for (const s of sides) {
      if (s.results.errors[metric] || stop()) continue;
      try {
        out.get(s)!.push(await fn(s.engine!, i));
      } catch (e) {
        s.results.errors[metric] = (e as Error).message;
      }
    }
  }
  for (const s of sides) if (s.results.errors[metric]) out.delete(s);
  return out;
}

/** Makes sure `archive` is loaded (Berth may already have auto-imported it at start). */
export async function ensureImage(e: Engine, archive: ImageArchive): Promise<void> {
  const have = await docker(e, ['image', 'inspect', '--format', '{{.Id}}', archive.ref]);
  if (have.code === 0) return;
  await dockerOk(e, ['load', '-i', archive.path], { timeoutMs: 600_000 });
  await dockerOk(e, ['image', 'inspect', '--format', '{{.Id}}', archive.ref]);
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

/** Median of three memory samples, after start-up allocations have settled. */
async function sampleMemory(e: Engine): Promise<Memory> {
  const samples: Memory[] = [];
  for (let i = 0; i < 3; i++) {
    samples.push(e.memory());
    await sleep(500);
  }
  samples.sort((a, b) => a.daemonKb + a.monitorsKb - (b.daemonKb + b.monitorsKb));
  return samples[1]!;
}

/** Runs every selected measurement on every contender whose engine runs. */
export async function measureAll(o: BenchOptions, all: Contender[], busybox: ImageArchive, big: ImageArchive | undefined,
  stop: () => boolean, say: (m: string) => void): Promise<void> {
  for (const s of all.filter((c) => c.engine)) {
    await ensureImage(s.engine!, busybox).catch((e: Error) => {
      s.absent = 'busybox did not load';
      s.results.errors.busybox = e.message;
      delete s.engine;
    });
  }
  const sides = all.filter((c) => c.engine);
  const show = (what: string, m: Map<Contender, number[]>, unit = 1, digits = 0) => {
    if (o.verbose) for (const [s, xs] of m) say(`${s.label} ${what}: ${xs.map((v) => (v / unit).toFixed(digits)).join(' ')}`);
  };

  if (o.only.has('run') && !stop()) {
    say(`run --rm busybox true: ${o.warmups} warm-ups + ${o.runs} runs per engine`);
    const once = async (e: Engine) => (await dockerOk(e, ['run', '--rm', 'busybox', 'true'])).ms;
    await alternate(sides, 'run', o.warmups, stop, once);
    const m = await alternate(sides, 'run', o.runs, stop, once);
    for (const [s, xs] of m) {
      const left = (await dockerOk(s.engine!, ['ps', '-aq'])).stdout.trim();
      if (left) s.results.errors.run = `run --rm left ${left.split('\n').length} container(s) behind`;
      else s.results.runRm = xs;
    }
    show('run --rm (ms)', m);
  }

  if (['rund', 'ps', 'rm', 'mem'].some((k) => o.only.has(k as never)) && !stop()) {
    const n = o.containers;
    say(`${n} × run -d busybox sleep 3600, ps, memory, ${n} × rm -f`);
    const ids = new Map<Engine, string[]>(sides.map((s) => [s.engine!, []]));
    const runD = await alternate(sides, 'rund', n, stop, async (e) => {
      const r = await dockerOk(e, ['run', '-d', 'busybox', 'sleep', '3600']);
      ids.get(e)!.push(r.stdout.trim());
      return r.ms;
    });
    show('run -d (ms)', runD);
    for (const [s, xs] of runD) {
      if (o.only.has('rund')) s.results.runD = xs;
      if (s.label === 'Berth') s.results.stages = await traceStages(s.engine!, ids.get(s.engine!)!);
      const running = (await dockerOk(s.engine!, ['ps', '-q'])).stdout.trim().split('\n').filter(Boolean).length;
      if (running !== n) s.results.errors.rund = `${running} of ${n} containers are running after run -d`;
    }
    const full = sides.filter((s) => runD.has(s) && !s.results.errors.rund);
    if (o.only.has('ps')) {
      const psOnce = async (e: Engine) => {
        const r = await dockerOk(e, ['ps']);
        const rows = r.stdout.trim().split('\n').length - 1;
        if (rows !== n) throw new Error(`docker ps listed ${rows} containers, expected ${n}`);
        return r.ms;
      };
      await alternate(full, 'ps', o.warmups, stop, psOnce);
      const ps = await alternate(full, 'ps', o.runs, stop, psOnce);
      for (const [s, xs] of ps) s.results.ps = xs;
      show('ps (ms)', ps);
    }
    if (o.only.has('mem') && !stop()) {
      await sleep(2000);
      for (const s of full) s.results.mem = await sampleMemory(s.engine!);
    }
    // rm -f runs even after an interruption or failure above: it is also the clean-up.
    const rm = await alternate(sides, 'rm', n, () => false, async (e, i) => {
      const id = ids.get(e)![i];
      return id ? (await dockerOk(e, ['rm', '-f', id])).ms : Number.NaN;
    });
    for (const [s, xs] of rm) if (o.only.has('rm') && runD.has(s) && xs.every((x) => !Number.isNaN(x))) s.results.rmF = xs;
    show('rm -f (ms)', rm);
    for (const s of sides) {
      if (!s.results.errors.rund) continue;
      for (const k of ['ps', 'mem', 'rm'] as const) {
        const measured = k === 'ps' ? s.results.ps : k === 'mem' ? s.results.mem : s.results.rmF;
        if (o.only.has(k) && !measured && !s.results.errors[k]) s.results.errors[k] = 'not measured: run -d failed';
      }
    }
  }

  if (o.only.has('logs') && !stop()) await measureLogs(o, sides, stop, say);
  if (o.only.has('exec') && !stop()) await measureExec(o, sides, stop, say);
  if ((o.only.has('build') || o.only.has('rebuild')) && !stop()) await measureBuild(o, sides, stop, say);

  if (o.only.has('load') && big && !stop()) {
    say(`docker load of ${(big.bytes / 1e6).toFixed(0)} MB: ${o.loadRuns} runs per engine`);
    const load = await alternate(sides, 'load', o.loadRuns, stop, async (e) => {
      await docker(e, ['rmi', '-f', big.ref]);
      // Start each sample with no dirty pages left by the previous one (the other engine's).
      await run('sync', []);
      const r = await dockerOk(e, ['load', '-i', big.path], { timeoutMs: 900_000 });
      await dockerOk(e, ['image', 'inspect', '--format', '{{.Id}}', big.ref]);
      return r.ms;
    });
    for (const s of sides) await docker(s.engine!, ['rmi', '-f', big.ref]);
    for (const [s, xs] of load) s.results.load = { ms: xs, bytes: big.bytes };
    show('load (s)', load, 1000, 2);
  }
}
