/** Pure parts of networking: CIDR arithmetic, the CNI configuration, /etc files, port allocation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkList } from '../../../src/engine/network/conflist.js';
import { hostsFile, resolvConf } from '../../../src/engine/network/etc.js';
import { contains, formatCidr, nthHost, overlaps, parseCidr } from '../../../src/engine/network/ipnet.js';
import { allocatePorts } from '../../../src/engine/network/ports.js';
import type { NetworkRecord } from '../../../src/engine/network/record.js';

describe('ipnet', () => {
  it('normalizes, compares and indexes subnets', () => {
    assert.equal(formatCidr(parseCidr('10.1.2.3/16')), '10.1.0.0/16');
    assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.200.0.0/16')));
    assert.ok(!overlaps(parseCidr('172.17.0.0/16'), parseCidr('172.18.0.0/16')));
    assert.ok(contains(parseCidr('192.168.16.0/20'), '192.168.31.255'));
    assert.ok(!contains(parseCidr('192.168.16.0/20'), '192.168.32.0'));
    assert.equal(nthHost(parseCidr('172.20.0.0/16'), 1), '172.20.0.1');
    assert.throws(() => parseCidr('10.0.0.0/33'), /invalid CIDR address/);
    assert.throws(() => parseCidr('300.0.0.0/8'), /invalid IP address/);
  });
});

const net = (over: Partial<NetworkRecord> = {}): NetworkRecord => ({
  Name: 'appnet', Id: 'a'.repeat(64), Created: '', Scope: 'local', Driver: 'bridge', EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.1', IPRange: '10.9.0.128/25' }] },
  Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: {},
  BridgeName: 'br-aaaaaaaaaaaa', ...over,
});

describe('CNI configuration', () => {
  it('uses the bridge plugin with host-local leases under the data root; portmap only with ports', () => {
    const list = networkList(net(), '/data');
    assert.deepEqual(list.plugins.map((p) => p.type), ['bridge']);
    const ipam = list.plugins[0]!.ipam as { dataDir: string; ranges: Array<Array<Record<string, string>>>; routes: unknown[] };
    assert.equal(ipam.dataDir, '/data/network/ipam');
    assert.deepEqual(ipam.ranges[0]![0], { subnet: '10.9.0.0/24', gateway: '10.9.0.1', rangeStart: '10.9.0.129', rangeEnd: '10.9.0.254' });
    assert.deepEqual(ipam.routes, [{ dst: '0.0.0.0/0' }]);
    assert.deepEqual(networkList(net(), '/data', true).plugins.map((p) => p.type), ['bridge', 'portmap']);
  });
  it('gives an internal network no default route', () => {
    const ipam = networkList(net({ Internal: true }), '/d').plugins[0]!.ipam as { routes: unknown[] };
    assert.deepEqual(ipam.routes, []);
  });
});

describe('/etc files', () => {
  const base = { hostname: 'abc123', addresses: ['172.17.0.2'], extraHosts: [{ name: 'db', ip: '10.0.0.5' }] };
  it('lists localhost, extra hosts and the container itself', () => {
    const h = hostsFile(base);
    assert.match(h, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(h, /^10\.0\.0\.5\tdb$/m);
    assert.match(h, /^172\.17\.0\.2\tabc123\n$/m);
  });
  it("takes the host's resolvers except loopback ones, or the embedded server, or --dns", () => {
    const host = 'nameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch corp.example\noptions ndots:2\n';
    assert.equal(resolvConf(base, host), 'nameserver 10.1.1.1\nsearch corp.example\noptions ndots:2\n');
    assert.equal(resolvConf({ ...base, embeddedDns: '10.9.0.1' }, host), 'nameserver 10.9.0.1\nsearch corp.example\noptions ndots:2\n');
    assert.equal(resolvConf({ ...base, dns: ['9.9.9.9'], dnsSearch: ['a.b'], dnsOptions: ['rotate'] }, host), 'nameserver 9.9.9.9\nsearch a.b\noptions rotate\n');
    assert.equal(resolvConf(base, 'nameserver 127.0.0.1\n'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });
});

describe('published ports', () => {
  it('keeps given ports, picks ephemeral ones, lists exposed-only ports as null', async () => {
    const { mappings, ports } = await allocatePorts({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '53/udp': [{ HostPort: '' }] }, { '81/tcp': {} }, false, []);
    assert.equal(mappings.length, 2);
    assert.ok(mappings.every((m) => m.hostPort > 0));
    assert.equal(ports['81/tcp'], null);
    assert.equal(ports['80/tcp']![0]!.HostIp, '127.0.0.1');
    assert.equal(ports['53/udp']![0]!.HostIp, '0.0.0.0');
  });
  it('refuses a port another container holds, with Docker words', async () => {
    const held = [{ hostPort: 18555, containerPort: 80, protocol: 'tcp' as const, hostIP: '0.0.0.0' }];
    await assert.rejects(allocatePorts({ '80/tcp': [{ HostPort: '18555' }] }, {}, false, held), /Bind for 0\.0\.0\.0:18555 failed: port is already allocated/);
    // The same port number over UDP is free.
    const udp = await allocatePorts({ '80/udp': [{ HostPort: '18555' }] }, {}, false, held);
    assert.equal(udp.mappings[0]!.hostPort, 18555);
  });
  it('publishes every exposed port with -P, and the first free port of a range', async () => {
    const all = await allocatePorts({}, { '80/tcp': {}, '443/tcp': {} }, true, []);
    assert.deepEqual(Object.keys(all.ports).sort(), ['443/tcp', '80/tcp']);
    const held = [{ hostPort: 18600, containerPort: 1, protocol: 'tcp' as const, hostIP: '0.0.0.0' }];
    const r = await allocatePorts({ '80/tcp': [{ HostPort: '18600-18602' }] }, {}, false, held);
    assert.equal(r.mappings[0]!.hostPort, 18601);
    await assert.rejects(allocatePorts({ '80/tcp': [{ HostPort: 'x' }] }, {}, false, []), /invalid port specification/);
  });
});
