/**
 * Turns samples into the comparison table (median, p90, Berth/Docker ratio, target, pass/fail)
 * and records it in BENCHMARKS.md between markers, so a rerun replaces its own section only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { EngineResults } from './measure.js';
import type { MachineInfo } from './host.js';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank 90th percentile. */
export function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(0.9 * s.length) - 1)]!;
}

interface Target {
  text: string;
  ok: (ratio: number) => boolean;
}

interface Row {
  metric: string;
  berth: string;
  docker: string;
  ratio: string;
  target: string;
  result: string;
}

/** What happened to one engine as a whole: measured, skipped, or its daemon failed to start. */
export type Side = { results: EngineResults } | { absent: string };

function cell(side: Side, metric: string, value: (r: EngineResults) => number | undefined, fmt: (v: number, r: EngineResults) => string): { text: string; v?: number } {
  if ('absent' in side) return { text: side.absent };
  const v = value(side.results);
  if (v !== undefined) return { text: fmt(v, side.results), v };
  const err = side.results.errors[metric];
  const missing = side.results.missing[metric];
  if (missing) return { text: `missing: ${missing.length > 90 ? missing.slice(0, 87) + '…' : missing}` };
  return { text: err ? `error: ${err.length > 90 ? err.slice(0, 87) + '…' : err}` : '—' };
}

function row(metric: string, key: string, berth: Side, dockerSide: Side, value: (r: EngineResults) => number | undefined,
  fmt: (v: number, r: EngineResults) => string, target?: Target): Row {
  const b = cell(berth, key, value, fmt);
  const d = cell(dockerSide, key, value, fmt);
  const ratio = b.v !== undefined && d.v !== undefined && d.v > 0 ? b.v / d.v : undefined;
  return {
    metric,
    berth: b.text,
    docker: d.text,
    ratio: ratio === undefined ? '—' : ratio.toFixed(2),
    target: target?.text ?? '—',
    result: !target ? '—' : ratio === undefined ? 'n/a' : target.ok(ratio) ? 'PASS' : 'FAIL',
  };
}

const ms = (xs: number[] | undefined) => (xs && xs.length ? median(xs) : undefined);
const fmtMs = (pick: (r: EngineResults) => number[] | undefined) => (v: number, r: EngineResults) => `${v.toFixed(0)} ms (p90 ${p90(pick(r)!).toFixed(0)})`;
const mbps = (r: EngineResults) => (r.load && r.load.ms.length ? r.load.bytes / 1e6 / (median(r.load.ms) / 1000) : undefined);
const fmtS = (pick: (r: EngineResults) => number[] | undefined) => (v: number, r: EngineResults) => `${(v / 1000).toFixed(2)} s (p90 ${(p90(pick(r)!) / 1000).toFixed(2)})`;
const mib = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
const logsMbps = (r: EngineResults) => (r.logs && r.logs.ms.length ? r.logs.bytes / 1e6 / (median(r.logs.ms) / 1000) : undefined);

/** Sizes of the networking metrics, for the row names. */
export interface NetSizes {
  requests: number;
  portbwMB: number;
  c2cMB: number;
}

const mbPerS = (bytes: number, xs: number[] | undefined) => (xs && xs.length ? bytes / 1e6 / (median(xs) / 1000) : undefined);
const fmtMbps = (bytes: number, xs: number[]) => (v: number) => `${v.toFixed(0)} MB/s (best ${(bytes / 1e3 / Math.min(...xs)).toFixed(0)})`;
/** Median of the pairs' differences (bridge − none): drift in load between pairs cancels out. */
const added = (r: EngineResults) => (r.netSetup && r.netSetup.none.length ? median(r.netSetup.bridge.map((b, i) => b - r.netSetup!.none[i]!)) : undefined);

/** The table rows, in the order of the issues' benchmark lists. */
export function buildRows(berth: Side, dockerSide: Side, n: number, loadMB: number | undefined, only: Set<string>, logsMB = 100,
  net: NetSizes = { requests: 200, portbwMB: 200, c2cMB: 1000 }): Row[] {
  const third: Target = { text: '≤ 0.33', ok: (r) => r <= 1 / 3 };
  const half: Target = { text: '≤ 0.50', ok: (r) => r <= 0.5 };
  const atLeastDocker: Target = { text: '≥ 1.00', ok: (r) => r >= 1 };
  const via = { lo: '`-p 127.0.0.1::80`', host: '`-p <host address>::80`' } as const;
  const rows: Array<[string, Row]> = [
    ['run', row('`run --rm busybox true`', 'run', berth, dockerSide, (r) => ms(r.runRm), fmtMs((r) => r.runRm), third)],
    ['rund', row(`\`run -d busybox sleep 3600\` (per op, ×${n})`, 'rund', berth, dockerSide, (r) => ms(r.runD), fmtMs((r) => r.runD), third)],
    ['ps', row(`\`ps\` with ${n} running`, 'ps', berth, dockerSide, (r) => ms(r.ps), fmtMs((r) => r.ps))],
    ['rm', row(`\`rm -f\` (per op, ×${n})`, 'rm', berth, dockerSide, (r) => ms(r.rmF), fmtMs((r) => r.rmF))],
    ['load', row(`\`load\` of a ${loadMB === undefined ? '?' : loadMB.toFixed(0)} MB image (throughput)`, 'load', berth, dockerSide, mbps,
      (v, r) => `${v.toFixed(1)} MB/s (${(median(r.load!.ms) / 1000).toFixed(2)} s; best ${(r.load!.bytes / 1e3 / Math.min(...r.load!.ms)).toFixed(1)} MB/s)`,
      { text: '≥ 3.00', ok: (r) => r >= 3 })],
    ['mem', row(`memory, daemon (Berth vs dockerd + containerd), ${n} running`, 'mem', berth, dockerSide, (r) => r.mem?.daemonKb,
      (v) => mib(v), { text: '< 1.00', ok: (r) => r < 1 })],
    ['mem', row(`memory with monitors (+ conmon vs + containerd-shim), ${n} running`, 'mem', berth, dockerSide,
      (r) => (r.mem ? r.mem.daemonKb + r.mem.monitorsKb : undefined), (v, r) => `${mib(v)} (${r.mem!.monitors} monitors)`)],
    ['logs', row(`\`logs\` of a ${logsMB} MB log (throughput)`, 'logs', berth, dockerSide, logsMbps,
      (v, r) => `${v.toFixed(1)} MB/s (${(median(r.logs!.ms) / 1000).toFixed(2)} s; best ${(r.logs!.bytes / 1e3 / Math.min(...r.logs!.ms)).toFixed(1)} MB/s)`,
      atLeastDocker)],
    ['exec', row('`exec c true`', 'exec', berth, dockerSide, (r) => ms(r.exec), fmtMs((r) => r.exec), third)],
    ['build', row('cold `build` (`--no-cache`) of a one-`RUN` Dockerfile, legacy builder', 'build', berth, dockerSide, (r) => ms(r.build), fmtMs((r) => r.build), half)],
    ['rebuild', row('the same `build` again, every step cached', 'rebuild', berth, dockerSide, (r) => ms(r.rebuild), fmtMs((r) => r.rebuild), { text: '≤ 1.00', ok: (r) => r <= 1 })],
    ['netsetup', row('network set-up: `run --rm busybox true` on the default bridge minus `--network none`', 'netsetup', berth, dockerSide, added,
      (v, r) => `${v >= 0 ? '+' : ''}${v.toFixed(0)} ms (none ${median(r.netSetup!.none).toFixed(0)}, bridge ${median(r.netSetup!.bridge).toFixed(0)})`,
      half)],
    ...(['lo', 'host'] as const).map((k): [string, Row] => ['portlat', row(`HTTP GET of 1 kB through ${via[k]}, new connection each (×${net.requests})`, 'portlat', berth, dockerSide,
      (r) => ms(r.portLat?.[k]), (v, r) => `${v.toFixed(2)} ms (p90 ${p90(r.portLat![k]!).toFixed(2)})`)]),
    ...(['lo', 'host'] as const).map((k): [string, Row] => ['portbw', row(`download of ${net.portbwMB} MB through ${via[k]} (throughput)`, 'portbw', berth, dockerSide,
      (r) => mbPerS(r.portBw?.bytes ?? 0, r.portBw?.ms[k]), (v, r) => fmtMbps(r.portBw!.bytes, r.portBw!.ms[k]!)(v), atLeastDocker)]),
    ['c2c', row(`container to container on a user network, ${net.c2cMB} MB by name (throughput)`, 'c2c', berth, dockerSide,
      (r) => mbPerS(r.c2c?.bytes ?? 0, r.c2c?.ms), (v, r) => fmtMbps(r.c2c!.bytes, r.c2c!.ms)(v))],
    ['pull', row(`\`pull\` of the ${loadMB === undefined ? '?' : loadMB.toFixed(0)} MB image from a local registry`, 'pull', berth, dockerSide, (r) => ms(r.pull), fmtS((r) => r.pull), half)],
    ['push', row(`\`push\` of the ${loadMB === undefined ? '?' : loadMB.toFixed(0)} MB image to a local registry`, 'push', berth, dockerSide, (r) => ms(r.push), fmtS((r) => r.push), half)],
  ];
  return rows.filter(([k]) => only.has(k)).map(([, r]) => r);
}

/** A Markdown table (also what the console shows). */
export function renderTable(rows: Row[]): string {
  const head: Row = { metric: 'metric', berth: 'Berth', docker: 'Docker', ratio: 'Berth/Docker', target: 'target', result: 'result' };
  const cols = Object.keys(head) as (keyof Row)[];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...[head, ...rows].map((r) => r[c].length))])) as Record<keyof Row, number>;
  const line = (r: Row) => '| ' + cols.map((c) => r[c].padEnd(width[c])).join(' | ') + ' |';
  return [line(head), '| ' + cols.map((c) => '-'.repeat(width[c])).join(' | ') + ' |', ...rows.map(line)].join('\n');
}

const BEGIN = '<!-- bench:engine:begin (written by `npm run bench`; edits inside are overwritten) -->';
const END = '<!-- bench:engine:end -->';

/** The dated section: machine facts, the table, and notes on how the figures were taken. */
export function renderSection(info: MachineInfo, table: string, notes: string[]): string {
  const v = Object.entries(info.versions).map(([k, val]) => `${k}: ${val}`).join('; ');
  return [
    BEGIN,
    '## Engine: Berth vs. Docker (issues 2 to 6)',
    '',
    `Measured ${info.date} on ${info.nproc} × ${info.cpu}, ${info.memGiB} GiB RAM, kernel ${info.kernel} (${info.os}).`,
    '',
    `Versions — ${v}.`,
    '',
    table,
    '',
    ...notes.map((n) => `- ${n}`),
    END,
  ].join('\n');
}

/** Replaces (or appends) the engine section of `file`, creating the file with a short preface. */
export function writeBenchmarks(file: string, section: string): void {
  const preface = [
    '# Benchmarks',
    '',
    'Every figure is measured by `npm run bench` beside the reference engine in the same run, on the',
    'same machine, driven by the same client. Ratios are Berth/Docker; lower is better for times and',
    'memory, higher for throughput.',
    '',
    '`npm run bench` (as root) installs Debian\'s `docker.io` if missing, starts that dockerd and Berth\'s',
    'daemon each on its own socket, data root and exec root under a temp dir, measures, tears both down',
    'and rewrites the section below. Quick runs: `node dist/bench/main.js --only run,load --runs 5`',
    '(metrics: run, rund, ps, rm, load, mem, logs, exec, netsetup, portlat, portbw, c2c, pull, push, build, rebuild, kstore), `--skip-berth` / `--skip-docker`,',
    '`--containers N`, `--load-runs N`, `--logs-mb N`, `--logs-runs N`, `--requests N`, `--bw-runs N`, `--portbw-mb N`, `--c2c-mb N`,',
    '`-v` for every sample, `--keep` to keep the daemons\' logs. Partial runs do not',
    'change this file unless `--write` is given. The ~250 MB load image is built once with debootstrap',
    'and cached in /var/cache/berth-bench/.',
    '',
    'The networking metrics (netsetup, portlat, portbw, c2c) run last, against a second dockerd with its',
    'bridge network, iptables and userland proxy on; the bench removes what that dockerd leaves on the',
    'host afterwards and checks `iptables-save` and `ip link` for anything of either engine\'s.',
    '',
    'The registry metrics (pull, push) move the load image through one Debian `docker-registry` that the',
    'bench starts on a free 127.0.0.1 port for the run and removes, storage and all, at the end.',
    '',
  ].join('\n');
  replaceSection(file, section, preface);
}

/**
 * Replaces the section of `file` that starts and ends with the same markers as `section` (its
 * first and last lines, `<!-- bench:NAME:begin … -->` / `<!-- bench:NAME:end -->`), or appends it;
 * a missing file starts with `preface`.
 */
export function replaceSection(file: string, section: string, preface = '# Benchmarks\n'): void {
  const lines = section.split('\n');
  const begin = /^<!-- bench:[\w-]+:begin/.exec(lines[0]!)?.[0];
  const end = lines.at(-1)!;
  if (!begin || !/^<!-- bench:[\w-]+:end -->$/.test(end)) throw new Error('a benchmark section must start and end with its markers');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : preface;
  const b = old.indexOf(begin);
  const e = old.indexOf(end);
  const next = b >= 0 && e > b ? old.slice(0, b) + section + old.slice(e + end.length) : old.trimEnd() + '\n\n' + section + '\n';
  writeFileSync(file, next);
}
