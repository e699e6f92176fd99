/**
 * `--only kstore`: the Kubernetes store of issue 8. Creates of ConfigMap-sized (1 KiB) objects
 * through `StorageBackend` on the embedded SQLite file and on a real etcd, beside etcd's own
 * write rate measured in the same run by a direct client loop (plain puts through the same gRPC
 * client, no Berth code in the path). Targets from the issue: on SQLite, p99 under 25 ms at
 * 200 writes/s; Berth on etcd within 1.5× of raw etcd throughput.
 *
 * Closed loop: `concurrency` writers, each issuing its next create when the last one returned,
 * in rounds that alternate the three contenders so that machine noise falls on all alike.
 * Open loop: creates started at a fixed rate whatever the store does, latency counted from the
 * moment each was due (a store that falls behind is charged for the queue it builds).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import Database from 'libsql';
import { startLocalEtcd } from '../src/host/etcd.js';
import type { StorageBackend } from '../src/kube/storage/backend.js';
import { EtcdBackend } from '../src/kube/storage/etcd/backend.js';
import { SqliteBackend } from '../src/kube/storage/sqlite/backend.js';
import { ensurePackages, type MachineInfo } from './host.js';
import { median } from './report.js';

export interface KstoreOptions {
  concurrency: number;
  /** Creates per contender per closed-loop round. */
  writes: number;
  rounds: number;
  /** Open-loop rate (writes/s) and duration (s). */
  rate: number;
  seconds: number;
}

/** One contender's figures. */
export interface KstoreFigures {
  /** Closed loop: writes/s per round, and every write's latency (ms). */
  throughput: number[];
  latency: number[];
  /** Open loop at `rate`: latency (ms) from due time to acknowledgement, and the rate achieved. */
  paced: number[];
  pacedRate: number;
}

export type Contender = 'sqlite' | 'etcd' | 'raw';
export const LABELS: Record<Contender, string> = { sqlite: 'SQLite (Berth)', etcd: 'etcd (Berth)', raw: 'etcd raw put' };

export interface KstoreResult {
  figures: Partial<Record<Contender, KstoreFigures>>;
  errors: Partial<Record<Contender, string>>;
  etcdVersion: string;
  sqliteVersion: string;
  /** 1-minute load average at start and end: other work on the shared machine shows up as noise. */
  load: [number, number];
}

type Write = (key: string, value: Buffer) => Promise<unknown>;

/** A ConfigMap as the API server would store it, padded to exactly 1 KiB of JSON. */
export function configMap(ns: string, name: string): Buffer {
  const obj = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name, namespace: ns, uid: crypto.randomUUID(), creationTimestamp: new Date().toISOString(),
      managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' }] },
    data: { 'app.properties': '' },
  };
  const base = Buffer.byteLength(JSON.stringify(obj));
  obj.data['app.properties'] = 'x'.repeat(Math.max(0, 1024 - base));
  return Buffer.from(JSON.stringify(obj));
}

/** Nearest-rank percentile. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

async function closedLoop(write: Write, prefix: string, n: number, concurrency: number): Promise<{ rate: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      await write(`${prefix}cm-${i}`, configMap('bench', `cm-${i}`));
      lat.push(performance.now() - t);
    }
  }));
  return { rate: n / ((performance.now() - t0) / 1000), lat };
}

async function openLoop(write: Write, prefix: string, rate: number, seconds: number): Promise<{ rate: number; lat: number[] }> {
  const total = Math.round(rate * seconds);
  const lat: number[] = [];
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(write(`${prefix}cm-${i}`, configMap('bench', `cm-${i}`)).then(() => {
      lat.push(performance.now() - due);
    }));
  }
  await Promise.all(inflight);
  return { rate: total / ((performance.now() - t0) / 1000), lat };
}

const creator = (s: StorageBackend): Write => (k, v) => s.create(k, v);

/** Runs the whole kstore measurement in its own temp dir with its own etcd; cleans up after itself. */
export async function measureKstore(o: KstoreOptions, say: (m: string) => void): Promise<KstoreResult> {
  await ensurePackages({ etcd: 'etcd-server', etcdctl: 'etcd-client' });
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-kstore-'));
  const out: KstoreResult = { figures: {}, errors: {}, etcdVersion: '?', sqliteVersion: '?', load: [loadavg()[0]!, 0] };
  const closers: Array<() => Promise<unknown>> = [];
  try {
    say('kstore: starting etcd…');
    const etcd = await startLocalEtcd(join(dir, 'etcd'));
    closers.push(() => etcd.stop());
    const sqlite = new SqliteBackend(join(dir, 'sqlite', 'state.db'));
    closers.push(() => sqlite.close());
    const berthEtcd = new EtcdBackend({ endpoints: [etcd.endpoint] });
    closers.push(() => berthEtcd.close());
    const raw = new Etcd3({ hosts: etcd.endpoint });
    closers.push(async () => raw.close());
    out.etcdVersion = (await raw.maintenance.status()).version;
    out.sqliteVersion = sqliteVersion();
    const writers: Record<Contender, Write> = {
      sqlite: creator(sqlite),
      etcd: creator(berthEtcd),
      raw: (k, v) => raw.kv.put({ key: Buffer.from(k), value: v }),
    };
    const order: Contender[] = ['raw', 'etcd', 'sqlite'];
    const empty = (): KstoreFigures => ({ throughput: [], latency: [], paced: [], pacedRate: 0 });
    const figs: Record<Contender, KstoreFigures> = { raw: empty(), etcd: empty(), sqlite: empty() };
    for (const c of order) await closedLoop(writers[c], `/registry/configmaps/warmup-${c}/`, 200, o.concurrency).catch(() => undefined);
    for (let r = 0; r < o.rounds; r++) {
      for (const c of order) {
        if (out.errors[c]) continue;
        say(`kstore: round ${r + 1}/${o.rounds}, ${LABELS[c]}: ${o.writes} creates at concurrency ${o.concurrency}…`);
        try {
          const res = await closedLoop(writers[c], `/registry/configmaps/closed-${r}-${c}/`, o.writes, o.concurrency);
          figs[c].throughput.push(res.rate);
          figs[c].latency.push(...res.lat);
        } catch (e) {
          out.errors[c] = (e as Error).message;
        }
      }
    }
    // SQLite first: etcd, idle but still flushing what the rounds wrote, shares the disk.
    for (const c of [...order].reverse()) {
      if (out.errors[c]) continue;
      say(`kstore: ${LABELS[c]}: ${o.rate} creates/s for ${o.seconds} s…`);
      try {
        const res = await openLoop(writers[c], `/registry/configmaps/paced-${c}/`, o.rate, o.seconds);
        figs[c].paced = res.lat;
        figs[c].pacedRate = res.rate;
      } catch (e) {
        out.errors[c] = (e as Error).message;
      }
    }
    for (const c of order) if (!out.errors[c]) out.figures[c] = figs[c];
  } finally {
    for (const close of closers.reverse()) await close().catch((e: Error) => say(`kstore clean-up: ${e.message}`));
    rmSync(dir, { recursive: true, force: true });
    out.load[1] = loadavg()[0]!;
  }
  return out;
}

function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return String((db.prepare('SELECT sqlite_version()').raw().get() as unknown[])[0]);
  } finally {
    db.close();
  }
}

/** The kstore table: one column per contender, the ratio of Berth on etcd to raw etcd. */
export function kstoreTable(r: KstoreResult, o: KstoreOptions): { table: string; notes: string[] } {
  const f = r.figures;
  const cell = (c: Contender, show: (x: KstoreFigures) => string) => (f[c] ? show(f[c]!) : r.errors[c] ? `error: ${r.errors[c]!.slice(0, 80)}` : '—');
  const tput = (x: KstoreFigures) => `${median(x.throughput).toFixed(0)} /s (best ${Math.max(...x.throughput).toFixed(0)})`;
  const lat = (xs: number[]) => `${pct(xs, 50).toFixed(1)} / ${pct(xs, 99).toFixed(1)} ms`;
  const ratio = f.etcd && f.raw ? median(f.etcd.throughput) / median(f.raw.throughput) : undefined;
  const sqliteP99 = f.sqlite ? pct(f.sqlite.paced, 99) : undefined;
  const rows = [
    ['metric', LABELS.sqlite, LABELS.etcd, LABELS.raw, 'Berth-etcd/raw', 'target', 'result'],
    [`create of a 1 KiB ConfigMap, ${o.concurrency} concurrent (throughput, median of ${o.rounds} rounds)`,
      cell('sqlite', tput), cell('etcd', tput), cell('raw', tput), ratio === undefined ? '—' : ratio.toFixed(2), '≥ 0.67 (etcd)',
      ratio === undefined ? 'n/a' : ratio >= 1 / 1.5 ? 'PASS' : 'FAIL'],
    [`  latency p50 / p99, ${o.concurrency} concurrent`, cell('sqlite', (x) => lat(x.latency)), cell('etcd', (x) => lat(x.latency)),
      cell('raw', (x) => lat(x.latency)), '—', '—', '—'],
    [`create at ${o.rate}/s for ${o.seconds} s (open loop), latency p50 / p99`, cell('sqlite', (x) => lat(x.paced)),
      cell('etcd', (x) => lat(x.paced)), cell('raw', (x) => lat(x.paced)), '—', 'p99 < 25 ms (SQLite)',
      sqliteP99 === undefined ? 'n/a' : sqliteP99 < 25 ? 'PASS' : 'FAIL'],
  ];
  const width = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => '| ' + row.map((c, i) => c.padEnd(width[i]!)).join(' | ') + ' |';
  const table = [line(rows[0]!), '| ' + width.map((w) => '-'.repeat(w)).join(' | ') + ' |', ...rows.slice(1).map(line)].join('\n');
  const notes = [
    `Versions — etcd ${r.etcdVersion} (Debian etcd-server, one member on loopback, its data in the temp dir, default fsync on), SQLite ${r.sqliteVersion} (libsql; WAL, synchronous=FULL).`,
    `Each contender writes ${o.writes} new keys per round (\`/registry/configmaps/…\`, a 1 KiB ConfigMap JSON each) after 200 warm-up writes; rounds alternate raw etcd, Berth on etcd, SQLite. ` +
      `Berth's creates are guarded (\`create\` fails if the key exists: an etcd transaction comparing the create revision; a checked insert in SQLite); raw etcd is a plain put through the same gRPC client (etcd3 on @grpc/grpc-js) in the same process.`,
    'Latency is per create, from the call to its acknowledgement (durable: etcd and SQLite both fsync before answering); percentiles are nearest-rank over all rounds.',
    `Open loop: creates started every ${(1000 / o.rate).toFixed(1)} ms whatever the store does, latency counted from when each was due; SQLite runs first, as etcd, idle but still flushing, shares the disk.`,
    `Load average (1 min) at start ${r.load[0].toFixed(2)}, at end ${r.load[1].toFixed(2)}: the machine is shared and its disk with it, so figures move between runs.`,
    ...Object.entries(r.figures).map(([c, x]) => `${LABELS[c as Contender]} open loop achieved ${x!.pacedRate.toFixed(0)} writes/s.`),
  ];
  return { table, notes };
}

/** The dated BENCHMARKS.md section of the store figures (its own markers: the engine section is left alone). */
export function kstoreSection(info: MachineInfo, table: string, notes: string[]): string {
  return [
    '<!-- bench:kstore:begin (written by `npm run bench`; edits inside are overwritten) -->',
    '## Kubernetes store: SQLite and etcd (issue 8)',
    '',
    `Measured ${info.date} on ${info.nproc} × ${info.cpu}, ${info.memGiB} GiB RAM, kernel ${info.kernel} (${info.os}); node ${info.versions.node}, berth ${info.versions.berth}.`,
    '',
    table,
    '',
    ...notes.map((n) => `- ${n}`),
    '<!-- bench:kstore:end -->',
  ].join('\n');
}
