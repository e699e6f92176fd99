/** `docker stats`: CPU, memory against the limit, and PIDs read from the container's cgroups. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

describe('stats', () => {
  const d = new TestDaemon('stats');
  before(() => d.start());
  after(() => d.stop());

  it('reports a busy container near one CPU and an idle one near zero, with limits', () => {
    d.docker(['run', '-d', '--name', 'busy', '--memory', '64m', 'busybox', 'sh', '-c', 'while true; do :; done']);
    d.docker(['run', '-d', '--name', 'idle', 'busybox', 'sh', '-c', 'sleep 100 & sleep 100 & wait']);
    const r = d.docker(['stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}', 'busy', 'idle']);
    assert.equal(r.code, 0, r.stderr);
    const rows = Object.fromEntries(r.stdout.trim().split('\n').map((l) => { const [n, ...rest] = l.split('|'); return [n, rest]; }));
    const [busyCpu, busyMem, busyPids] = rows.busy!;
    assert.ok(parseFloat(busyCpu!) > 20, `busy CPU ${busyCpu}`);
    assert.match(busyMem!, /^[\d.]+(B|KiB|MiB) \/ 64MiB$/);
    assert.equal(busyPids, '1');
    const [idleCpu, , idlePids] = rows.idle!;
    assert.ok(parseFloat(idleCpu!) < 10, `idle CPU ${idleCpu}`);
    assert.equal(idlePids, '3');
    d.docker(['rm', '-f', 'busy', 'idle']);
  });
});
