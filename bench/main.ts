/**
 * `npm run bench`: Berth's engine against Debian's dockerd (the reference), side by side in one
 * run, both driven by the same `docker` CLI; and Berth's Kubernetes store on SQLite and on etcd
 * against etcd's own write rate (kstore.ts, measured first). See the "Benchmark" sections of issues 2-4 and
 * ARCHITECTURE.md ("Tests and benchmarks"). Prints the table and records it in BENCHMARKS.md.
 * The networking metrics (issue 4) run last, against a second dockerd with networking on
 * (netphase.ts), and the host's iptables and links are checked for both engines' leftovers.
 * The registry metrics (issue 5: push, pull) go through one local docker-registry (registry.ts).
 *
 * Every daemon runs on its own socket, data root and exec root under one temp dir, which is torn
 * down at the end, on failure and on Ctrl-C (processes, runc containers, mounts, files).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBerth, startDocker, stopEngine, DOCKER_CLI } from './engines.js';
import { ensurePackages, engineProcesses, machineInfo } from './host.js';
import { bigArchive, busyboxArchive, type ImageArchive } from './images.js';
import { measureAll, type Contender } from './measure.js';
import { NetPhase } from './netphase.js';
import { LocalRegistry } from './registry.js';
import { measureTransfer } from './transfer.js';
import { kstoreSection, kstoreTable, measureKstore } from './kstore.js';
import { isFullRun, NET_METRICS, parseOptions, type BenchOptions } from './options.js';
import { loadFloor, runcFloor } from './floor.js';
import { run } from './proc.js';
import { buildRows, median, p90, renderSection, renderTable, replaceSection, writeBenchmarks, type Side } from './report.js';
import { cleanTree, fixedDirsBefore, removeFixedDirs } from './teardown.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const say = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
/** Set on Ctrl-C: no new measurement starts while the teardown runs. */
let interrupted = false;

/** How long the docker CLI takes to start and exit without talking to a daemon (in every sample). */
async function cliOverheadMs(): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 7; i++) xs.push((await run(DOCKER_CLI, ['--version'])).ms);
  return median(xs);
}

/** The store figures (`kstore`): measured first, on a machine with no engine running yet. */
async function storeFigures(o: BenchOptions): Promise<{ table: string; notes: string[]; failed: boolean }> {
  try {
    const r = await measureKstore(o.kstore, say);
    return { ...kstoreTable(r, o.kstore), failed: Object.keys(r.errors).length > 0 };
  } catch (e) {
    say(`kstore failed: ${(e as Error).message}`);
    return { table: '', notes: [`kstore could not be measured: ${(e as Error).message}`], failed: true };
  }
}

/** Prints the store figures and records them unless this is a partial run without --write. */
async function reportStore(o: BenchOptions, s: { table: string; notes: string[] }): Promise<void> {
  process.stdout.write('\n' + s.table + '\n\n' + s.notes.map((n) => `- ${n}`).join('\n') + '\n');
  if (o.write ?? isFullRun(o)) {
    const file = join(repoRoot, 'BENCHMARKS.md');
    replaceSection(file, kstoreSection(await machineInfo(repoRoot), s.table, s.notes));
    say(`wrote the store section of ${file}`);
  }
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv);
  const wantEngines = [...o.only].some((m) => m !== 'kstore');
  if (wantEngines && process.getuid?.() !== 0) {
    say('must run as root (it starts container engines)');
    return 2;
  }
  const store = o.only.has('kstore') ? await storeFigures(o) : undefined;
  if (!wantEngines) {
    await reportStore(o, store!);
    return store!.failed ? 1 : 0;
  }
  const loadAtStart = loadavg().map((x) => x.toFixed(2)).join(' ');
  const before = engineProcesses();
  const dirsBefore = fixedDirsBefore();
  // Before any daemon starts: what the host's iptables, links and sysctls look like without them.
  const net = await NetPhase.begin();
  const wantNet = NET_METRICS.some((m) => o.only.has(m));
  // With only networking metrics selected, the plain reference dockerd is not needed at all.
  const wantPlain = [...o.only].some((m) => !NET_METRICS.includes(m) && m !== 'kstore');
  const wantRegistry = o.only.has('pull') || o.only.has('push');
  await ensurePackages({ ...(o.skipDocker ? {} : { dockerd: 'docker.io' }), ...(wantRegistry ? { 'docker-registry': 'docker-registry' } : {}) });
  const root = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const work = join(root, 'work');
  mkdirSync(work);
  const sides: Contender[] = [
    { label: 'Berth', results: { errors: {}, missing: {} }, absent: o.skipBerth ? 'skipped' : undefined },
    { label: 'Docker', results: { errors: {}, missing: {} }, absent: o.skipDocker ? 'skipped' : undefined },
  ];

  const notes: string[] = [];
  let registry: LocalRegistry | undefined;
  let teardown: Promise<string[]> | undefined;
  const tearDown = () =>
    (teardown ??= (async () => {
      const problems: string[] = [];
      for (const s of sides) if (s.engine) problems.push(...(await stopEngine(s.engine, o.keep)));
      // After the engines: none of them is talking to it any more.
      if (registry) problems.push(...(await registry.stop(o.keep)));
      problems.push(...(await net.end()).problems);
      problems.push(...(await cleanTree(join(root, 'work'), false)));
      if (!o.keep) problems.push(...(await cleanTree(root, false)));
      else say(`kept ${root}`);
      problems.push(...removeFixedDirs(dirsBefore));
      return problems;
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = true;
    say(`${sig}: stopping the daemons and cleaning up…`);
    void tearDown().then((p) => {
      for (const m of p) say(m);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let big: ImageArchive | undefined;
  try {
    const busybox = await busyboxArchive(work, repoRoot);
    notes.push(`busybox image: ${(busybox.bytes / 1e6).toFixed(1)} MB docker-archive made by ${busybox.source}; loaded into both engines.`);
    // The load image is also what push and pull move (issue 5 asks for ~250 MB).
    if (o.only.has('load') || wantRegistry) {
      big = await bigArchive(work, () => ensurePackages({ debootstrap: 'debootstrap' }));
      notes.push(`load image: ${(big.bytes / 1e6).toFixed(0)} MB uncompressed docker-archive, one layer, from ${big.source}` + (o.only.has('load')
        ? `; throughput = archive size / median wall time of \`docker load -i\` over ${o.loadRuns} runs, the image removed (\`rmi -f\`) before each.` : '.'));
    }
    for (const s of sides) {
      if (s.absent || (s.label === 'Docker' && !wantPlain)) continue;
      try {
        say(`starting ${s.label}…`);
        s.engine = s.label === 'Docker' ? await startDocker(root) : await startBerth(root, [busybox.path]);
        if (s.label === 'Berth') await net.berthStarted(s.engine);
      } catch (e) {
        s.absent = 'daemon did not start';
        notes.push(`${s.label} daemon did not start: ${(e as Error).message.split('\n').slice(0, 4).join(' ⏎ ')}`);
        say(`${s.label}: ${(e as Error).message}`);
      }
    }
    if (sides.every((s) => !s.engine) && !(wantNet && !o.skipDocker)) throw new Error('no engine started');
    if (o.only.has('run')) {
      await runcFloor(work, o.warmups, o.runs).then(
        (xs) => notes.push(`runc alone (\`runc run\` of \`true\` in a busybox rootfs: no daemon, CLI, overlay or monitor): ${median(xs).toFixed(0)} ms median (p90 ${p90(xs).toFixed(0)}).`),
        (e: Error) => notes.push(`runc alone could not be measured: ${e.message}`),
      );
    }
    await measureAll(o, sides, busybox, big, () => interrupted, say);
    if (wantRegistry && big && !interrupted) {
      const ready = sides.filter((s) => s.engine);
      try {
        registry = await LocalRegistry.start(root);
        notes.push(...(await measureTransfer(o, ready, big, registry, () => interrupted, say)));
      } catch (e) {
        for (const s of ready) for (const k of ['push', 'pull'] as const) if (o.only.has(k)) s.results.errors[k] ??= (e as Error).message;
      }
    }
    if (wantNet && !interrupted) notes.push(...(await net.measure(o, sides, root, work, busybox, () => interrupted, say)).map((p) => `clean-up: ${p}`));
    if (big && o.only.has('load') && !interrupted) {
      await loadFloor(work, big.path, o.loadRuns).then(
        (xs) => notes.push(`GNU \`tar -x\` of the load archive and its layer into the temp dir (no hashing, no fsync; shows what file creation costs on this host now): ${(median(xs) / 1000).toFixed(2)} s median = ${(big!.bytes / 1e6 / (median(xs) / 1000)).toFixed(0)} MB/s.`),
        (e: Error) => notes.push(`plain tar -x of the load archive failed: ${e.message}`),
      );
    }
    for (const s of sides) {
      for (const [metric, err] of Object.entries(s.results.errors)) notes.push(`${s.label} ${metric} failed: ${err}`);
      const st = s.results.stages;
      if (st) notes.push(`${s.label} daemon-side stages of \`run -d\` (median ms over ${Object.values(st)[0]!.length}, from /berth/trace/{id}, as \`berth --trace run\` prints them): ` +
        Object.entries(st).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(', ') + '.');
      const m = s.results.mem;
      if (m) notes.push(`${s.label} memory parts (VmRSS, median of 3 samples): ` + Object.entries(m.parts).map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} MiB`).join(', ') +
        `; ${m.monitors} monitor processes; as PSS (shared pages split): daemon ${(m.daemonPssKb / 1024).toFixed(1)} MiB, monitors ${(m.monitorsPssKb / 1024).toFixed(1)} MiB.`);
    }
  } finally {
    const problems = await tearDown();
    // Ours (mentioning our temp dir) or a system service the package install may have started;
    // other engines started meanwhile by someone else (tests, other roots) are not ours to judge.
    const systemd = (cmd: string) => /^\S*dockerd\b/.test(cmd) ? !cmd.includes('--data-root') : /^\S*containerd(\s|$)/.test(cmd) && !cmd.includes('--config');
    const strays = [...engineProcesses()].filter(([pid, cmd]) => !before.has(pid) && (cmd.includes(root) || systemd(cmd)));
    for (const [pid, cmd] of strays) problems.push(`stray engine process after the run: ${pid} ${cmd.slice(0, 200)}`);
    for (const p of problems) say(p);
    notes.push(...problems.map((p) => `clean-up: ${p}`));
  }

  const overhead = await cliOverheadMs();
  if (['run', 'rund', 'ps', 'rm'].some((m) => o.only.has(m as never))) notes.push(
    `Times are wall-clock for the whole \`docker\` CLI command (${DOCKER_CLI}), medians with nearest-rank p90: ` +
      `run --rm over ${o.runs} runs after ${o.warmups} warm-ups; run -d and rm -f per operation over ${o.containers} containers; ` +
      `ps over ${o.runs} runs. The CLI alone (\`docker --version\`) takes ${overhead.toFixed(0)} ms of each.`,
  );
  if (o.only.has('logs')) {
    notes.push(`logs: a busybox container writes ${o.logsMB} MB as 98-byte lines (\`yes … | head -c\`) and exits; \`docker logs c > /dev/null\` ` +
      `is timed over ${o.logsRuns} runs after one untimed read that checks every byte arrived. Docker keeps the log with its default json-file driver, ` +
      'Berth in conmon\'s k8s-file log; both send one multiplexed frame per line, which the CLI demultiplexes.');
  }
  if (o.only.has('exec')) notes.push(`exec: \`docker exec c true\` into one running busybox container, ${o.runs} runs after ${o.warmups} warm-ups; an engine without exec is shown as missing.`);
  notes.push(`Load average at start ${loadAtStart}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}: other work on the machine shows up as noise in every figure.`);
  if (!o.skipDocker && wantPlain) {
    notes.push('Docker for the engine metrics runs with `--bridge=none --iptables=false` (as in every earlier run; networking has its own dockerd, below), its own cgroup parent and daemon.json, ' +
      'and starts its own containerd under the run\'s data and exec roots.');
  }
  if (wantNet) notes.push(...net.notes(o, sides));
  const side = (s: Contender): Side => (s.absent && !Object.keys(s.results).some((k) => k !== 'errors' && k !== 'missing') ? { absent: s.absent } : { results: s.results });
  const table = renderTable(buildRows(side(sides[0]!), side(sides[1]!), o.containers, big ? big.bytes / 1e6 : undefined, o.only, o.logsMB, o));
  process.stdout.write('\n' + table + '\n\n' + notes.map((n) => `- ${n}`).join('\n') + '\n');
  if (o.write ?? isFullRun(o)) {
    const file = join(repoRoot, 'BENCHMARKS.md');
    writeBenchmarks(file, renderSection(await machineInfo(repoRoot), table, notes));
    say(`wrote ${file}`);
  } else {
    say(o.write === false ? 'BENCHMARKS.md not written (--no-write)' : 'partial run: BENCHMARKS.md not written (pass --write to record it)');
  }
  if (store) await reportStore(o, store);
  return sides.some((s) => s.engine === undefined && s.absent !== 'skipped') || store?.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    say(`failed: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
