/**
 * `docker logs -f` across restarts: `docker restart`, restart-policy restarts, and daemon
 * restarts (live-restore, a crash, and a container restarted when the daemon comes back). Every
 * follower's output is compared line for line, so a repeated or a lost line fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { pythonWithDocker, TestDaemon } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `docker logs -f` (or any client) running in the background, its output collected. */
function background(file: string, args: string[], env: Record<string, string>) {
  const p = spawn(file, args, { env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  p.stdout.on('data', (c: Buffer) => (out += c));
  p.stderr.on('data', (c: Buffer) => (err += c));
  const exit = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  return {
    out: () => out,
    err: () => err,
    exit,
    exited: () => p.exitCode !== null || p.signalCode !== null,
    kill: () => p.kill(),
  };
}

async function until(what: string, cond: () => boolean, detail = () => '', ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${detail()}`);
    await sleep(50);
  }
}

/** `tick0\ntick1\n…` from `from` to `to` inclusive. */
const ticks = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `tick${from + i}\n`).join('');

// Counts on in the container's own file system, which survives restarts; TERM ends it at once.
const TICKER = 'trap "exit 0" TERM; n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; echo boot$n; i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done';

describe('logs -f across restarts', () => {
  const d = new TestDaemon('logsfollow');
  const follow = (name: string, extra: string[] = []) => background('docker', ['logs', '-f', ...extra, name], { DOCKER_HOST: d.host });
  before(() => d.start(['--live-restore']));
  after(() => d.stop());

  it('keeps following through docker restart and ends when the container stops', async () => {
    const script = 'echo begin; echo oops >&2; for i in 1 2 3; do echo line$i; done; exec sleep 1000';
    assert.equal(d.docker(['run', '-d', '--name', 'fr', 'busybox', 'sh', '-c', script]).code, 0);
    const f = follow('fr');
    const once = 'begin\nline1\nline2\nline3\n';
    await until('the first run', () => f.out() === once);
    const r = d.docker(['restart', '-t', '0', 'fr']);
    assert.equal(r.code, 0, r.stderr);
    await until('the second run', () => f.out() === once + once);
    assert.ok(!f.exited());
    assert.equal(d.docker(['stop', '-t', '0', 'fr']).code, 0);
    assert.equal(await f.exit, 0);
    assert.equal(f.out(), once + once);
    assert.equal(f.err(), 'oops\noops\n');
    // A new follow of the stopped container prints the whole log and ends, as Docker's does.
    assert.equal(d.docker(['logs', '-f', 'fr']).stdout, once + once);
    d.docker(['rm', 'fr']);
  });

  it('keeps following through restart-policy restarts (docker CLI and docker-py), one frame per line', async () => {
    const script = 'n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; echo run$n; sleep 0.7; echo done$n; exit 3';
    assert.equal(d.docker(['run', '-d', '--name', 'fp', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', script]).code, 0);
    const f = follow('fp', ['-t']);
    const py = background(pythonWithDocker(), ['-c', 'import docker, json, sys\nc = docker.from_env().containers.get("fp")\nfor chunk in c.logs(stream=True, follow=True):\n    print(json.dumps(chunk.decode()), flush=True)'], { DOCKER_HOST: d.host });
    const [code, pyCode] = await Promise.all([f.exit, py.exit]);
    assert.equal(code, 0, f.err());
    assert.equal(pyCode, 0, py.err());
    const want = ['run1', 'done1', 'run2', 'done2', 'run3', 'done3'];
    assert.deepEqual(f.out().split('\n').filter(Boolean).map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /, '')), want);
    assert.deepEqual(py.out().trim().split('\n').map((l) => JSON.parse(l) as string), want.map((l) => `${l}\n`));
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'fp']).stdout.trim(), 'exited 2');
    d.docker(['rm', 'fp']);
  });

  it('closes followers when the daemon stops; after it is back (live-restore, crash) new followers go on', async () => {
    assert.equal(d.docker(['run', '-d', '--name', 'fd', 'busybox', 'sh', '-c', TICKER]).code, 0);
    const a = follow('fd');
    await until('ticks before the shutdown', () => a.out().includes('tick5\n'));
    await d.shutdown();
    await a.exit;
    assert.ok(a.out().startsWith('boot1\n' + ticks(0, 5)));
    // live-restore: the container kept running while the daemon was away.
    await d.start(['--live-restore']);
    const b = follow('fd', ['--tail', '1']);
    await until('a line written after the restart', () => /tick\d+\n/.test(b.out()));
    const first = Number(/tick(\d+)/.exec(b.out())![1]);
    await until('more lines', () => b.out().includes(`tick${first + 5}\n`));
    await d.crash();
    await b.exit;
    assert.ok(b.out().startsWith(ticks(first, first + 5)), b.out());
    await d.start(['--live-restore']);
    const c = follow('fd');
    const lastBefore = Number(/tick(\d+)\n$/.exec(d.docker(['logs', '--tail', '1', 'fd']).stdout)![1]);
    await until('lines after the crash', () => c.out().includes(`tick${lastBefore + 3}\n`));
    assert.equal(d.docker(['stop', 'fd']).code, 0);
    assert.equal(await c.exit, 0);
    const last = Number(/tick(\d+)\n$/.exec(c.out())![1]);
    assert.equal(c.out(), 'boot1\n' + ticks(0, last));
    assert.equal(d.docker(['logs', 'fd']).stdout, c.out());
    d.docker(['rm', 'fd']);
  });

  it('follows a container the daemon restarts when it comes back, until it is removed', async () => {
    await d.shutdown();
    await d.start(); // without live-restore: containers stop with the daemon
    assert.equal(d.docker(['run', '-d', '--name', 'fb', '--restart', 'always', 'busybox', 'sh', '-c', TICKER]).code, 0);
    await until('the first boot', () => d.docker(['logs', 'fb']).stdout.includes('tick3\n'));
    const a = follow('fb');
    await until('the follower', () => a.out().includes('tick3\n'));
    await d.shutdown();
    await a.exit;
    await d.start();
    const b = follow('fb');
    const state = () => `follower ${b.exited() ? 'ended' : 'running'}, output ${JSON.stringify(b.out().slice(-200))} ${b.err()}; ` +
      `${d.docker(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'fb']).stdout}; log ${JSON.stringify(d.docker(['logs', 'fb']).stdout.slice(-200))}`;
    await until('the second boot', () => /boot2\n(tick\d+\n){3}/.test(b.out()), state);
    assert.equal(d.docker(['rm', '-f', 'fb']).code, 0);
    assert.equal(await b.exit, 0);
    const out = b.out();
    const [run1, run2] = out.split('boot2\n');
    const n1 = (run1!.match(/tick/g) ?? []).length;
    const n2 = (run2!.match(/tick/g) ?? []).length;
    assert.equal(out, `boot1\n${ticks(0, n1 - 1)}boot2\n${ticks(0, n2 - 1)}`);
    assert.ok(a.out().length > 0 && out.startsWith(a.out()), 'the first follower saw a prefix of the same log');
  });
});
