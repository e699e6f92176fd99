/** Unit tests for the container lifecycle rules, names, log parsing and status text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { can, check } from '../../../src/engine/containers/state.js';
import { generateName, validateName } from '../../../src/engine/containers/names.js';
import { dockerTime, frame, logTimeSeconds, parseLog } from '../../../src/engine/containers/logs.js';
import { humanDuration } from '../../../src/lib/human.js';
import { parseSignal } from '../../../src/engine/containers/lifecycle.js';

describe('container state machine', () => {
  it('allows start only from created or exited', () => {
    assert.ok(can('start', 'created'));
    assert.ok(can('start', 'exited'));
    assert.ok(!can('start', 'paused'));
  });
  it('refuses removing a running container with a Conflict naming the state', () => {
    assert.throws(() => check('remove', 'running', 'abc'), (e) => isKind(e, 'Conflict') && /container is running/.test(e.message));
    assert.throws(() => check('unpause', 'running', 'abc'), (e) => isKind(e, 'Conflict') && /is not paused/.test(e.message));
  });
});

describe('container names', () => {
  it('generates adjective_surname names avoiding taken ones', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const n = generateName((x) => taken.has(x));
      assert.match(n, /^[a-z]+_[a-z]+\d*$/);
      assert.ok(!taken.has(n));
      taken.add(n);
    }
  });
  it('validates names as Docker does', () => {
    assert.equal(validateName('/web'), 'web');
    assert.throws(() => validateName('-bad'), (e) => isKind(e, 'InvalidArgument') && /Invalid container name/.test(e.message));
    assert.throws(() => validateName('a b'), (e) => isKind(e, 'InvalidArgument'));
  });
});

describe('k8s-file logs', () => {
  const log = Buffer.from(
    '2026-11-22T04:26:02.567656057+00:00 stdout F hello\n' +
      '2026-11-22T04:26:02.600000000+00:00 stderr P par\n' +
      '2026-11-22T04:26:02.700000000+00:00 stderr F tial\n' +
      '2026-11-22T04:26:02.800000000+00:00 stdout F incomp',
  );
  it('parses full and partial lines and keeps the unfinished tail', () => {
    const { entries, rest } = parseLog(log);
    assert.deepEqual(entries.map((e) => [e.stream, e.data.toString()]), [['stdout', 'hello\n'], ['stderr', 'par'], ['stderr', 'tial\n']]);
    assert.equal(rest.toString(), '2026-11-22T04:26:02.800000000+00:00 stdout F incomp');
  });
  it('converts times to unix seconds and Docker form', () => {
    assert.equal(dockerTime('2026-11-22T05:26:02.5676+01:00'), '2026-11-22T04:26:02.567600000Z');
    assert.ok(Math.abs(logTimeSeconds('2026-11-22T04:26:02.5+00:00') - (Date.parse('2026-11-22T04:26:02Z') / 1000 + 0.5)) < 1e-6);
  });
  it('frames output with the 8-byte multiplexing header', () => {
    const f = frame('stderr', Buffer.from('abc'));
    assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 3]);
    assert.equal(f.subarray(8).toString(), 'abc');
  });
});

describe('status text and signals', () => {
  it("follows go-units' HumanDuration", () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(3000), '3 seconds');
    assert.equal(humanDuration(61_000), 'About a minute');
    assert.equal(humanDuration(120_000), '2 minutes');
    assert.equal(humanDuration(3_600_000), 'About an hour');
    assert.equal(humanDuration(5 * 3_600_000), '5 hours');
    assert.equal(humanDuration(3 * 86_400_000), '3 days');
  });
  it('parses signals by name, short name and number', () => {
    assert.equal(parseSignal('SIGKILL'), 9);
    assert.equal(parseSignal('term'), 15);
    assert.equal(parseSignal('10'), 10);
    assert.throws(() => parseSignal('NOPE'), (e) => isKind(e, 'InvalidArgument'));
  });
});

describe('host layer safety', () => {
  it('never signals pid 0 or a negative pid (process groups)', async () => {
    const { realHost } = await import('../../../src/host/real.js');
    assert.equal(realHost.kill(0, 0), false);
    assert.equal(realHost.kill(-1, 0), false);
    assert.equal(realHost.kill(process.pid, 0), true);
  });
});

describe('docker diff view', () => {
  it('hides runtime mount points and the parent changes only they caused', async () => {
    const { userChanges } = await import('../../../src/engine/containers/changes.js');
    const out = userChanges([
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/hostname', Kind: 1 },
      { Path: '/etc/hosts', Kind: 1 },
      { Path: '/tmp', Kind: 0 },
      { Path: '/tmp/new', Kind: 1 },
      { Path: '/bin/rm', Kind: 2 },
    ]);
    assert.deepEqual(out, [{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/new', Kind: 1 }, { Path: '/bin/rm', Kind: 2 }]);
    const kept = userChanges([{ Path: '/etc', Kind: 0 }, { Path: '/etc/hosts', Kind: 1 }, { Path: '/etc/motd', Kind: 1 }]);
    assert.deepEqual(kept, [{ Path: '/etc', Kind: 0 }, { Path: '/etc/motd', Kind: 1 }]);
  });
});
