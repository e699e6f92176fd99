/**
 * The `berth` CLI's networking verbs against a real daemon, side by side with the docker
 * CLI 28 on the same daemon: both read the same API answers, so their stdout, stderr and exit
 * codes must be identical — `network create/ls/inspect/rm/prune/connect/disconnect`, `port`
 * and `ps`'s PORTS column; the create bodies of both CLIs must give identical containers; and
 * `--dns`, `--add-host`, `--hostname` must show in the container's /etc files.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { REPO, TestDaemon, type Result } from './harness.js';

/** Output with the CLI's own name masked, so docker's and berth's messages compare. */
function masked(r: Result): Result {
  const mask = (s: string) => s.replace(/docker|berth/g, 'CLI');
  return { code: r.code, stdout: mask(r.stdout), stderr: mask(r.stderr) };
}

describe('berth network/port/ps against berth, compared with docker', () => {
  const d = new TestDaemon('netcli');
  const createdNets: string[] = [];
  let tag = '';
  before(async () => {
    await d.start();
    tag = (JSON.parse(fs.readFileSync(path.join(d.dataRoot, 'engine-id.json'), 'utf8')) as { id: string }).id.slice(0, 8);
  });
  after(async () => {
    await d.stop();
    // Every bridge and isolation rule of this daemon is gone with it.
    const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
    for (const name of [`bb-${tag}`, ...createdNets.map((id) => `br-${id.slice(0, 12)}`)]) assert.ok(!links.includes(` ${name}:`), `${name} left behind`);
    const rules = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout;
    assert.ok(!rules.includes(tag), 'iptables rules left behind');
  });

  /** Runs `args` with both CLIs and asserts identical results; returns berth's. */
  const same = (args: string[], input?: string): Result => {
    const b = d.berth(args, input);
    assert.deepEqual(masked(b), masked(d.docker(args, input)), `berth ${args.join(' ')}`);
    return b;
  };
  const berthOk = (args: string[]): string => {
    const r = d.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  it('creates networks as docker does and lists them alike', () => {
    const id = berthOk(['network', 'create', '--subnet', '10.231.0.0/24', '--gateway', '10.231.0.254', '--ip-range', '10.231.0.128/25', '--label', 'team=a', 'net10']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    createdNets.push(id);
    createdNets.push(berthOk(['network', 'create', '--internal', 'net2']).trim());
    const viaDocker = d.docker(['network', 'create', '--attachable', '-o', 'com.docker.network.driver.mtu=1400', 'net1']);
    assert.equal(viaDocker.code, 0, viaDocker.stderr);
    createdNets.push(viaDocker.stdout.trim());
    const ls = same(['network', 'ls']);
    assert.match(ls.stdout, /^NETWORK ID {5}NAME {6}DRIVER {4}SCOPE\n[0-9a-f]{12} {3}bridge {4}bridge {4}local\n/);
    assert.deepEqual(ls.stdout.split('\n').slice(1, -1).map((l) => l.split(/\s+/)[1]), ['bridge', 'host', 'net1', 'net2', 'net10', 'none']);
    for (const args of [
      ['-q'], ['--no-trunc'], ['--format', 'json'], ['--format', 'raw'], ['-q', '--format', '{{.Name}}'],
      ['--format', 'table {{.Name}}\t{{.Internal}}\t{{.IPv4}}\t{{.IPv6}}\t{{.Labels}}\t{{.CreatedAt}}\t{{.Label "team"}}'],
      ['-f', 'name=net1'], ['-f', 'driver=bridge', '-q'], ['-f', 'type=custom'], ['-f', 'label=team=a'], ['-f', 'bad'], ['--format', '{{.Nope}}'],
    ]) {
      same(['network', 'ls', ...args]);
    }
    // The daemon's own refusals reach both CLIs' users in the same words.
    for (const args of [['net2'], ['bridge'], ['-d', 'overlay', 'x'], ['--subnet', '10.231.0.0/24', 'x'], ['--subnet', '10.232.0.0/24', '--gateway', '10.1.0.1', 'x']]) {
      assert.equal(same(['network', 'create', ...args]).code, 1);
    }
    // And the client's own checks.
    for (const args of [['--gateway', '1.2.3.4', 'x'], ['--subnet', '10.0.0.0/8', '--subnet', '10.1.0.0/16', 'x'], ['--label', '=x', 'x'], []]) {
      assert.notEqual(same(['network', 'create', ...args]).code, 0);
    }
  });

  it('inspects networks like docker', () => {
    same(['network', 'inspect', 'net10']);
    same(['network', 'inspect', 'net10', 'bridge']);
    same(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Internal}} {{.Labels}}', 'net10', 'net2']);
    same(['network', 'inspect', '-f', 'json', 'net2']);
    assert.equal(same(['network', 'inspect', 'net1', 'nope', 'net2']).code, 1);
    assert.equal(same(['network', 'inspect', '-f', '{{.Bogus', 'net10']).code, 64);
  });

  it('connects and disconnects with aliases and addresses', () => {
    berthOk(['run', '-d', '--name', 'srv', '--network', 'net10', '--network-alias', 'api', '--ip', '10.231.0.140', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    berthOk(['run', '-d', '--name', 'cli', 'busybox', 'sleep', '1000']);
    berthOk(['network', 'connect', '--alias', 'c1', '--alias', 'c2', '--ip', '10.231.0.150', 'net10', 'cli']);
    assert.equal(berthOk(['inspect', '-f', '{{json .NetworkSettings.Networks.net10.Aliases}} {{.NetworkSettings.Networks.net10.IPAddress}}', 'cli']), '["c1","c2"] 10.231.0.150\n');
    assert.equal(berthOk(['inspect', '-f', '{{.NetworkSettings.Networks.net10.IPAddress}}', 'srv']), '10.231.0.140\n');
    // Name and alias resolution through the network's DNS, both ways.
    assert.equal(berthOk(['exec', 'cli', 'wget', '-qO-', 'http://api/hostname']), `${berthOk(['inspect', '-f', '{{.Config.Hostname}}', 'srv'])}`);
    assert.equal(berthOk(['exec', 'srv', 'ping', '-c', '1', '-W', '2', 'c2']).includes('10.231.0.150'), true);
    for (const args of [['connect', 'net10', 'cli'], ['connect', 'nope', 'cli'], ['connect', 'net10', 'nope'], ['disconnect', 'net2', 'cli'], ['disconnect', 'host', 'cli'], ['connect', 'net10']]) {
      assert.equal(same(['network', ...args]).code, 1);
    }
    assert.equal(d.berth(['network', 'disconnect', 'net10', 'cli']).code, 0);
    assert.equal(berthOk(['ps', '--filter', 'name=cli', '--format', '{{.Networks}}']), 'bridge\n');
    // Off the network, srv is out of reach (nc -w: busybox wget's own timeout crashes).
    assert.notEqual(d.berth(['exec', 'cli', 'nc', '-w', '2', '10.231.0.140', '80']).code, 0);
    assert.equal(d.docker(['network', 'connect', 'net10', 'cli']).code, 0);
    // docker lists a container's networks in Go map order (random); berth sorts them.
    const sorted = (out: string) => out.split('\n').map((l) => l.replace(/ (.*)$/, (_, n: string) => ` ${n.split(',').sort().join(',')}`)).join('\n');
    const b = berthOk(['ps', '--format', '{{.Names}} {{.Networks}}']);
    assert.equal(b, 'cli bridge,net10\nsrv net10\n');
    assert.equal(sorted(d.docker(['ps', '--format', '{{.Names}} {{.Networks}}']).stdout), b);
  });

  it('removes and prunes networks with docker\'s messages', () => {
    assert.equal(same(['network', 'rm', 'nope']).code, 1);
    assert.equal(same(['network', 'rm', '-f', 'nope']).code, 0);
    assert.equal(same(['network', 'rm', 'bridge', 'nope']).code, 1);
    // In use: refused, the others still go.
    const inUse = d.berth(['network', 'rm', 'net10', 'net2']);
    assert.equal(inUse.code, 1);
    assert.equal(inUse.stdout, 'net2\n');
    assert.match(inUse.stderr, /^Error response from daemon: error while removing network: network net10 id [0-9a-f]{64} has active endpoints\nexit status 1\n$/);
    // A declined prompt changes nothing.
    same(['network', 'prune'], 'n\n');
    berthOk(['network', 'rm', 'net1']);
    const prunes: Result[] = [];
    for (const cli of ['docker', 'berth'] as const) {
      for (const n of ['p2', 'p1']) createdNets.push(berthOk(['network', 'create', n]).trim());
      prunes.push(masked(cli === 'docker' ? d.docker(['network', 'prune'], 'y\n') : d.berth(['network', 'prune'], 'y\n')));
    }
    assert.deepEqual(prunes[1], prunes[0]);
    assert.match(prunes[0]!.stdout, /^WARNING! This will remove all custom networks not used by at least one container\.\nAre you sure you want to continue\? \[y\/N\] Deleted Networks:\n(p[12]\n){2}\n$/);
    assert.deepEqual(same(['network', 'prune', '-f']), { code: 0, stdout: '', stderr: '' });
  });

  it('publishes ports in every -p form, and port/ps print them like docker', () => {
    const flags = ['-p', '8080:80', '-p', '127.0.0.1::81', '-p', ':82', '-p', '9000-9001:9000-9001/udp', '-p', '127.0.0.1:8100-8102:83', '--expose', '7000-7002', '--expose', '5000/udp'];
    berthOk(['run', '-d', '--name', 'web', ...flags, 'busybox', 'sleep', '1000']);
    for (const args of [[], ['80'], ['80/tcp'], ['81'], ['9000/udp'], ['82/udp'], ['83'], ['7000'], ['abc'], ['70000']]) same(['port', 'web', ...args]);
    same(['container', 'port', 'web']);
    assert.equal(same(['port', 'nope']).code, 1);
    assert.equal(same(['port']).code, 1);
    assert.equal(same(['port', 'web', '81/tcp', 'x']).code, 1);
    assert.match(d.berth(['port', 'web', '80']).stdout, /^0\.0\.0\.0:8080\n$/);
    assert.match(d.berth(['port', 'web', '7000']).stderr, /^Error: No public port '7000' published for web\n$/);
    const ports = same(['ps', '--filter', 'name=web', '--format', '{{.Ports}}']).stdout;
    assert.match(ports, /^5000\/udp, 7000-7002\/tcp, 0\.0\.0\.0:9000-9001->9000-9001\/udp, 0\.0\.0\.0:8080->80\/tcp, 127\.0\.0\.1:\d+->81\/tcp, 0\.0\.0\.0:\d+->82\/tcp, 127\.0\.0\.1:810[0-2]->83\/tcp\n$/);
    // (CREATED and STATUS tick between the two runs, so the table leaves them out.)
    const table = ['--format', 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Ports}}\t{{.Names}}'];
    same(['ps', ...table]);
    // -P gives the exposed ports host ports; ps shows the same line to both.
    berthOk(['run', '-d', '--name', 'all', '-P', '--expose', '80', '--expose', '90-91/udp', 'busybox', 'sleep', '1000']);
    same(['port', 'all']);
    same(['ps', '-a', '--no-trunc', ...table]);
    // The published port answers from the host.
    berthOk(['run', '-d', '--name', 'hp', '-p', '127.0.0.1:18080:80', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    const probe = spawnSync('bash', ['-c', 'for i in 1 2 3 4 5; do exec 3<>/dev/tcp/127.0.0.1/18080 && printf "GET /hostname HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3 && exit 0; sleep 1; done; exit 1'], { encoding: 'utf8', timeout: 20_000 });
    assert.match(probe.stdout ?? '', /200 OK/);
    for (const n of ['web', 'all', 'hp']) berthOk(['rm', '-f', n]);
  });

  it('sends the same create request as docker for the networking flags', () => {
    const flags = [
      '-p', '8081:80', '-p', '127.0.0.1::81', '-p', '9100-9101:90-91/udp', '--expose', '7000', '-h', 'h1', '--domainname', 'example.org',
      '--dns', '10.0.0.53', '--dns-search', 'example.org.', '--dns-option', 'ndots:2', '--add-host', 'db=10.0.0.5', '--add-host', 'gw:host-gateway',
    ];
    berthOk(['create', '--name', 'byb', ...flags, 'busybox']);
    assert.equal(d.docker(['create', '--name', 'byd', ...flags, 'busybox']).code, 0);
    const fields = '{{json .Config.ExposedPorts}} {{json .HostConfig.PortBindings}} {{.Config.Hostname}} {{.Config.Domainname}} {{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}} {{json .HostConfig.ExtraHosts}} {{.HostConfig.NetworkMode}}';
    assert.equal(berthOk(['inspect', '-f', fields, 'byb']), berthOk(['inspect', '-f', fields, 'byd']));
    const user = ['--network', 'net10', '--network-alias', 'x1', '--ip', '10.231.0.160'];
    berthOk(['create', '--name', 'nb', ...user, 'busybox']);
    assert.equal(d.docker(['create', '--name', 'nd', ...user.slice(0, 4), 'busybox']).code, 0);
    const ep = '{{.HostConfig.NetworkMode}} {{json .NetworkSettings.Networks.net10.Aliases}} {{json .NetworkSettings.Networks.net10.IPAMConfig}}';
    assert.equal(berthOk(['inspect', '-f', ep, 'nb']), 'net10 ["x1"] {"IPv4Address":"10.231.0.160"}\n');
    assert.equal(berthOk(['inspect', '-f', ep, 'nd']), 'net10 ["x1"] null\n');
    // Flag errors: same words, same exit codes.
    for (const bad of [['--dns', 'notanip'], ['--add-host', 'bad'], ['--dns-search', 'bad..x'], ['--network-alias', 'web'], ['--expose', 'abc'], ['-p', 'published=8080'], ['--network', 'name=n,foo=bar']]) {
      assert.equal(same(['create', ...bad, 'busybox']).code, 125);
    }
    for (const n of ['byb', 'byd', 'nb', 'nd']) berthOk(['rm', n]);
  });

  it('writes --dns, --add-host, --hostname into the container\'s /etc files', () => {
    const flags = [
      '--rm', '--dns', '10.0.0.53', '--dns', '10.0.0.54', '--dns-search', 'example.com', '--dns-option', 'ndots:2', '--add-host', 'db:10.0.0.5',
      '--add-host', 'gw:host-gateway', '--add-host', 'v6:::1', '--hostname', 'h1', '--domainname', 'example.org', 'busybox',
      'sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; hostname',
    ];
    const out = berthOk(['run', ...flags]);
    const [resolv, hosts, hostname] = out.split('---\n');
    assert.equal(resolv, 'nameserver 10.0.0.53\nnameserver 10.0.0.54\nsearch example.com\noptions ndots:2\n');
    const gateway = berthOk(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', 'bridge']).trim();
    assert.match(hosts!, new RegExp(`^127\\.0\\.0\\.1\\tlocalhost\\n(.*\\n)*10\\.0\\.0\\.5\\tdb\\n${gateway.replace(/\./g, '\\.')}\\tgw\\n::1\\tv6\\n\\d+\\.\\d+\\.\\d+\\.\\d+\\th1\\.example\\.org h1\\n$`));
    assert.equal(hostname, 'h1\n');
    // The docker CLI's request has the same effect.
    const viaDocker = d.docker(['run', ...flags]);
    assert.equal(viaDocker.code, 0, viaDocker.stderr);
    assert.equal(viaDocker.stdout.replace(/\n[\d.]+\th1/, '\nIP\th1'), out.replace(/\n[\d.]+\th1/, '\nIP\th1'));
    // A loopback server draws the docker client's warning from both CLIs.
    const warnings = [d.berth(['create', '--name', 'lo1', '--dns', '127.0.0.53', 'busybox']), d.docker(['create', '--name', 'lo2', '--dns', '127.0.0.53', 'busybox'])];
    for (const w of warnings) assert.equal(w.stderr, 'WARNING: Localhost DNS (127.0.0.53) may fail in containers.\n');
    berthOk(['rm', 'lo1', 'lo2']);
  });

  it('forwards a user-network container\'s other lookups to its own --dns server', async () => {
    // A stand-in upstream resolver on the default bridge's gateway, reachable from containers.
    const gateway = berthOk(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', 'bridge']).trim();
    const sock = dgram.createSocket('udp4');
    sock.on('message', (m, r) => {
      const q = packet.decode(m);
      const answers = [{ type: 'A' as const, name: q.questions![0]!.name, data: '192.0.2.77' }];
      sock.send(packet.encode({ id: q.id, type: 'response', flags: packet.RECURSION_AVAILABLE, questions: q.questions, answers }), r.port, r.address);
    });
    await new Promise<void>((resolve) => sock.bind(53, gateway, resolve));
    try {
      // Asynchronous, so this process keeps answering queries meanwhile.
      const run = (args: string[]) =>
        new Promise<string>((resolve) => {
          const p = spawn(process.execPath, [path.join(REPO, 'dist/src/cli/main.js'), ...args], { env: { ...process.env, BERTH_HOST: d.host } });
          let out = '';
          p.stdout.on('data', (c: Buffer) => (out += c.toString()));
          p.on('close', () => resolve(out));
        });
      const resolv = await run(['run', '--rm', '--network', 'net10', '--dns', gateway, 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; nslookup example.test']);
      assert.match(resolv, /^nameserver 10\.231\.0\.254\n/);
      assert.match(resolv, /Name:\s+example\.test\nAddress: 192\.0\.2\.77\n/);
    } finally {
      sock.close();
    }
  });
});
