/**
 * Containers outlive the daemon: after `kill -9` of the daemon, running containers keep
 * running, the restarted daemon re-adopts them (ps, logs, stop work), reports the real exit
 * code of one that exited meanwhile, and honours restart policies.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, TestDaemon } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('daemon crash and restart', () => {
  const d = new TestDaemon('restore');
  before(() => d.start());
  after(() => d.stop());

  it('re-adopts running containers and records exits that happened while it was down', async () => {
    assert.equal(d.docker(['run', '-d', '--name', 'long', 'busybox', 'sh', '-c', 'echo up; exec sleep 1000']).code, 0);
    assert.equal(d.docker(['run', '-d', '--name', 'short', 'busybox', 'sh', '-c', 'sleep 1; exit 7']).code, 0);
    assert.equal(d.docker(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 1; exit 3']).code, 0);
    const pid = d.docker(['inspect', '-f', '{{.State.Pid}}', 'long']).stdout.trim();
    await d.crash();
    await sleep(1500);
    // The container process survived the daemon.
    assert.ok(Number(pid) > 0);
    process.kill(Number(pid), 0);
    await d.start();
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'long']).stdout.trim(), `running ${pid}`);
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'short']).stdout.trim(), 'exited 7');
    assert.equal(d.docker(['logs', 'long']).stdout, 'up\n');
    // The always-restart container exited while the daemon was away and is started again.
    let state = '';
    for (let i = 0; i < 50 && !state.startsWith('running'); i++) {
      state = d.docker(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'always']).stdout.trim();
      if (!state.startsWith('running')) await sleep(100);
    }
    assert.match(state, /^running [1-9]/);
    const stopped = d.docker(['stop', '-t', '1', 'long']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', 'long']).stdout.trim(), 'exited');
    const rm = d.docker(['rm', '-f', 'long', 'short', 'always']);
    assert.equal(rm.code, 0, rm.stderr);
  });

  it('keeps a consistent view when killed during a burst of creates', async () => {
    const burst = Array.from({ length: 10 }, () => d.docker(['create', '--label', 'burst=1', 'busybox', 'true']));
    assert.ok(burst.every((r) => r.code === 0));
    await d.crash();
    await d.start();
    const ids = d.docker(['ps', '-aq', '--filter', 'label=burst=1']).stdout.split('\n').filter(Boolean);
    assert.equal(ids.length, 10);
    for (const id of ids) assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', id]).stdout.trim(), 'created');
    assert.equal(d.docker(['rm', ...ids]).code, 0);
  });

  it('shuts down gracefully with a client attached, stopping its containers', async () => {
    const attached = spawn('docker', ['run', '--name', 'fg', '--stop-timeout', '1', 'busybox', 'sleep', '1000'], { env: { ...process.env, DOCKER_HOST: d.host }, stdio: 'ignore' });
    const clientDone = new Promise<number | null>((r) => attached.once('exit', (code) => r(code)));
    for (let i = 0; i < 50 && d.docker(['inspect', '-f', '{{.State.Status}}', 'fg']).stdout.trim() !== 'running'; i++) await sleep(100);
    const t0 = Date.now();
    await d.shutdown();
    assert.ok(Date.now() - t0 < 15_000, `shutdown took ${Date.now() - t0} ms`);
    assert.notEqual(await clientDone, null);
    await d.start();
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', 'fg']).stdout.trim(), 'exited');
    d.docker(['rm', 'fg']);
  });

  it('refuses a second daemon on the same roots', () => {
    const second = spawnSync(process.execPath, [path.join(REPO, 'dist/src/cli/main.js'), 'daemon', '--data-root', d.dataRoot, '--exec-root', d.execRoot, '-H', `unix://${d.dir}/second.sock`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(second.status, 1);
    assert.match(second.stderr, /pid file found, ensure berth is not running or delete .*berth.pid/);
    // The first daemon is unaffected.
    assert.equal(d.docker(['version', '--format', '{{.Server.APIVersion}}']).stdout.trim(), '1.44');
  });
});
