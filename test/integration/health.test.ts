/**
 * Container health checks (HEALTHCHECK, `docker run --health-*`), driven with the docker CLI:
 * `starting` → `unhealthy` after the retries → `healthy` once the test passes, as `ps` shows it,
 * the last results in `inspect`, `health_status` events and the `health` filter; the image's
 * HEALTHCHECK inherited and `--no-healthcheck` turning it off; a test cut off at its timeout.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon, type Result } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';

describe('health checks', () => {
  const d = new TestDaemon('health');
  const ok = (r: Result, what: string) => (assert.equal(r.code, 0, `${what}: ${r.stderr}\n${r.stdout}`), r.stdout);
  const status = (name: string) => ok(d.docker(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']), 'ps').trim();
  const health = (name: string) => JSON.parse(ok(d.docker(['inspect', '-f', '{{json .State.Health}}', name]), 'inspect'));
  const until = async (what: string, cond: () => boolean, ms = 20_000) => {
    for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 100))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  };

  before(async () => {
    await d.start();
  });
  after(async () => {
    await d.stop();
  });

  it('goes starting → unhealthy → healthy, with the results, events and the ps filter', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    ok(d.docker(['run', '-d', '--name', 'hc1', '--health-cmd', 'test -f /tmp/ok && echo fine', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sleep', '600']), 'run');
    assert.match(status('hc1'), /^Up .* \(health: starting\)$/);
    await until('unhealthy', () => /\(unhealthy\)$/.test(status('hc1')));
    assert.equal(health('hc1').FailingStreak >= 2, true);
    assert.equal(ok(d.docker(['ps', '-q', '--filter', 'health=unhealthy']), 'filter').trim().length, 12);
    ok(d.docker(['exec', 'hc1', 'touch', '/tmp/ok']), 'exec');
    await until('healthy', () => /\(healthy\)$/.test(status('hc1')));
    const h = health('hc1');
    assert.equal(h.Status, 'healthy');
    assert.equal(h.FailingStreak, 0);
    const last = h.Log[h.Log.length - 1];
    assert.equal(last.ExitCode, 0);
    assert.equal(last.Output, 'fine\n');
    assert.ok(h.Log.length <= 5);
    assert.equal(ok(d.docker(['ps', '-q', '--filter', 'health=healthy']), 'filter').trim().length, 12);
    assert.equal(ok(d.docker(['ps', '-q', '--filter', 'health=unhealthy']), 'filter').trim(), '');
    const ev = ok(d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=hc1', '--format', '{{.Action}}']), 'events');
    assert.deepEqual(ev.split('\n').filter((l) => l.startsWith('health_status')), ['health_status: unhealthy', 'health_status: healthy']);
    ok(d.docker(['stop', '-t', '0', 'hc1']), 'stop');
    ok(d.docker(['rm', 'hc1']), 'rm');
  });

  it('inherits the image HEALTHCHECK; --no-healthcheck turns it off; a slow test times out', async () => {
    const ctx = path.join(d.dir, 'ctx');
    fs.mkdirSync(ctx, { recursive: true });
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nHEALTHCHECK --interval=300ms --timeout=2s CMD ["true"]\n');
    ok(d.docker(['build', '-q', '-t', 'with-hc', ctx]), 'build');
    ok(d.docker(['run', '-d', '--name', 'hc2', 'with-hc', 'sleep', '600']), 'run');
    await until('healthy from the image check', () => /\(healthy\)$/.test(status('hc2')));
    ok(d.docker(['run', '-d', '--name', 'hc3', '--no-healthcheck', 'with-hc', 'sleep', '600']), 'run');
    assert.doesNotMatch(status('hc3'), /health/);
    assert.equal(ok(d.docker(['inspect', '-f', '{{json .State.Health}}', 'hc3']), 'inspect').trim(), 'null');
    ok(d.docker(['run', '-d', '--name', 'hc4', '--health-cmd', 'sleep 5', '--health-timeout', '300ms', '--health-interval', '300ms', '--health-retries', '1', 'busybox', 'sleep', '600']), 'run');
    await until('unhealthy by timeout', () => /\(unhealthy\)$/.test(status('hc4')));
    assert.match(health('hc4').Log[0].Output, /Health check exceeded timeout \(0\.3s\)/);
    ok(d.docker(['rm', '-f', 'hc2', 'hc3', 'hc4']), 'rm');
  });
});
