/**
 * The registry metrics of issue 5, through the docker CLI like the others: `docker push` and
 * `docker pull` of the ~250 MB load image, each engine against the same local registry
 * (registry.ts), each in its own repository (`bench/berth`, `bench/docker`).
 *
 * One run, per engine in turn:
 * 1. the image is removed and loaded afresh from the archive, so every push sends the image as
 *    a load leaves it (not one a previous pull stored, whose compressed blobs would be reused),
 *    then run once (untimed) so that work a load leaves in the background — Berth unpacks
 *    layers after `load` returns — is finished before the clock starts;
 * 2. `docker push 127.0.0.1:PORT/bench/<engine>:<run>` is timed; the registry was emptied at the
 *    start of the run, so every blob travels (no "Layer already exists", no mount);
 * 3. the image is removed by ID and the engine's stores are checked to be back to what they
 *    held before any of this (blobs and snapshots, or layerdb and overlay2 dirs), so the pull
 *    cannot find a layer locally; then `docker pull` of the same reference is timed, its output
 *    checked for "Already exists" and the image ID compared with the loaded one.
 *
 * The CLI's output lines are timestamped as they arrive; the median sample's first time for each
 * status (Pushing, Pushed, Download complete, Pull complete, …) goes into the notes, to show where
 * the time goes (transfer vs. unpack).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOk, DOCKER_CLI, type Engine } from './engines.js';
import type { ImageArchive } from './images.js';
import type { Contender } from './measure.js';
import type { BenchOptions } from './options.js';
import { run, sleep } from './proc.js';
import type { LocalRegistry } from './registry.js';
import { median } from './report.js';

/** One timed CLI command with its stdout lines and when each arrived (ms after spawn). */
interface Timed {
  code: number;
  ms: number;
  lines: Array<{ t: number; text: string }>;
  stderr: string;
}

/** Runs the docker CLI against `e`, timestamping each output line as it arrives. */
function timedDocker(e: Engine, args: string[], timeoutMs: number): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(DOCKER_CLI, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_HOST: `unix://${e.sock}` } });
    const lines: Timed['lines'] = [];
    let partial = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      const t = performance.now() - t0;
      const parts = (partial + b.toString()).split('\n');
      partial = parts.pop()!;
      for (const p of parts) if (p.trim()) lines.push({ t, text: p.trim() });
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (partial.trim()) lines.push({ t: ms, text: partial.trim() });
      resolve({ code: code ?? 128, ms, lines, stderr });
    });
  });
}

async function timedOk(e: Engine, args: string[]): Promise<Timed> {
  const r = await timedDocker(e, args, 900_000);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} → exit ${r.code}: ${(r.stderr || r.lines.map((l) => l.text).join(' | ')).trim().split('\n').slice(-3).join(' | ')}`);
  return r;
}

/** Entries of `dir` (none when it does not exist). */
const entries = (dir: string, skip: string[] = []) => (existsSync(dir) ? readdirSync(dir).filter((n) => !skip.includes(n)).map((n) => join(dir, n)) : []);

/**
 * Where each engine keeps image content: Berth's content store blobs and layer snapshots;
 * dockerd's layer database and overlay2 layer dirs. Scratch dirs (tmp, active, l) are left out.
 */
function footprint(e: Engine): Set<string> {
  const data = join(e.dir, 'data');
  const paths = e.label === 'Berth'
    ? [...entries(join(data, 'content', 'blobs', 'sha256')), ...entries(join(data, 'snapshots'), ['tmp', 'active', 'empty'])]
    : [...entries(join(data, 'image', 'overlay2', 'layerdb', 'sha256')), ...entries(join(data, 'overlay2'), ['l'])];
  return new Set(paths);
}

/** Removes the image `ref` names, by ID so that every tag of it goes (the registry tag too). */
async function removeImage(e: Engine, ref: string): Promise<void> {
  const r = await docker(e, ['image', 'inspect', '--format', '{{.Id}}', ref]);
  if (r.code === 0) await dockerOk(e, ['rmi', '-f', r.stdout.trim()], { timeoutMs: 300_000 });
}

/** Waits (up to 20 s, for deletions that finish after rmi answers) until `e` holds nothing beyond `base`. */
async function expectClean(e: Engine, base: Set<string>): Promise<void> {
  let extra: string[] = [];
  for (let i = 0; i < 100; i++) {
    extra = [...footprint(e)].filter((p) => !base.has(p));
    if (extra.length === 0) return;
    await sleep(200);
  }
  throw new Error(`after rmi the engine still holds ${extra.length} blob(s)/layer dir(s): ${extra.slice(0, 3).join(', ')}`);
}

/**
 * Status → first time it was printed. Layer IDs, tags, digests and progress figures are left out
 * so that both engines' lines read alike; the reference the CLI echoes last is dropped.
 */
function timeline(lines: Timed['lines']): Array<[string, number]> {
  const first = new Map<string, number>();
  for (const { t, text } of lines) {
    if (/^[\w.:-]+\/[\w./-]+:\w+$/.test(text)) continue;
    const status = text.replace(/^[0-9a-f]{12}: /, '').replace(/^[\w.-]+: (Pulling from) .*/, '$1').replace(/^[\w.-]+: digest: .*/, 'digest')
      .replace(/\s+[[\d].*$/, '').replace(/^(Digest|Status): .*/, '$1').replace(/^(The push refers to repository) .*/, '$1');
    if (!first.has(status)) first.set(status, t);
  }
  return [...first];
}

/** Seconds between two statuses of a timeline (undefined when one is missing). */
function span(tl: Array<[string, number]>, from: string | 0, to: string): number | undefined {
  const at = new Map(tl);
  const a = from === 0 ? 0 : at.get(from);
  const b = at.get(to);
  return a === undefined || b === undefined ? undefined : (b - a) / 1000;
}

/** Where one sample's time went: transfer vs. unpack (pull), upload vs. the rest (push). */
function phases(k: 'push' | 'pull', x: TransferSample): string {
  const tl = timeline(x.lines);
  const f = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(2));
  const end = x.ms / 1000;
  if (k === 'pull') {
    const done = span(tl, 0, 'Pull complete');
    return `download ${f(span(tl, 0, 'Download complete'))} s, unpack (Download complete → Pull complete) ${f(span(tl, 'Download complete', 'Pull complete'))} s, ` +
      `after it ${f(done === undefined ? undefined : end - done)} s`;
  }
  const pushed = span(tl, 0, 'Pushed');
  return `until the layer is sent (Preparing → Pushed) ${f(span(tl, 'Preparing', 'Pushed'))} s, config + manifest + exit ${f(pushed === undefined ? undefined : end - pushed)} s`;
}

export interface TransferSample {
  ms: number;
  lines: Timed['lines'];
}

/** What the notes need: per engine and operation, every sample with its output lines. */
export type TransferLog = Map<Contender, { push: TransferSample[]; pull: TransferSample[]; repo: string }>;

/** Measures push (and pull) on every side; returns the notes. Failures go into each side's errors. */
export async function measureTransfer(o: BenchOptions, sides: Contender[], big: ImageArchive, reg: LocalRegistry,
  stop: () => boolean, say: (m: string) => void): Promise<string[]> {
  const wantPull = o.only.has('pull');
  say(`push${wantPull ? ' and pull' : ''} of ${(big.bytes / 1e6).toFixed(0)} MB through ${reg.host}: ${o.runs} runs per engine`);
  const log: TransferLog = new Map();
  const base = new Map<Contender, Set<string>>();
  const fail = (s: Contender, key: 'push' | 'pull', e: unknown) => {
    s.results.errors[key] = (e as Error).message;
    // Without a push there is nothing to pull.
    if (key === 'push' && wantPull && !s.results.errors.pull) s.results.errors.pull = `not measured: push failed: ${(e as Error).message}`;
  };
  for (const s of sides) {
    log.set(s, { push: [], pull: [], repo: `bench/${s.label.toLowerCase()}` });
    try {
      // What the engine holds without the image: the baseline the clean-up check compares with.
      await removeImage(s.engine!, big.ref);
      base.set(s, footprint(s.engine!));
    } catch (e) {
      fail(s, 'push', e);
    }
  }
  for (let i = 1; i <= o.runs && !stop(); i++) {
    reg.wipe();
    for (const s of sides) {
      if (s.results.errors.push || stop()) continue;
      const e = s.engine!;
      const l = log.get(s)!;
      const ref = `${reg.host}/${l.repo}:${i}`;
      let id = '';
      try {
        await removeImage(e, big.ref);
        await dockerOk(e, ['load', '-i', big.path], { timeoutMs: 900_000 });
        id = (await dockerOk(e, ['image', 'inspect', '--format', '{{.Id}}', big.ref])).stdout.trim();
        await dockerOk(e, ['tag', big.ref, ref]);
        await dockerOk(e, ['run', '--rm', '--network', 'none', ref, 'true'], { timeoutMs: 300_000 });
        // Start each sample with no dirty pages left by the load or by the other engine.
        await run('sync', []);
        const p = await timedOk(e, ['push', ref]);
        if (p.lines.some((x) => /Layer already exists|Mounted from/.test(x.text))) throw new Error(`push found blobs already in the registry: ${p.lines.map((x) => x.text).join(' | ').slice(0, 200)}`);
        if (!(await reg.manifest(l.repo, String(i)))) throw new Error(`after the push the registry has no manifest for ${l.repo}:${i}`);
        l.push.push({ ms: p.ms, lines: p.lines });
      } catch (err) {
        fail(s, 'push', err);
        continue;
      }
      if (!wantPull || s.results.errors.pull) continue;
      try {
        await dockerOk(e, ['rmi', '-f', id], { timeoutMs: 300_000 });
        if ((await docker(e, ['image', 'inspect', ref])).code === 0) throw new Error(`${ref} is still there after rmi -f`);
        await expectClean(e, base.get(s)!);
        await run('sync', []);
        const p = await timedOk(e, ['pull', ref]);
        if (p.lines.some((x) => /Already exists/.test(x.text))) throw new Error(`pull found layers already present: ${p.lines.map((x) => x.text).join(' | ').slice(0, 200)}`);
        const got = (await dockerOk(e, ['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
        if (got !== id) throw new Error(`pulled image ${got} is not the pushed ${id}`);
        l.pull.push({ ms: p.ms, lines: p.lines });
      } catch (err) {
        fail(s, 'pull', err);
      }
    }
  }
  const notes = await describe(o, sides, log, reg, big);
  for (const s of sides) {
    const l = log.get(s)!;
    if (o.only.has('push') && !s.results.errors.push && l.push.length) s.results.push = l.push.map((x) => x.ms);
    if (wantPull && !s.results.errors.pull && l.pull.length) s.results.pull = l.pull.map((x) => x.ms);
    if (o.verbose) for (const k of ['push', 'pull'] as const) if (l[k].length) say(`${s.label} ${k} (s): ${l[k].map((x) => (x.ms / 1000).toFixed(2)).join(' ')}`);
    await removeImage(s.engine!, big.ref).catch(() => undefined);
  }
  reg.wipe();
  return notes;
}

/** The sample whose time is the median (the lower middle one for an even count). */
function medianSample(xs: TransferSample[]): TransferSample | undefined {
  const sorted = [...xs].sort((a, b) => a.ms - b.ms);
  return sorted[(sorted.length - 1) >> 1];
}

/** Notes: what each repository holds (media types, sizes), and the median samples' timelines. */
async function describe(o: BenchOptions, sides: Contender[], log: TransferLog, reg: LocalRegistry, big: ImageArchive): Promise<string[]> {
  const notes = [
    `push/pull: one Debian docker-registry 2.8 (${reg.host}, filesystem storage in the temp dir, emptied at the start of each of the ${o.runs} runs) for both engines; ` +
      `per run and engine: the ${(big.bytes / 1e6).toFixed(0)} MB load image is loaded afresh, tagged ${reg.host}/bench/<engine>:<run>, run once (untimed, so background unpacking is over), ` +
      '`docker push` timed; then `rmi -f` of the image ID, the engine\'s blob/layer dirs checked back to their state before the bench loaded it, and `docker pull` of the same reference timed ' +
      '(its output has no "Already exists", and the pulled image ID is the loaded one). Each engine pulls what it pushed itself.',
  ];
  for (const s of sides) {
    const l = log.get(s)!;
    // The last run's manifest is still in the registry (it is emptied after this).
    const m = await reg.manifest(l.repo, String(l.push.length));
    if (m) notes.push(`${s.label} pushed a ${m.mediaType.replace(/^application\//, '')} manifest with ${m.layers.length} layer(s): ` +
      m.layers.map((x) => `${(x.size / 1e6).toFixed(1)} MB ${x.mediaType.replace(/^application\/vnd\.(oci\.image|docker\.image\.rootfs)\./, '')}`).join(', ') + '.');
    for (const k of ['push', 'pull'] as const) {
      const med = medianSample(l[k]);
      if (!med || !o.only.has(k)) continue;
      const steps = timeline(med.lines).map(([st, t]) => `${st} ${(t / 1000).toFixed(2)}`).join(', ');
      notes.push(`${s.label} \`${k}\` timeline (median sample, ${(med.ms / 1000).toFixed(2)} s; seconds after the CLI started when each status was first printed): ${steps}; exit ${(med.ms / 1000).toFixed(2)}.`);
    }
  }
  const [b, d] = [sides.find((s) => s.label === 'Berth'), sides.find((s) => s.label === 'Docker')];
  for (const k of ['push', 'pull'] as const) {
    const bx = b && log.get(b)?.[k].map((x) => x.ms);
    const dx = d && log.get(d)?.[k].map((x) => x.ms);
    if (!o.only.has(k) || !bx?.length || !dx?.length) continue;
    if (median(bx) <= 0.5 * median(dx)) continue;
    const bm = medianSample(log.get(b!)![k])!;
    const dm = medianSample(log.get(d!)![k])!;
    notes.push(`${k}: Berth misses the ≤ 0.50 target (${(median(bx) / median(dx)).toFixed(2)}). Median samples — Berth: ${phases(k, bm)}; Docker: ${phases(k, dm)}.`);
  }
  return notes;
}
