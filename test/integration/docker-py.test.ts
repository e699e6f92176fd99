/** docker-py (the installed Python client) against Berth: run, list, inspect, logs, images. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

describe('docker-py against berth', () => {
  const d = new TestDaemon('py');
  before(() => d.start());
  after(() => d.stop());

  it('runs containers and reads their state and output', () => {
    const r = d.python(`
import docker, json
c = docker.from_env()
out = c.containers.run('busybox', ['sh', '-c', 'echo hi; echo there >&2'], stderr=True, remove=True)
print(json.dumps(out.decode()))
ctr = c.containers.run('busybox', 'sleep 100', detach=True, name='pyc', labels={'k': 'v'})
ctr.reload()
print(ctr.status, ctr.name, ctr.labels['k'], ctr.attrs['Config']['Image'], ctr.attrs['HostConfig']['NetworkMode'] is not None)
print(len(c.containers.list(filters={'label': 'k=v'})))
ctr.kill()
print(ctr.wait()['StatusCode'])
ctr.remove()
try:
    c.containers.get('pyc')
except docker.errors.NotFound as e:
    print('notfound')
img = c.images.get('busybox')
print(img.tags)
`);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(JSON.parse(lines[0]!), 'hi\nthere\n');
    assert.equal(lines[1], 'running pyc v busybox True');
    assert.equal(lines[2], '1');
    assert.equal(lines[3], '137');
    assert.equal(lines[4], 'notfound');
    assert.equal(lines[5], "['busybox:latest']");
  });

  it('gets a clean API error for bad create input', () => {
    const r = d.python(`
import docker
c = docker.from_env()
try:
    c.containers.create('busybox', 'true', restart_policy={'Name': 'sometimes'})
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^400 invalid restart policy: unknown policy 'sometimes'/);
  });
});
