/**
 * Unit tests for the networking flags of `run`/`create`: the real command definitions parse
 * argv, and the networking part of the create body must be what docker 28 sends for the same
 * flags (the expected values were recorded from the docker CLI against a recording socket),
 * with docker's errors and exit codes for bad values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram, main } from '../../../src/cli/main.js';
import { buildCreateBody, type ContainerFlags } from '../../../src/cli/commands/container-opts.js';
import { endpointSettings, localhostDnsWarning } from '../../../src/cli/commands/container-net.js';

/** The networking fields of the body `berth create ARGS busybox` builds. */
async function netBody(args: string[]): Promise<Record<string, unknown>> {
  const program = buildProgram();
  let got: Record<string, unknown> | undefined;
  const cmd = program.commands.find((c) => c.name() === 'create') as Command;
  cmd.action((operands: string[], flags: ContainerFlags) => {
    const b = buildCreateBody(flags, operands[0]!, operands.slice(1), { env: {} });
    const h = b.HostConfig;
    got = {
      Hostname: b.Hostname, Domainname: b.Domainname, ExposedPorts: b.ExposedPorts, PortBindings: h.PortBindings,
      PublishAllPorts: h.PublishAllPorts, NetworkMode: h.NetworkMode, Dns: h.Dns, DnsOptions: h.DnsOptions,
      DnsSearch: h.DnsSearch, ExtraHosts: h.ExtraHosts, EndpointsConfig: b.NetworkingConfig.EndpointsConfig,
    };
  });
  await program.parseAsync(['create', ...args, 'busybox'], { from: 'user' });
  assert.ok(got, 'action ran');
  return got;
}

/** The fields docker sends when no networking flag is given. */
const BASE = {
  Hostname: '', Domainname: '', ExposedPorts: undefined, PortBindings: {}, PublishAllPorts: false, NetworkMode: 'default',
  Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, EndpointsConfig: { default: endpointSettings() },
};

async function runMain(argv: string[]): Promise<{ code: number | undefined; err: string }> {
  let err = '';
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string | Uint8Array) => ((err += c.toString()), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), err };
  } finally {
    process.stderr.write = orig;
  }
}

describe('-p, -P and --expose → ExposedPorts and PortBindings (as docker sends them)', () => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [['-p', '8080:80'], { ExposedPorts: { '80/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } }],
    [['-p', '127.0.0.1:8080:80'], { ExposedPorts: { '80/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] } }],
    [['-p', ':80'], { ExposedPorts: { '80/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] } }],
    [['-p', '80'], { ExposedPorts: { '80/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] } }],
    [['-p', '53:53/udp'], { ExposedPorts: { '53/udp': {} }, PortBindings: { '53/udp': [{ HostIp: '', HostPort: '53' }] } }],
    [['-p', '127.0.0.1::80'], { ExposedPorts: { '80/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } }],
    [
      ['-p', '8000-8001:80-81'],
      { ExposedPorts: { '80/tcp': {}, '81/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }] } },
    ],
    [['-p', '8000-8002:80'], { ExposedPorts: { '80/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8000-8002' }] } }],
    [
      ['-p', '8080:80', '-p', '8081:80', '-p', '9090:90/udp'],
      {
        ExposedPorts: { '80/tcp': {}, '90/udp': {} },
        PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '', HostPort: '8081' }], '90/udp': [{ HostIp: '', HostPort: '9090' }] },
      },
    ],
    [['-p', 'published=8080,target=80'], { ExposedPorts: { '80/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } }],
    [['-p', 'target=80,protocol=udp'], { ExposedPorts: { '80/udp': {} }, PortBindings: { '80/udp': [{ HostIp: '', HostPort: '' }] } }],
    [['-p', '8080:80/TCP'], { ExposedPorts: { '80/tcp': {} }, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } }],
    [['-P', '--expose', '80', '--expose', '90-91/udp'], { ExposedPorts: { '80/tcp': {}, '90/udp': {}, '91/udp': {} }, PublishAllPorts: true }],
    [['--expose', '80/xyz'], { ExposedPorts: { '80/xyz': {} } }],
  ];
  for (const [args, want] of cases) {
    it(args.join(' '), async () => assert.deepEqual(await netBody(args), { ...BASE, ...want }));
  }
  it('orders map keys as Go encodes them', async () => {
    const b = await netBody(['-p', '1000:1000', '-p', '80:80', '-p', '9:9']);
    assert.deepEqual(Object.keys(b.ExposedPorts as object), ['1000/tcp', '80/tcp', '9/tcp']);
  });
  it('rejects bad values with docker wording, exit 125', async () => {
    const cases: Array<[string[], string]> = [
      [['--expose', 'abc'], 'invalid range format for --expose: abc, error: strconv.ParseUint: parsing "abc": invalid syntax'],
      [['--expose', '90-80'], 'invalid range format for --expose: 90-80, error: invalid range specified for port: 90-80'],
      [['--expose', '80:80'], 'invalid port format for --expose: 80:80'],
      [['-p', 'published=8080'], 'no port specified: 8080:/tcp<empty>'],
      [['-p', '=x'], "invalid publish opts format (should be name=value but got '=x')"],
      [['--network-alias', 'web'], 'network-scoped aliases are only supported for user-defined networks'],
      [['--network', 'a', '--network', 'a'], 'network "a" is specified multiple times'],
      [['--network', 'a', '--network', 'bridge'], 'conflicting options: cannot attach both user-defined and non-user-defined network-modes'],
      [['--network', 'name=a,alias=x', '--network-alias', 'y'], 'conflicting options: cannot specify both --network-alias and per-network alias'],
    ];
    for (const [args, message] of cases) {
      const r = await runMain(['create', ...args, 'busybox']);
      assert.equal(r.code, 125, args.join(' '));
      assert.equal(r.err, `berth: ${message}\n\nRun 'berth create --help' for more information\n`);
    }
  });
});

describe('--network, --network-alias, --ip, --dns*, --add-host, --hostname, --domainname', () => {
  it('puts aliases and the address under the network name', async () => {
    assert.deepEqual(await netBody(['--network', 'mynet', '--network-alias', 'web', '--network-alias', 'w2', '--ip', '10.5.0.9']), {
      ...BASE,
      NetworkMode: 'mynet',
      EndpointsConfig: { mynet: endpointSettings({ IPAMConfig: { IPv4Address: '10.5.0.9' }, Aliases: ['web', 'w2'] }) },
    });
    assert.deepEqual((await netBody(['--network', 'bridge', '--ip', '10.0.0.2'])).EndpointsConfig, {
      bridge: endpointSettings({ IPAMConfig: { IPv4Address: '10.0.0.2' } }),
    });
    assert.deepEqual((await netBody(['--net', 'mynet', '--net-alias', 'q'])).EndpointsConfig, { mynet: endpointSettings({ Aliases: ['q'] }) });
  });
  it('leaves a lone network without settings out, lists every further one', async () => {
    for (const mode of ['mynet', 'none', 'host', 'container:abc']) {
      assert.deepEqual(await netBody(['--network', mode]), { ...BASE, NetworkMode: mode, EndpointsConfig: {} });
    }
    assert.deepEqual((await netBody(['--network', 'mynet', '--network', 'other'])).EndpointsConfig, {
      mynet: endpointSettings(),
      other: endpointSettings(),
    });
  });
  it('reads the name=…,alias=…,ip=… form, lower-cased as docker does', async () => {
    assert.deepEqual((await netBody(['--network', 'name=MyNet,Alias=A1,ip=10.1.0.3'])).EndpointsConfig, {
      mynet: endpointSettings({ IPAMConfig: { IPv4Address: '10.1.0.3' }, Aliases: ['a1'] }),
    });
    assert.deepEqual((await netBody(['--network', 'name=n,driver-opt=k=v,gw-priority=5'])).EndpointsConfig, {
      n: endpointSettings({ DriverOpts: { k: 'v' }, GwPriority: 5 }),
    });
  });
  it('sends DNS settings, normalized addresses, and extra hosts as name:ip', async () => {
    const b = await netBody([
      '--dns', '1.1.1.1', '--dns', '::ffff:1.2.3.4', '--dns', '2001:DB8:0:0:0:0:0:1', '--dns', '1:0:0:2:0:0:0:3', '--dns', '::1.2.3.4',
      '--dns-search', 'example.com. ', '--dns-search', '.', '--dns-option', 'ndots:2', '--dns-opt', 'timeout:1',
      '--add-host', 'db:10.0.0.5', '--add-host', 'gw:host-gateway', '--add-host', 'a=1.2.3.4', '--add-host', 'x:[::1]',
      '-h', 'h1', '--domainname', 'example.org',
    ]);
    assert.deepEqual(b.Dns, ['1.1.1.1', '1.2.3.4', '2001:db8::1', '1:0:0:2::3', '::102:304']);
    assert.deepEqual(b.DnsSearch, ['example.com', '.']);
    assert.deepEqual(b.DnsOptions, ['ndots:2', 'timeout:1']);
    assert.deepEqual(b.ExtraHosts, ['db:10.0.0.5', 'gw:host-gateway', 'a:1.2.3.4', 'x:::1']);
    assert.equal(b.Hostname, 'h1');
    assert.equal(b.Domainname, 'example.org');
  });
  it('rejects bad values while parsing flags, as pflag does', async () => {
    const cases: Array<[string[], string]> = [
      [['--dns', 'notanip'], 'invalid argument "notanip" for "--dns" flag: IP address is not correctly formatted: notanip'],
      [['--add-host', 'bad'], 'invalid argument "bad" for "--add-host" flag: bad format for add-host: "bad"'],
      [['--add-host', 'x:notip'], 'invalid argument "x:notip" for "--add-host" flag: invalid IP address in add-host: "notip"'],
      [['--add-host', '[::1]:x'], 'invalid argument "[::1]:x" for "--add-host" flag: invalid IP address in add-host: ":1]:x"'],
      [['--dns-search', 'bad..x'], 'invalid argument "bad..x" for "--dns-search" flag: bad..x is not a valid domain'],
      [['--dns-search', '123'], 'invalid argument "123" for "--dns-search" flag: 123 is not a valid domain'],
      [['--network', 'name=n,foo=bar'], 'invalid argument "name=n,foo=bar" for "--network" flag: invalid field key foo'],
      [['--network', 'alias=x'], 'invalid argument "alias=x" for "--network" flag: network name/id is not specified'],
    ];
    for (const [args, message] of cases) {
      const r = await runMain(['run', ...args, 'busybox']);
      assert.equal(r.code, 125, args.join(' '));
      assert.equal(r.err, `${message}\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n`);
    }
  });
  it('warns about a loopback DNS server as the docker client does', () => {
    assert.equal(localhostDnsWarning(['1.1.1.1', '127.0.0.53']), 'Localhost DNS (127.0.0.53) may fail in containers.');
    assert.equal(localhostDnsWarning(['::1']), 'Localhost DNS (::1) may fail in containers.');
    assert.equal(localhostDnsWarning(['8.8.8.8']), undefined);
  });
});
