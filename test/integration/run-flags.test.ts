/** `docker run` flags seen from inside the container: user, workdir, entrypoint, init, limits, seccomp. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

describe('run flags', () => {
  const d = new TestDaemon('flags');
  before(() => d.start());
  after(() => d.stop());

  const run = (args: string[]) => {
    const r = d.docker(['run', '--rm', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  it('applies -u, -w, -e, --env-file and the image PATH', () => {
    const envFile = path.join(d.dir, 'env');
    fs.writeFileSync(envFile, 'FROM_FILE=yes\n# comment\n');
    assert.equal(run(['-u', 'nobody', '-w', '/tmp', '-e', 'A=1', '--env-file', envFile, 'busybox', 'sh', '-c', 'id -un; pwd; echo $A $FROM_FILE; echo $PATH']),
      'nobody\n/tmp\n1 yes\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    assert.equal(run(['-u', '1234:5678', 'busybox', 'id']), 'uid=1234 gid=5678 groups=5678');
    const bad = d.docker(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unable to find user nosuchuser/);
  });

  it('replaces the entrypoint and runs an init as pid 1 with --init', () => {
    assert.equal(run(['--entrypoint', 'echo', 'busybox', 'a', 'b']), 'a b');
    assert.equal(run(['--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']), '/sbin/docker-init -- sh -c cat /proc/1/cmdline | tr "\\0" " "');
  });

  it('sets the CPU quota for --cpus and keeps labels in inspect', () => {
    d.docker(['run', '-d', '--name', 'lim', '--cpus', '0.5', '-l', 'team=core', 'busybox', 'sleep', '100']);
    const id = d.docker(['inspect', '-f', '{{.Id}}', 'lim']).stdout.trim();
    const engineId = (JSON.parse(fs.readFileSync(path.join(d.dataRoot, 'engine-id.json'), 'utf8')) as { id: string }).id.slice(0, 8);
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu/berth-${engineId}/${id}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
    assert.equal(d.docker(['inspect', '-f', '{{index .Config.Labels "team"}} {{.HostConfig.NanoCpus}}', 'lim']).stdout.trim(), 'core 500000000');
    d.docker(['rm', '-f', 'lim']);
  });

  it('confines processes with seccomp and no new namespaces', () => {
    assert.match(run(['busybox', 'grep', 'Seccomp:', '/proc/self/status']), /Seccomp:\s+2/);
    const r = d.docker(['run', '--rm', 'busybox', 'unshare', '-n', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Operation not permitted/);
  });
});
