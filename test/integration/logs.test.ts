/** `docker logs`: --tail, -t, --since/--until, stream selection, and -f following a running container to its exit. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

describe('logs', () => {
  const d = new TestDaemon('logs');
  before(() => d.start());
  after(() => d.stop());

  it('shows the tail, timestamps and one stream at a time', () => {
    d.docker(['run', '--name', 'l1', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; printf partial']);
    const all = d.docker(['logs', 'l1']);
    assert.equal(all.stdout, 'line1\nline2\nline3\nline4\nline5\npartial');
    assert.equal(all.stderr, 'oops\n');
    assert.equal(d.docker(['logs', '--tail', '2', 'l1']).stdout, 'line5\npartial');
    assert.equal(d.docker(['logs', '--tail', '0', 'l1']).stdout, '');
    const ts = d.docker(['logs', '-t', '--tail', '1', 'l1']).stdout;
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z partial$/);
    const future = (Date.now() / 1000 + 60).toFixed(0);
    assert.equal(d.docker(['logs', '--since', future, 'l1']).stdout, '');
    assert.equal(d.docker(['logs', '--until', '1', 'l1']).stdout, '');
    d.docker(['rm', 'l1']);
  });

  it('follows a running container until it exits', async () => {
    d.docker(['run', '-d', '--name', 'l2', 'busybox', 'sh', '-c', 'echo first; sleep 1; echo second; sleep 1; echo third']);
    const follower = spawn('docker', ['logs', '-f', 'l2'], { env: { ...process.env, DOCKER_HOST: d.host } });
    let out = '';
    follower.stdout.on('data', (c: Buffer) => (out += c));
    const code = await new Promise<number | null>((r) => follower.once('exit', r));
    assert.equal(code, 0);
    assert.equal(out, 'first\nsecond\nthird\n');
    d.docker(['rm', 'l2']);
  });

  it('answers docker wait with the exit code', () => {
    d.docker(['run', '-d', '--name', 'l3', 'busybox', 'sh', '-c', 'sleep 0.5; exit 9']);
    const w = d.docker(['wait', 'l3']);
    assert.equal(w.stdout.trim(), '9');
    assert.equal(d.docker(['wait', 'l3']).stdout.trim(), '9');
    d.docker(['rm', 'l3']);
  });
});
