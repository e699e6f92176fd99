/**
 * Standard input and exec without a terminal: piped stdin with half-close, several attachers
 * at once, `exec` options and exit codes (126/127), exec inspect, refusals, exec'd processes
 * dying with their container — through the docker CLI and docker-py — and nothing left behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, TestDaemon } from './harness.js';

/** Sockets the daemon holds open (its listener, connections to clients and to conmon). */
function socketFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).filter((f) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${f}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

describe('stdin and exec', () => {
  const d = new TestDaemon('exec');
  let baselineSockets = 0;
  before(async () => {
    await d.start();
    baselineSockets = socketFds(d.proc!.pid!);
  });
  after(() => d.stop());

  it('pipes stdin into run -i and closes it at end of input', () => {
    const r = d.docker(['run', '-i', '--rm', 'busybox', 'cat'], 'hi\n');
    assert.deepEqual([r.code, r.stdout], [0, 'hi\n']);
    const wc = d.docker(['run', '-i', '--rm', 'busybox', 'wc', '-c'], 'x'.repeat(200_000));
    assert.equal(wc.stdout.trim(), '200000');
    const b = d.berth(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; echo end >&2; exit 4'], 'one\ntwo\n');
    assert.deepEqual([b.code, b.stdout, b.stderr], [4, 'one\ntwo\n', 'end\n']);
  });

  it('serves several attachers at once; --no-stdin attaches output only', async () => {
    d.docker(['run', '-d', '-i', '--name', 'multi', 'busybox', 'sh', '-c', 'while read l; do echo got:$l; done']);
    const env = { ...process.env, DOCKER_HOST: d.host };
    const a = spawn('docker', ['attach', 'multi'], { env });
    const b = spawn('docker', ['attach', '--no-stdin', 'multi'], { env });
    let outA = '';
    let outB = '';
    a.stdout.on('data', (c: Buffer) => (outA += c));
    b.stdout.on('data', (c: Buffer) => (outB += c));
    await new Promise((r) => setTimeout(r, 1000));
    a.stdin.write('one\n');
    const deadline = Date.now() + 10_000;
    while (!(outA.includes('got:one') && outB.includes('got:one')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(outA, 'got:one\n');
    assert.equal(outB, 'got:one\n');
    // The container was started with -d -i (StdinOnce off): one attacher leaving keeps its stdin open.
    a.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(d.docker(['inspect', '-f', '{{.State.Running}}', 'multi']).stdout.trim(), 'true');
    const gone = new Promise((r) => b.once('exit', r));
    d.docker(['stop', '-t', '1', 'multi']);
    await gone;
    d.docker(['rm', 'multi']);
  });

  it('exec: output streams, exit codes, -e -u -w, -d, --privileged', () => {
    d.docker(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '1000']);
    const r = d.docker(['exec', 'ex', 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [5, 'out\n', 'err\n']);
    const nf = d.docker(['exec', 'ex', 'no-such-command']);
    assert.equal(nf.code, 127);
    assert.match(nf.stdout + nf.stderr, /executable file not found/);
    assert.equal(d.docker(['exec', 'ex', '/etc']).code, 126);
    const opts = d.docker(['exec', '-e', 'FOO=bar', '-u', '1000:1000', '-w', '/tmp', 'ex', 'sh', '-c', 'echo $FOO $(id -u):$(id -g) $(pwd) $HOSTNAME']);
    assert.equal(opts.stdout.trim(), `bar 1000:1000 /tmp ${d.docker(['inspect', '-f', '{{.Config.Hostname}}', 'ex']).stdout.trim()}`);
    assert.equal(d.docker(['exec', '-i', 'ex', 'cat'], 'piped\n').stdout, 'piped\n');
    // The exec'd process shares the container's namespaces and cgroups.
    const same = d.docker(['exec', 'ex', 'sh', '-c', 'for n in pid mnt net ipc uts; do [ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] || echo ns-$n; done; cmp -s /proc/self/cgroup /proc/1/cgroup || echo cgroup; echo checked']);
    assert.equal(same.stdout, 'checked\n');
    const capEff = (args: string[]) => /CapEff:\s*([0-9a-f]+)/.exec(d.docker(['exec', ...args, 'ex', 'grep', 'CapEff', '/proc/self/status']).stdout)![1]!;
    assert.ok(BigInt(`0x${capEff(['--privileged'])}`) > BigInt(`0x${capEff([])}`), 'privileged exec has more capabilities');
    // -d returns at once; the process runs in the container.
    assert.equal(d.docker(['exec', '-d', 'ex', 'sh', '-c', 'echo detached > /tmp/d; sleep 1000']).code, 0);
    const deadline = Date.now() + 5000;
    while (d.docker(['exec', 'ex', 'cat', '/tmp/d']).stdout !== 'detached\n' && Date.now() < deadline) spawnSync('sleep', ['0.1']);
    assert.equal(d.docker(['exec', 'ex', 'cat', '/tmp/d']).stdout, 'detached\n');
    assert.match(d.docker(['top', 'ex']).stdout, /sleep 1000[\s\S]*sleep 1000/);
    // berth's exec agrees.
    const be = d.berth(['exec', '-w', '/etc', 'ex', 'sh', '-c', 'pwd; exit 2']);
    assert.deepEqual([be.code, be.stdout], [2, '/etc\n']);
    assert.equal(d.berth(['exec', 'ex', 'no-such-command']).code, 127);
  });

  it('exec inspect and the API through docker-py', () => {
    const r = d.python(`
import docker, json
c = docker.from_env()
api = c.api
x = api.exec_create('ex', ['sh', '-c', 'echo hi; exit 3'], environment=['A=1'])
before = api.exec_inspect(x['Id'])
out = api.exec_start(x['Id'])
after = api.exec_inspect(x['Id'])
res = c.containers.get('ex').exec_run('sh -c "echo $A"', environment={'A': 'z'})
print(json.dumps({'before': [before['Running'], before['ExitCode']], 'out': out.decode(), 'after': [after['Running'], after['ExitCode'], after['ProcessConfig']['entrypoint'], after['ProcessConfig']['arguments'], after['ContainerID']], 'run': [res.exit_code, res.output.decode()]}))
try:
    api.exec_start(x['Id'])
except docker.errors.APIError as e:
    print(e.status_code)
`);
    assert.equal(r.code, 0, r.stderr);
    const [line, again] = r.stdout.trim().split('\n');
    const v = JSON.parse(line!);
    const id = d.docker(['inspect', '-f', '{{.Id}}', 'ex']).stdout.trim();
    assert.deepEqual(v, { before: [false, null], out: 'hi\n', after: [false, 3, 'sh', ['-c', 'echo hi; exit 3'], id], run: [0, 'z\n'] });
    assert.equal(again, '409');
  });

  it('refuses exec in a stopped or paused container, and when no command is given', () => {
    d.docker(['create', '--name', 'idle', 'busybox', 'true']);
    const stopped = d.docker(['exec', 'idle', 'true']);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, /Container [0-9a-f]{64} is not running/);
    d.docker(['pause', 'ex']);
    assert.match(d.docker(['exec', 'ex', 'true']).stderr, /is paused, unpause the container before exec/);
    d.docker(['unpause', 'ex']);
    const none = d.python(`
import docker
try:
    docker.from_env().api.exec_create('ex', [])
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
`);
    assert.equal(none.stdout.trim(), '400 No exec command specified');
    d.docker(['rm', 'idle']);
  });

  it("exec'd processes die with the container; no process, socket or exec directory is left", () => {
    d.docker(['exec', '-d', 'ex', 'sleep', '4242']);
    assert.equal(spawnSync('pgrep', ['-f', '^sleep 4242$']).status, 0);
    d.docker(['rm', '-f', 'ex']);
    assert.notEqual(spawnSync('pgrep', ['-f', '^sleep 4242$']).status, 0, 'the exec process outlived its container');
    const execs = path.join(d.execRoot, 'execs');
    const deadline = Date.now() + 5000;
    while (fs.existsSync(execs) && fs.readdirSync(execs).length && Date.now() < deadline) spawnSync('sleep', ['0.1']);
    assert.deepEqual(fs.existsSync(execs) ? fs.readdirSync(execs) : [], []);
    assert.deepEqual(fs.readdirSync(path.join(d.execRoot, 'containers')), []);
    assert.equal(spawnSync('pgrep', ['-af', `conmon.*${d.dir}`], { encoding: 'utf8' }).stdout, '');
    // Every connection to a client or to conmon was closed.
    const until = Date.now() + 5000;
    while (socketFds(d.proc!.pid!) > baselineSockets && Date.now() < until) spawnSync('sleep', ['0.1']);
    assert.ok(socketFds(d.proc!.pid!) <= baselineSockets, `daemon holds ${socketFds(d.proc!.pid!)} sockets, ${baselineSockets} at start`);
  });

  it('the daemon detaches an attached client on the detach keys (no TTY, docker-py socket)', () => {
    d.docker(['run', '-d', '-i', '--name', 'det', 'busybox', 'sh', '-c', 'while read l; do echo got:$l; done']);
    const r = d.python(`
import docker, socket, time
api = docker.from_env().api
s = api.attach_socket('det', params={'stdin': 1, 'stdout': 1, 'stream': 1, 'detachKeys': 'ctrl-x,y'})
raw = s._sock
raw.sendall(b'one\\n')
time.sleep(0.5)
raw.sendall(b'\\x18y')
raw.settimeout(10)
data = b''
while True:
    chunk = raw.recv(4096)
    if not chunk:
        break
    data += chunk
print(repr(data[8:]))
`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "b'got:one\\n'");
    assert.equal(d.docker(['inspect', '-f', '{{.State.Running}}', 'det']).stdout.trim(), 'true');
    assert.match(d.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=detach', '--format', '{{.Actor.Attributes.name}}']).stdout, /^det$/m);
    d.docker(['rm', '-f', 'det']);
  });

  it('forwards signals to the container (--sig-proxy)', async () => {
    for (const [file, args, env] of [
      ['docker', [], { DOCKER_HOST: d.host }],
      [process.execPath, [path.join(REPO, 'dist/src/cli/main.js')], { BERTH_HOST: d.host }],
    ] as const) {
      const p = spawn(file, [...args, 'run', '--rm', 'busybox', 'sh', '-c', 'trap "echo got-int; exit 7" INT; echo ready; while true; do sleep 0.1; done'], { env: { ...process.env, ...env } });
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c));
      const deadline = Date.now() + 10_000;
      while (!out.includes('ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      p.kill('SIGINT');
      const code = await new Promise<number | null>((r) => p.once('exit', r));
      assert.deepEqual([code, out], [7, 'ready\ngot-int\n']);
    }
  });
});
