/**
 * The measurements of issue 3, through the docker CLI like the others:
 *
 * - `logs`: a busybox container writes a log of `logsMB` MB in lines of 98 bytes and exits; then
 *   `docker logs c > /dev/null` is timed (the CLI demultiplexes every frame, as a user's would).
 *   Throughput = log bytes / median wall time. The output is checked once, byte count and all.
 * - `exec`: `docker exec c true` round trips into one running container. An engine that does not
 *   implement exec (the API answers 404 or 501) is reported as missing, not as a failure.
 */
import { docker, dockerOk, type Engine } from './engines.js';
import { alternate, type Contender } from './measure.js';
import type { BenchOptions } from './options.js';

/** 97 printable bytes and a newline: long enough that the log is not all per-line overhead. */
const LINE = '0123456789'.repeat(10).slice(0, 97);

/** `docker exec` refused because the engine has no exec (rather than failed). */
function unsupported(stderr: string): boolean {
  return /page not found|not implemented|\b(404|501)\b/i.test(stderr);
}

/** Writes the log once per engine; returns the container names that have it. */
async function makeLogs(sides: Contender[], bytes: number): Promise<Map<Contender, string>> {
  const made = new Map<Contender, string>();
  for (const s of sides) {
    const name = 'bench-logs';
    try {
      await dockerOk(s.engine!, ['run', '-d', '--name', name, 'busybox', 'sh', '-c', `yes ${LINE} | head -c ${bytes}`]);
      const code = (await dockerOk(s.engine!, ['wait', name], { timeoutMs: 600_000 })).stdout.trim();
      if (code !== '0') throw new Error(`the log writer exited with ${code}`);
      // One untimed read that checks the output is all there (and warms the page cache).
      const check = await dockerOk(s.engine!, ['logs', name], { timeoutMs: 600_000 });
      if (check.stdout.length !== bytes || check.stderr !== '') throw new Error(`docker logs gave ${check.stdout.length} bytes (${bytes} written), stderr ${JSON.stringify(check.stderr.slice(0, 100))}`);
      made.set(s, name);
    } catch (e) {
      s.results.errors.logs = (e as Error).message;
    }
  }
  return made;
}

export async function measureLogs(o: BenchOptions, sides: Contender[], stop: () => boolean, say: (m: string) => void): Promise<void> {
  const bytes = o.logsMB * 1_000_000;
  say(`logs of a ${o.logsMB} MB log: ${o.logsRuns} runs per engine`);
  const made = await makeLogs(sides, bytes);
  const ready = sides.filter((s) => made.has(s));
  const m = await alternate(ready, 'logs', o.logsRuns, stop, async (e) => (await dockerOk(e, ['logs', 'bench-logs'], { timeoutMs: 600_000, discardStdout: true })).ms);
  for (const [s, xs] of m) s.results.logs = { ms: xs, bytes };
  if (o.verbose) for (const [s, xs] of m) say(`${s.label} logs (s): ${xs.map((v) => (v / 1000).toFixed(2)).join(' ')}`);
  for (const s of sides) if (s.engine) await docker(s.engine, ['rm', '-f', 'bench-logs']);
}

export async function measureExec(o: BenchOptions, sides: Contender[], stop: () => boolean, say: (m: string) => void): Promise<void> {
  say(`exec true: ${o.warmups} warm-ups + ${o.runs} runs per engine`);
  const ready: Contender[] = [];
  for (const s of sides) {
    try {
      await dockerOk(s.engine!, ['run', '-d', '--name', 'bench-exec', 'busybox', 'sleep', '3600']);
      const probe = await docker(s.engine!, ['exec', 'bench-exec', 'true']);
      if (probe.code === 0) ready.push(s);
      else if (unsupported(probe.stderr)) s.results.missing.exec = `exec not supported (${probe.stderr.trim().split('\n').pop()})`;
      else throw new Error(`docker exec bench-exec true → exit ${probe.code}: ${probe.stderr.trim()}`);
    } catch (e) {
      s.results.errors.exec = (e as Error).message;
    }
  }
  const once = async (e: Engine) => (await dockerOk(e, ['exec', 'bench-exec', 'true'])).ms;
  await alternate(ready, 'exec', o.warmups, stop, once);
  const m = await alternate(ready, 'exec', o.runs, stop, once);
  for (const [s, xs] of m) s.results.exec = xs;
  if (o.verbose) for (const [s, xs] of m) say(`${s.label} exec (ms): ${xs.map((v) => v.toFixed(0)).join(' ')}`);
  for (const s of sides) if (s.engine) await docker(s.engine, ['rm', '-f', 'bench-exec']);
}
