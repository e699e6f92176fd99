/**
 * Bridge networking with the real docker CLI and docker-py: the default bridge, user networks
 * with name resolution, isolation between networks, `--internal`, outbound NAT to a host the
 * machine reaches (a namespace of this test standing in for the outside), published ports on
 * the host's addresses and on localhost, "port is already allocated", host/none/container
 * modes, and a daemon crash leaving networks and connectivity intact. The harness checks that
 * no bridge, iptables rule, namespace or subnet claim is left.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/index.html', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function hostAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('172.')) return a.address;
  throw new Error('no external IPv4 address on this host');
}

/** A namespace standing in for "a host the machine reaches": veth to the host, an HTTP server that reports who called. */
class OutsideHost {
  readonly ns = `berth-ext-${process.pid}`;
  readonly hostSide = `bxh${process.pid % 100000}`;
  readonly www = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ext-'));
  private server?: ReturnType<typeof spawnSync>;
  start(): void {
    const sh = (cmd: string) => assert.equal(spawnSync('sh', ['-c', cmd]).status, 0, cmd);
    sh(`ip netns add ${this.ns}`);
    sh(`ip link add ${this.hostSide} type veth peer name ext0 netns ${this.ns}`);
    sh(`ip addr add 10.213.0.1/24 dev ${this.hostSide} && ip link set ${this.hostSide} up`);
    sh(`ip netns exec ${this.ns} sh -c 'ip addr add 10.213.0.2/24 dev ext0 && ip link set ext0 up && ip link set lo up'`);
    fs.mkdirSync(path.join(this.www, 'cgi-bin'));
    fs.writeFileSync(path.join(this.www, 'cgi-bin', 'who'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "caller=$REMOTE_ADDR"\n', { mode: 0o755 });
    // busybox httpd daemonizes; it dies with the namespace's processes at stop().
    sh(`ip netns exec ${this.ns} busybox httpd -p 10.213.0.2:8081 -h ${this.www}`);
    // httpd forks into the background; wait until it answers from the host.
    for (let i = 0; i < 50; i++) {
      if (spawnSync('busybox', ['wget', '-qO-', 'http://10.213.0.2:8081/cgi-bin/who'], { encoding: 'utf8' }).stdout.startsWith('caller=')) return;
      spawnSync('sleep', ['0.1']);
    }
    throw new Error('the outside host did not come up');
  }
  stop(): void {
    spawnSync('sh', ['-c', `ip netns pids ${this.ns} | xargs -r kill; ip link del ${this.hostSide}; ip netns del ${this.ns}`]);
    fs.rmSync(this.www, { recursive: true, force: true });
  }
}

describe('networks', () => {
  const d = new TestDaemon('networks');
  const outside = new OutsideHost();
  before(async () => {
    await d.start();
    outside.start();
  });
  after(async () => {
    outside.stop();
    await d.stop();
  });
  const ok = (args: string[]) => {
    const r = d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };

  it('gives containers on the default bridge sequential addresses, a gateway route and outbound NAT', () => {
    const a = ok(['run', '--rm', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route; cat /etc/hosts']);
    const m = /inet (\d+\.\d+\.\d+\.)(\d+)\/(\d+)/.exec(a)!;
    assert.ok(m, a);
    assert.match(a, new RegExp(`default via ${m[1].replace(/\./g, '\\.')}1 dev eth0`));
    assert.match(a, new RegExp(`${m[1]}${m[2]}\\t[0-9a-f]{12}`));
    const b = ok(['run', '--rm', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    assert.equal(/inet (\d+\.\d+\.\d+\.\d+)/.exec(b)![1], `${m[1]}${Number(m[2]) + 1}`);
    // The outside host sees the machine's own address on that link: the container was masqueraded.
    assert.equal(ok(['run', '--rm', 'busybox', 'wget', '-qO-', 'http://10.213.0.2:8081/cgi-bin/who']), 'caller=10.213.0.1');
  });

  it('resolves names and aliases on a user network; other networks cannot reach it', () => {
    ok(['network', 'create', '--subnet', '10.123.0.0/24', '--gateway', '10.123.0.254', '--label', 'team=a', 'appnet']);
    ok(['run', '-d', '--name', 'srv', '--network', 'appnet', '--network-alias', 'web', 'busybox', 'sh', '-c', 'echo hello-srv > /index.html; exec httpd -f -p 80 -h /']);
    assert.equal(ok(['run', '--rm', '--network', 'appnet', 'busybox', 'wget', '-qO-', 'http://srv/index.html']), 'hello-srv');
    assert.equal(ok(['run', '--rm', '--network', 'appnet', 'busybox', 'wget', '-qO-', 'http://web/index.html']), 'hello-srv');
    assert.match(ok(['run', '--rm', '--network', 'appnet', 'busybox', 'cat', '/etc/resolv.conf']), /^nameserver 10\.123\.0\.254$/m);
    const ip = ok(['inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'srv']);
    assert.match(ip, /^10\.123\.0\.\d+$/);
    const fromBridge = d.docker(['run', '--rm', 'busybox', 'sh', '-c', `nc -w 2 ${ip} 80 </dev/null && echo reached`]);
    assert.doesNotMatch(fromBridge.stdout, /reached/);
    // Static address, and connect/disconnect of a running container.
    ok(['run', '-d', '--name', 'fixed', '--network', 'appnet', '--ip', '10.123.0.77', 'busybox', 'sleep', '300']);
    assert.equal(ok(['inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'fixed']), '10.123.0.77');
    ok(['run', '-d', '--name', 'roamer', 'busybox', 'sleep', '300']);
    ok(['network', 'connect', '--alias', 'wanderer', 'appnet', 'roamer']);
    assert.equal(ok(['exec', 'roamer', 'wget', '-qO-', 'http://srv/index.html']), 'hello-srv');
    assert.match(ok(['exec', 'srv', 'nslookup', 'wanderer', '10.123.0.254']), /Address: 10\.123\.0\.\d+/);
    ok(['network', 'disconnect', 'appnet', 'roamer']);
    assert.doesNotMatch(d.docker(['exec', 'roamer', 'sh', '-c', 'nc -w 2 srv 80 </dev/null && echo reached']).stdout, /reached/);
    const inspect = JSON.parse(ok(['network', 'inspect', 'appnet']))[0];
    assert.deepEqual(inspect.IPAM.Config, [{ Subnet: '10.123.0.0/24', Gateway: '10.123.0.254' }]);
    assert.deepEqual(inspect.Labels, { team: 'a' });
    assert.deepEqual(Object.values(inspect.Containers as Record<string, { Name: string }>).map((c) => c.Name).sort(), ['fixed', 'srv']);
  });

  it('cuts an --internal network off from everything outside it', () => {
    ok(['network', 'create', '--internal', 'sealed']);
    ok(['run', '-d', '--name', 'inner', '--network', 'sealed', 'busybox', 'sh', '-c', 'echo inner > /index.html; exec httpd -f -p 80 -h /']);
    assert.equal(ok(['run', '--rm', '--network', 'sealed', 'busybox', 'wget', '-qO-', 'http://inner/index.html']), 'inner');
    const out = d.docker(['run', '--rm', '--network', 'sealed', 'busybox', 'sh', '-c', 'nc -w 2 10.213.0.2 8081 </dev/null && echo reached; ip route']);
    assert.doesNotMatch(out.stdout, /reached|default/);
  });

  it('publishes ports on the host addresses and localhost, refuses a taken port', async () => {
    ok(['run', '-d', '--name', 'pub', '-p', '18080:80', '-p', '127.0.0.1::80', '--expose', '81', 'busybox', 'sh', '-c', 'echo published > /index.html; exec httpd -f -p 80 -h /']);
    const ports = ok(['port', 'pub']).split('\n').sort();
    assert.equal(ports[0], '80/tcp -> 0.0.0.0:18080');
    const eph = Number(/127\.0\.0\.1:(\d+)/.exec(ports[1]!)![1]);
    assert.ok(eph > 1024);
    assert.match(ok(['ps', '--filter', 'name=pub', '--format', '{{.Ports}}']), /0\.0\.0\.0:18080->80\/tcp/);
    assert.equal(await httpGet('127.0.0.1', 18080), 'published\n');
    assert.equal(await httpGet(hostAddress(), 18080), 'published\n');
    assert.equal(await httpGet('127.0.0.1', eph), 'published\n');
    const taken = d.docker(['run', '--rm', '-p', '18080:80', 'busybox', 'true']);
    assert.equal(taken.code, 125);
    assert.match(taken.stderr, /Bind for 0\.0\.0\.0:18080 failed: port is already allocated/);
    // -P publishes the exposed ports on ephemeral host ports.
    ok(['run', '-d', '--name', 'allpub', '--expose', '80', '-P', 'busybox', 'sh', '-c', 'echo all > /index.html; exec httpd -f -p 80 -h /']);
    const p = Number(ok(['port', 'allpub', '80']).split(':').pop());
    assert.equal(await httpGet('127.0.0.1', p), 'all\n');
    ok(['rm', '-f', 'allpub']);
  });

  it('supports host, none and container network modes', () => {
    assert.match(ok(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']), /eth0/);
    assert.doesNotMatch(ok(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']), /eth0/);
    assert.equal(ok(['run', '--rm', '--network', 'container:srv', 'busybox', 'wget', '-qO-', 'http://127.0.0.1/index.html']), 'hello-srv');
    const bad = d.docker(['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /network nosuchnet not found/);
  });

  it('manages networks with docker-py and refuses what Docker refuses', () => {
    const r = d.python(`
import docker
c = docker.from_env()
n = c.networks.create('pynet', driver='bridge', ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='10.124.0.0/24')]))
out = c.containers.run('busybox', 'sh -c "ip -4 -o addr show eth0"', network='pynet', remove=True).decode()
print('10.124.0.' in out)
print(sorted(x.name for x in c.networks.list()) == sorted(['appnet', 'bridge', 'host', 'none', 'pynet', 'sealed']))
n.remove()
for name in ['bridge', 'appnet']:
    try:
        c.networks.get(name).remove()
    except docker.errors.APIError as e:
        print(e.status_code)
`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['True', 'True', '403', '403']);
    const until = String(Math.ceil(Date.now() / 1000) + 1);
    const evs = ok(['events', '--since', '0', '--until', until, '--filter', 'type=network', '--filter', 'network=pynet', '--format', '{{.Action}}']).split('\n');
    assert.deepEqual(evs, ['create', 'connect', 'disconnect', 'destroy']);
    const dup = d.docker(['network', 'create', 'appnet']);
    assert.match(dup.stderr, /network with name appnet already exists/);
    const overlap = d.docker(['network', 'create', '--subnet', '10.123.0.0/25', 'overlap']);
    assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
  });

  it('keeps networks and connectivity across a daemon crash', async () => {
    await d.crash();
    await d.start();
    assert.equal(ok(['run', '--rm', '--network', 'appnet', 'busybox', 'wget', '-qO-', 'http://web/index.html']), 'hello-srv');
    assert.equal(await httpGet('127.0.0.1', 18080), 'published\n');
    ok(['rm', '-f', 'srv', 'fixed', 'roamer', 'inner', 'pub']);
    ok(['network', 'rm', 'appnet', 'sealed']);
    assert.equal(ok(['network', 'ls', '--format', '{{.Name}}']).split('\n').sort().join(','), 'bridge,host,none');
  });
});
