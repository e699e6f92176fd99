/** `ps` filters and limits, `restart`, `kill -s`, and `container prune`, with the docker CLI. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

describe('ps filters and lifecycle verbs', () => {
  const d = new TestDaemon('psverbs');
  before(() => d.start());
  after(() => d.stop());

  const names = (args: string[]) => d.docker(['ps', ...args, '--format', '{{.Names}}']).stdout.trim().split('\n').filter(Boolean).sort();

  it('filters by status, label, exit code and ancestor, and limits with -n', () => {
    d.docker(['run', '-d', '--name', 'up1', '-l', 'tier=web', 'busybox', 'sleep', '100']);
    d.docker(['run', '--name', 'ex0', '-l', 'tier=job', 'busybox', 'true']);
    d.docker(['run', '--name', 'ex3', 'busybox', 'sh', '-c', 'exit 3']);
    d.docker(['create', '--name', 'cr1', 'busybox', 'true']);
    assert.deepEqual(names([]), ['up1']);
    assert.deepEqual(names(['-a']), ['cr1', 'ex0', 'ex3', 'up1']);
    assert.deepEqual(names(['-a', '--filter', 'status=exited']), ['ex0', 'ex3']);
    assert.deepEqual(names(['-a', '--filter', 'status=created']), ['cr1']);
    assert.deepEqual(names(['-a', '--filter', 'label=tier']), ['ex0', 'up1']);
    assert.deepEqual(names(['-a', '--filter', 'label=tier=job']), ['ex0']);
    assert.deepEqual(names(['-a', '--filter', 'exited=3']), ['ex3']);
    assert.deepEqual(names(['-a', '--filter', 'ancestor=busybox']), ['cr1', 'ex0', 'ex3', 'up1']);
    assert.deepEqual(names(['-a', '--filter', 'name=ex']), ['ex0', 'ex3']);
    assert.deepEqual(names(['-n', '1']), ['cr1']);
    const bad = d.docker(['ps', '--filter', 'status=sleepy']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'status=sleepy'/);
  });

  it('restarts a running container with a new process and counts nothing as a policy restart', () => {
    const before = d.docker(['inspect', '-f', '{{.State.Pid}} {{.State.StartedAt}}', 'up1']).stdout.trim();
    assert.equal(d.docker(['restart', '-t', '0', 'up1']).code, 0);
    const after = d.docker(['inspect', '-f', '{{.State.Pid}} {{.State.StartedAt}} {{.State.Status}} {{.RestartCount}}', 'up1']).stdout.trim().split(' ');
    assert.notEqual(`${after[0]} ${after[1]}`, before);
    assert.equal(after[2], 'running');
    assert.equal(after[3], '0');
  });

  it('lists processes with ps options through top', () => {
    const r = d.docker(['top', 'up1', '-o', 'pid,comm']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^PID\s+COMMAND$/);
    assert.deepEqual(lines.slice(1).map((l) => l.trim().split(/\s+/)[1]), ['sleep']);
    const bad = d.docker(['top', 'up1', '-o', 'comm']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Couldn't find PID field in ps output/);
  });

  it('sends the signal given to kill -s', () => {
    d.docker(['run', '-d', '--name', 'trap', 'busybox', 'sh', '-c', "trap 'exit 42' USR1; while true; do sleep 0.1; done"]);
    assert.equal(d.docker(['kill', '-s', 'USR1', 'trap']).code, 0);
    assert.equal(d.docker(['wait', 'trap']).stdout.trim(), '42');
    const k = d.docker(['kill', 'trap']);
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /is not running/);
  });

  it('prunes stopped containers only', () => {
    const r = d.docker(['container', 'prune', '-f']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Deleted Containers:/);
    assert.deepEqual(names(['-a']), ['up1']);
    d.docker(['rm', '-f', 'up1']);
  });
});
