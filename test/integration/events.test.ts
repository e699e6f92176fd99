/** `docker events`: container lifecycle events streamed as they happen, and replayed with --since/--until and filters. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

describe('events', () => {
  const d = new TestDaemon('events');
  before(() => d.start());
  after(() => d.stop());

  it('streams container events as they happen, filtered', async () => {
    const watcher = spawn('docker', ['events', '--filter', 'type=container', '--filter', 'container=ev1', '--format', '{{.Action}} {{.Actor.Attributes.name}}'], {
      env: { ...process.env, DOCKER_HOST: d.host },
    });
    let out = '';
    watcher.stdout.on('data', (c: Buffer) => (out += c));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(d.docker(['run', '--name', 'ev1', 'busybox', 'sh', '-c', 'exit 2']).code, 2);
    d.docker(['run', '--rm', 'busybox', 'true']); // another container: filtered out
    assert.equal(d.docker(['rm', 'ev1']).code, 0);
    for (let i = 0; i < 50 && !out.includes('destroy ev1'); i++) await new Promise((r) => setTimeout(r, 100));
    watcher.kill();
    assert.deepEqual(out.trim().split('\n'), ['create ev1', 'attach ev1', 'start ev1', 'die ev1', 'destroy ev1']);
  });

  it('replays past events between --since and --until, with the exit code on die', () => {
    const t0 = (Date.now() / 1000).toFixed(3);
    d.docker(['run', '--rm', '--name', 'ev2', 'busybox', 'sh', '-c', 'exit 5']);
    const t1 = (Date.now() / 1000 + 1).toFixed(3);
    const r = d.docker(['events', '--since', t0, '--until', t1, '--filter', 'event=die', '--format', '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}} {{.Type}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ev2 5 container');
    const bad = d.docker(['events', '--since', t0, '--until', t1, '--filter', 'bogus=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'bogus'/);
  });
});
