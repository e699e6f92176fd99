/**
 * Command-line options of `npm run bench` (`node dist/bench/main.js`).
 *
 * Quick runs: `--only run,load --runs 5` (networking: `--only netsetup,portlat,portbw,c2c`; registry: `--only pull,push`; the Kubernetes store:
 * `--only kstore`, which needs neither root nor Docker); one side only while the other is being written:
 * `--skip-berth` / `--skip-docker`. A partial run does not touch BENCHMARKS.md unless `--write`.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { KstoreOptions } from './kstore.js';

/** The measurements, by the short names `--only` accepts. */
export const METRICS = ['run', 'rund', 'ps', 'rm', 'load', 'mem', 'logs', 'exec', 'netsetup', 'portlat', 'portbw', 'c2c', 'pull', 'push', 'build', 'rebuild', 'kstore'] as const;
export type Metric = (typeof METRICS)[number];

/** The networking metrics of issue 4: measured against a second dockerd that has bridge + iptables. */
export const NET_METRICS: readonly Metric[] = ['netsetup', 'portlat', 'portbw', 'c2c'];

export interface BenchOptions {
  only: Set<Metric>;
  /** Timed `run --rm` and `ps` repetitions (and push/pull runs). */
  runs: number;
  warmups: number;
  /** Containers started for run -d / ps / memory / rm -f. */
  containers: number;
  loadRuns: number;
  /** Size of the log `docker logs` reads, and timed reads of it. */
  logsMB: number;
  logsRuns: number;
  /** Sequential HTTP GETs (new connection each) per address and engine, for portlat. */
  requests: number;
  /** Timed downloads per address and engine (portbw), and transfers per engine (c2c). */
  bwRuns: number;
  /** Size of the file downloaded through the published port, and of the container-to-container transfer. */
  portbwMB: number;
  c2cMB: number;
  /** The Kubernetes store measurement (kstore.ts). */
  kstore: KstoreOptions;
  skipBerth: boolean;
  skipDocker: boolean;
  /** true/false when given, undefined = write only on a full run. */
  write: boolean | undefined;
  /** Keep the temp dir and logs (daemons are still stopped). */
  keep: boolean;
  verbose: boolean;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function nonNegative(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}

function metricList(v: string): Set<Metric> {
  const out = new Set<Metric>();
  for (const raw of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = raw === 'run-d' ? 'rund' : raw === 'memory' ? 'mem' : raw;
    if (!(METRICS as readonly string[]).includes(m)) {
      throw new InvalidArgumentError(`unknown metric "${raw}" (choose from ${METRICS.join(', ')})`);
    }
    out.add(m as Metric);
  }
  return out;
}

/** Parses `argv` (process.argv); exits with usage on bad input, like any CLI. */
export function parseOptions(argv: string[]): BenchOptions {
  const cmd = new Command('bench')
    .description('Berth vs. the reference dockerd, driven by the same docker CLI')
    .option('--only <metrics>', `comma-separated subset of ${METRICS.join(',')}`, metricList)
    .option('--runs <n>', 'timed repetitions of run --rm, ps, push and pull', positive, 15)
    .option('--warmups <n>', 'untimed warm-up runs before run --rm and ps', nonNegative, 2)
    .option('--containers <n>', 'containers for run -d, ps, memory and rm -f', positive, 20)
    .option('--load-runs <n>', 'timed docker load repetitions', positive, 5)
    .option('--logs-mb <n>', 'size of the log docker logs reads, MB', positive, 100)
    .option('--logs-runs <n>', 'timed docker logs repetitions', positive, 5)
    .option('--requests <n>', 'HTTP GETs through a published port, per address and engine', positive, 200)
    .option('--bw-runs <n>', 'timed transfers for portbw and c2c', positive, 5)
    .option('--portbw-mb <n>', 'size of the file downloaded through a published port, MB', positive, 200)
    .option('--c2c-mb <n>', 'size of the container-to-container transfer, MB', positive, 1000)
    .option('--kstore-concurrency <n>', 'concurrent creates in the store\'s closed-loop rounds', positive, 16)
    .option('--kstore-writes <n>', 'creates per store per closed-loop round', positive, 2000)
    .option('--kstore-rounds <n>', 'closed-loop rounds per store', positive, 3)
    .option('--kstore-rate <n>', 'creates per second of the open-loop run', positive, 200)
    .option('--kstore-seconds <n>', 'duration of the open-loop run, s', positive, 10)
    .option('--skip-berth', 'measure the reference dockerd only', false)
    .option('--skip-docker', 'measure Berth only', false)
    .option('--write', 'write BENCHMARKS.md even on a partial run')
    .option('--no-write', 'never write BENCHMARKS.md')
    .option('--keep', 'keep the temp dir with the daemons\' logs', false)
    .option('-v, --verbose', 'print every sample', false)
    .parse(argv);
  const o = cmd.opts<{
    only?: Set<Metric>;
    runs: number;
    warmups: number;
    containers: number;
    loadRuns: number;
    logsMb: number;
    logsRuns: number;
    requests: number;
    bwRuns: number;
    portbwMb: number;
    c2cMb: number;
    kstoreConcurrency: number;
    kstoreWrites: number;
    kstoreRounds: number;
    kstoreRate: number;
    kstoreSeconds: number;
    skipBerth: boolean;
    skipDocker: boolean;
    write?: boolean;
    keep: boolean;
    verbose: boolean;
  }>();
  if (o.skipBerth && o.skipDocker) cmd.error('--skip-berth and --skip-docker together leave nothing to measure');
  // commander sets write=true by default because of --no-write; tell "given" from "default".
  const given = argv.some((a) => a === '--write' || a === '--no-write');
  return {
    only: o.only ?? new Set(METRICS),
    runs: o.runs,
    warmups: o.warmups,
    containers: o.containers,
    loadRuns: o.loadRuns,
    logsMB: o.logsMb,
    logsRuns: o.logsRuns,
    requests: o.requests,
    bwRuns: o.bwRuns,
    portbwMB: o.portbwMb,
    c2cMB: o.c2cMb,
    kstore: { concurrency: o.kstoreConcurrency, writes: o.kstoreWrites, rounds: o.kstoreRounds, rate: o.kstoreRate, seconds: o.kstoreSeconds },
    skipBerth: o.skipBerth,
    skipDocker: o.skipDocker,
    write: given ? o.write : undefined,
    keep: o.keep,
    verbose: o.verbose,
  };
}

/** True when every metric runs on both engines with the default sizes, i.e. a run worth recording. */
export function isFullRun(o: BenchOptions): boolean {
  return o.only.size === METRICS.length && !o.skipBerth && !o.skipDocker && o.containers === 20 && o.logsMB === 100 &&
    o.portbwMB === 200 && o.c2cMB === 1000;
}
