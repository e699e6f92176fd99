/**
 * The real docker CLI (28.x) against a Berth daemon: run, ps, logs, stop, rm, inspect,
 * exit codes, errors with Docker's wording, and isolation seen from inside a container.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

describe('docker CLI against berth', () => {
  const d = new TestDaemon('cli');
  before(() => d.start());
  after(() => d.stop());

  it('answers version with an API version the CLI negotiates', () => {
    const r = d.docker(['version', '--format', '{{.Server.APIVersion}} {{.Client.APIVersion}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1.44 1.44');
    assert.match(d.docker(['info', '--format', '{{.Driver}} {{.OSType}}']).stdout, /overlay2 linux/);
  });

  it('runs a container in the foreground and removes it with --rm', () => {
    const r = d.docker(['run', '--rm', 'busybox', 'echo', 'hello']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '');
  });

  it('separates stdout and stderr and returns the exit code', () => {
    const r = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('exits 127 for a command that is not found and 126 for one that cannot run', () => {
    const nf = d.docker(['run', '--rm', 'busybox', 'nonexistent-cmd']);
    assert.equal(nf.code, 127, nf.stderr);
    assert.match(nf.stderr, /executable file not found/);
    const dir = d.docker(['run', '--rm', 'busybox', '/etc']);
    assert.equal(dir.code, 126, dir.stderr);
    d.docker(['container', 'prune', '-f']);
  });

  it('runs detached, lists, shows logs, stops and removes by name', async () => {
    const run = d.docker(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo started; exec sleep 1000']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = d.docker(['ps']);
    assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
    assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'echo started…"\\s+.*\\s+Up .*\\s+web$`, 'm'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(d.docker(['logs', 'web']).stdout, 'started\n');
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.Name}}', 'web']).stdout.trim(), 'running true /web');
    const stop = d.docker(['stop', '-t', '1', 'web']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout.trim(), 'web');
    assert.match(d.docker(['ps', '-a', '--filter', 'name=web', '--format', '{{.Status}}']).stdout, /^Exited \(137\) /);
    assert.equal(d.docker(['rm', 'web']).code, 0);
    assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '');
  });

  it('stops a container with its stop signal before the timeout', () => {
    d.docker(['run', '-d', '--name', 'polite', 'busybox', 'sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.1; done"]);
    const t0 = Date.now();
    assert.equal(d.docker(['stop', 'polite']).code, 0);
    assert.ok(Date.now() - t0 < 5000, 'stopped by SIGTERM, not after the 10 s timeout');
    assert.equal(d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'polite']).stdout.trim(), '0');
    d.docker(['rm', 'polite']);
  });

  it('reports a name conflict naming the holder, and refuses rm of a running container', () => {
    const id = d.docker(['run', '-d', '--name', 'dup', 'busybox', 'sleep', '1000']).stdout.trim();
    const r = d.docker(['run', '-d', '--name', 'dup', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`Conflict. The container name "/dup" is already in use by container "${id}"`));
    const rm = d.docker(['rm', 'dup']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /container is running: stop the container before removing or force remove/);
    assert.equal(d.docker(['rm', '-f', 'dup']).code, 0);
  });

  it('reports an unknown image and an unknown container with Docker wording', () => {
    // A registry on a closed loopback port: the pull the CLI tries next must not leave the machine.
    const r = d.docker(['run', '--rm', '127.0.0.1:9/nosuchimage']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Unable to find image '127\.0\.0\.1:9\/nosuchimage:latest' locally/);
    const i = d.docker(['inspect', 'nosuch']);
    assert.equal(i.code, 1);
    assert.match(i.stderr, /No such object: nosuch/);
    const s = d.docker(['stop', 'nosuch']);
    assert.match(s.stderr, /No such container: nosuch/);
  });

  it('finds containers by unique ID prefix and rejects an ambiguous one', () => {
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17].map(() => d.docker(['create', 'busybox', 'true']).stdout.trim());
    const first = ids[0]!;
    assert.equal(d.docker(['inspect', '-f', '{{.Id}}', first.slice(0, 10)]).stdout.trim(), first);
    // With 17 ids over 16 hex digits, two share a first digit (pigeonhole).
    const seen = new Map<string, number>();
    ids.forEach((id) => seen.set(id[0]!, (seen.get(id[0]!) ?? 0) + 1));
    const shared = [...seen.entries()].find(([, n]) => n > 1)![0];
    const amb = d.docker(['rm', shared]);
    assert.notEqual(amb.code, 0);
    assert.match(amb.stderr, /multiple IDs found with provided prefix/);
    assert.equal(d.docker(['rm', ...ids]).code, 0);
  });

  it('isolates: own pid namespace and hostname, Docker default capabilities, read-only rootfs', () => {
    const r = d.docker(['run', '--rm', '-h', 'box', 'busybox', 'sh', '-c', 'echo $$; hostname; grep CapEff /proc/self/status; cat /proc/1/cmdline | tr "\\0" " "']);
    assert.equal(r.code, 0, r.stderr);
    const [pid, host, cap] = r.stdout.split('\n');
    assert.equal(pid, '1');
    assert.equal(host, 'box');
    // Docker's 14 default capabilities.
    assert.equal(cap, 'CapEff:\t00000000a80425fb');
    const ro = d.docker(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    // --privileged grants every capability the daemon holds (its bounding set).
    const priv = d.docker(['run', '--rm', '--privileged', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
    const bounding = /^CapBnd:\s*(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    assert.equal(priv.stdout.trim(), `CapEff:\t${bounding}`, priv.stderr);
    const drop = d.docker(['run', '--rm', '--cap-drop', 'CHOWN', 'busybox', 'chown', 'nobody', '/tmp']);
    assert.notEqual(drop.code, 0);
  });

  it('enforces memory and pids limits; an OOM kill reports 137 and OOMKilled', () => {
    const pids = d.docker(['run', '--rm', '--pids-limit', '5', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait']);
    assert.match(pids.stderr, /can't fork|Resource temporarily unavailable/);
    const r = d.docker(['run', '--name', 'oom', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=a; while true; do x=$x$x; done']);
    assert.equal(r.code, 137, r.stderr);
    assert.equal(d.docker(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'oom']).stdout.trim(), 'true 137');
    d.docker(['rm', 'oom']);
  });

  it('applies the on-failure restart policy with its retry limit', async () => {
    d.docker(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 1']);
    const deadline = Date.now() + 15_000;
    let state = '';
    while (Date.now() < deadline) {
      state = d.docker(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'flaky']).stdout.trim();
      if (state === '2 exited') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(state, '2 exited');
    d.docker(['rm', 'flaky']);
  });

  it('pauses, unpauses, renames, and lists processes with top', () => {
    d.docker(['run', '-d', '--name', 'p1', 'busybox', 'sleep', '1000']);
    assert.equal(d.docker(['pause', 'p1']).code, 0);
    assert.match(d.docker(['ps', '--format', '{{.Status}}']).stdout, /\(Paused\)/);
    assert.equal(d.docker(['unpause', 'p1']).code, 0);
    assert.equal(d.docker(['rename', 'p1', 'p2']).code, 0);
    const top = d.docker(['top', 'p2']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /UID\s+PID\s+PPID/);
    assert.match(top.stdout, /sleep 1000/);
    assert.equal(d.docker(['rm', '-f', 'p2']).code, 0);
  });

  it('shows the container layer changes with diff', () => {
    d.docker(['run', '--name', 'changer', 'busybox', 'sh', '-c', 'mkdir /tmp/d && echo x > /tmp/d/f && rm /bin/vi && echo y >> /etc/passwd']);
    const r = d.docker(['diff', 'changer']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').sort();
    assert.deepEqual(lines, ['A /tmp/d', 'A /tmp/d/f', 'C /bin', 'C /etc', 'C /etc/passwd', 'C /tmp', 'D /bin/vi']);
    d.docker(['rm', 'changer']);
  });
});
