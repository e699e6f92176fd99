/**
 * Unit tests for `network …` and `port`: the requests they send (bodies recorded from the
 * docker CLI 28 against a recording socket), and their output, messages and exit codes from
 * canned daemon answers; plus the address, CSV and natural-order helpers behind them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ipamConfig, networkCreateBody } from '../../../src/cli/commands/network-create.js';
import { filtersArgs } from '../../../src/cli/commands/network.js';
import { portLines } from '../../../src/cli/commands/port.js';
import { formatIp, parseIp, readCsvRecord } from '../../../src/cli/commands/net-parse.js';
import { formatNetworks, goTimeFromRfc3339, naturalCompare, type NetworkSummary } from '../../../src/cli/format/networks.js';

interface Recorded {
  method: string;
  url: string;
  body: string;
}

/** A recording daemon: answers from `routes` (method + path → [status, body]), 404 otherwise. */
function recorder(routes: Record<string, [number, unknown]>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-netcli-'));
  const sock = path.join(dir, 'd.sock');
  const calls: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const url = (req.url ?? '').replace(/^\/v1\.44/, '');
      calls.push({ method: req.method ?? '', url, body });
      const hit = routes[`${req.method} ${url.split('?')[0]}`];
      const [status, answer] = hit ?? [404, { message: `network ${url.split('/')[2]} not found` }];
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(answer === undefined ? '' : JSON.stringify(answer));
    });
  });
  return {
    host: `unix://${sock}`,
    calls,
    start: () => new Promise<void>((r) => server.listen(sock, r)),
    stop: () => new Promise<void>((r) => server.close(() => (rmSync(dir, { recursive: true, force: true }), r()))),
  };
}

const MAIN = path.resolve(import.meta.dirname, '../../../src/cli/main.js');

/**
 * Runs the CLI in a child process (the test runner reports on this process's stdout, so it
 * cannot be borrowed); asynchronously, so the recording daemon in this process can answer.
 */
function run(host: string, argv: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, '-H', host, ...argv], { encoding: 'utf8' }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out, err });
    });
  });
}

const ID = 'e'.repeat(64);
const EMPTY_EP = '"MacAddress":"","DriverOpts":{},"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null';
const NETS: NetworkSummary[] = [
  { Name: 'net10', Id: 'a'.repeat(64), Created: '2026-11-22T07:14:50.960Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, Internal: false, Labels: { a: '1' } },
  { Name: 'net2', Id: 'b'.repeat(64), Created: '2026-11-22T07:14:51.155Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, Internal: true, Labels: {} },
  { Name: 'bridge', Id: 'c'.repeat(64), Created: '2026-11-22T07:14:41Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, Labels: {} },
];

describe('network verbs against a recording daemon', () => {
  const d = recorder({
    'POST /networks/create': [201, { Id: ID, Warning: '' }],
    'POST /networks/n2/connect': [200, undefined],
    'POST /networks/n2/disconnect': [200, undefined],
    'DELETE /networks/a': [204, undefined],
    'POST /networks/prune': [200, { NetworksDeleted: ['p1', 'p2'] }],
    'GET /networks': [200, NETS],
    'GET /networks/n1': [200, { Name: 'n1', Id: ID, Labels: {} }],
    'GET /containers/web/json': [200, { NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '81/tcp': null } } }],
  });
  before(() => d.start());
  after(() => d.stop());
  const last = () => d.calls[d.calls.length - 1]!;

  it('create sends docker\'s body and prints the ID', async () => {
    const r = await run(d.host, [
      'network', 'create', '--subnet', '10.9.0.0/24', '--gateway', '10.9.0.254', '--ip-range', '10.9.0.128/25', '--internal', '--attachable',
      '--label', 'a=b', '--label', 'c', '-o', 'com.docker.network.bridge.name=xx', '-o', 'mtu=1400', '-d', 'bridge', 'n2',
    ]);
    assert.deepEqual(r, { code: 0, out: `${ID}\n`, err: '' });
    assert.equal(
      last().body,
      '{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.9.0.0/24","IPRange":"10.9.0.128/25","Gateway":"10.9.0.254"}]},"Internal":true,"Attachable":true,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{"com.docker.network.bridge.name":"xx","mtu":"1400"},"Labels":{"a":"b","c":""},"Name":"n2"}',
    );
    await run(d.host, ['network', 'create', '--ipv6', '--ipv4=false', 'n5']);
    assert.match(last().body, /^\{"Driver":"bridge","Scope":"","EnableIPv4":false,"EnableIPv6":true,"IPAM":\{"Driver":"default","Options":\{\},"Config":\[\]\}/);
  });
  it('create checks the IPAM flags and labels before any request', async () => {
    const before = d.calls.length;
    assert.deepEqual(await run(d.host, ['network', 'create', '--gateway', '1.2.3.4', 'x']), { code: 1, out: '', err: 'every ip-range or gateway must have a corresponding subnet\n' });
    const label = await run(d.host, ['network', 'create', '--label', '=x', 'x']);
    assert.equal(label.code, 125);
    assert.match(label.err, /^invalid argument "=x" for "--label" flag: invalid label '=x': empty name\n\nUsage:  berth network create \[OPTIONS\] NETWORK\n/);
    assert.equal(d.calls.length, before);
  });
  it('connect and disconnect send docker\'s endpoint settings', async () => {
    await run(d.host, ['network', 'connect', '--alias', 'a1', '--alias', 'a2,a3', '--ip', '10.9.0.5', 'n2', 'ctr']);
    assert.equal(last().body, `{"Container":"ctr","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.9.0.5"},"Links":null,"Aliases":["a1","a2","a3"],${EMPTY_EP}}}`);
    await run(d.host, ['network', 'connect', 'n2', 'ctr']);
    assert.equal(last().body, `{"Container":"ctr","EndpointConfig":{"IPAMConfig":{},"Links":null,"Aliases":[],${EMPTY_EP}}}`);
    await run(d.host, ['network', 'disconnect', '-f', 'n2', 'ctr']);
    assert.equal(last().body, '{"Container":"ctr","Force":true}');
    const r = await run(d.host, ['network', 'connect', 'n2']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^berth: 'berth network connect' requires 2 arguments\n/);
  });
  it('rm goes on past a failure, then ends with docker\'s status line', async () => {
    assert.deepEqual(await run(d.host, ['network', 'rm', 'nope', 'a']), {
      code: 1,
      out: 'a\n',
      err: 'Error response from daemon: network nope not found\nexit status 1\n',
    });
    assert.deepEqual(await run(d.host, ['network', 'rm', '-f', 'nope']), { code: 0, out: '', err: '' });
  });
  it('prune -f lists what went, with docker\'s filters encoding', async () => {
    const r = await run(d.host, ['network', 'prune', '-f', '--filter', 'label=a', '--filter', 'until=1h']);
    assert.deepEqual(r, { code: 0, out: 'Deleted Networks:\np1\np2\n\n', err: '' });
    assert.equal(decodeURIComponent(last().url.split('filters=')[1]!), '{"label":{"a":true},"until":{"1h":true}}');
  });
  it('ls prints the table sorted by name, -q, and filters', async () => {
    const r = await run(d.host, ['network', 'ls', '-f', 'driver=bridge']);
    assert.equal(
      r.out,
      'NETWORK ID     NAME      DRIVER    SCOPE\ncccccccccccc   bridge    bridge    local\nbbbbbbbbbbbb   net2      bridge    local\naaaaaaaaaaaa   net10     bridge    local\n',
    );
    assert.equal(decodeURIComponent(last().url.split('filters=')[1]!), '{"driver":{"bridge":true}}');
    assert.equal((await run(d.host, ['network', 'ls', '-q', '--no-trunc'])).out, `${'c'.repeat(64)}\n${'b'.repeat(64)}\n${'a'.repeat(64)}\n`);
  });
  it('inspect prints docker\'s JSON array, and fails per missing network', async () => {
    const r = await run(d.host, ['network', 'inspect', 'n1', 'nope']);
    assert.equal(r.out, `[\n    {\n        "Name": "n1",\n        "Id": "${ID}",\n        "Labels": {}\n    }\n]\n`);
    assert.equal(r.err, 'Error response from daemon: network nope not found\n');
    assert.equal(r.code, 1);
    assert.deepEqual(await run(d.host, ['network', 'inspect', '-f', '{{.Name}}', 'n1']), { code: 0, out: 'n1\n', err: '' });
  });
  it('port lists mappings, one port, and docker\'s errors', async () => {
    assert.deepEqual(await run(d.host, ['port', 'web']), { code: 0, out: '80/tcp -> 0.0.0.0:8080\n', err: '' });
    assert.deepEqual(await run(d.host, ['container', 'port', 'web', '80']), { code: 0, out: '0.0.0.0:8080\n', err: '' });
    assert.deepEqual(await run(d.host, ['port', 'web', '81/tcp']), { code: 1, out: '', err: "Error: No public port '81/tcp' published for web\n" });
    const range = await run(d.host, ['port', 'a', 'b', 'c']);
    assert.match(range.err, /^berth: 'berth port' requires at least 1 and at most 2 arguments\n/);
  });
});

describe('network and port output', () => {
  it('renders raw, json and custom formats as docker does', () => {
    const [n10] = NETS;
    assert.equal(formatNetworks([n10!], { format: 'raw' }), `network_id: aaaaaaaaaaaa\nname: net10\ndriver: bridge\nscope: local\n\n`);
    assert.equal(
      formatNetworks([n10!], { format: 'json' }),
      '{"CreatedAt":"2026-11-22 07:14:50.96 +0000 UTC","Driver":"bridge","ID":"aaaaaaaaaaaa","IPv4":"true","IPv6":"false","Internal":"false","Labels":"a=1","Name":"net10","Scope":"local"}\n',
    );
    assert.equal(formatNetworks(NETS, { format: 'table {{.Name}}\t{{.Label "a"}}' }), 'NAME      a\nbridge    \nnet2      \nnet10     1\n');
    assert.equal(formatNetworks(NETS, { format: '{{.Name}}', quiet: true }), 'bridge\nnet2\nnet10\n');
  });
  it('prints times like Go\'s Time.String', () => {
    assert.equal(goTimeFromRfc3339('2026-11-22T07:14:41Z'), '2026-11-22 07:14:41 +0000 UTC');
    assert.equal(goTimeFromRfc3339('2026-11-22T07:14:41.123456789+02:00'), '2026-11-22 07:14:41.123456789 +0200 +0200');
  });
  it('sorts in natural order', () => {
    assert.deepEqual(['net10', 'net2', 'a', 'net02', 'net1b', 'net1'].sort(naturalCompare), ['a', 'net1', 'net1b', 'net2', 'net02', 'net10']);
  });
  it('sorts port lines naturally and joins IPv6 hosts in brackets', () => {
    const ports = { '9000/udp': [{ HostIp: '::', HostPort: '9000' }], '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }] };
    assert.deepEqual(portLines(ports, 'w'), ['80/tcp -> 0.0.0.0:8080', '80/tcp -> [::]:8080', '9000/udp -> [::]:9000']);
    assert.throws(() => portLines(ports, 'w', 'abc'), { message: 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax' });
  });
});

describe('helpers', () => {
  it('parses and prints addresses like Go\'s net package', () => {
    const norm = (s: string) => {
      const ip = parseIp(s);
      return ip && formatIp(ip);
    };
    assert.equal(norm('10.0.0.1'), '10.0.0.1');
    assert.equal(norm('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(norm('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(norm('0:0:0:0:0:0:0:0'), '::');
    assert.equal(norm('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
    assert.equal(norm('01.2.3.4'), undefined);
    assert.equal(norm('fe80::1%eth0'), undefined);
  });
  it('groups IPAM flags per subnet with docker\'s errors', () => {
    assert.deepEqual(ipamConfig(['10.1.0.0/16', '10.2.0.0/16'], [], ['10.2.0.1']), [{ Subnet: '10.1.0.0/16' }, { Subnet: '10.2.0.0/16', Gateway: '10.2.0.1' }]);
    assert.throws(() => ipamConfig(['10.0.0.0/8', '10.1.0.0/16'], [], []), { message: 'multiple overlapping subnet configuration is not supported' });
    assert.throws(() => ipamConfig(['10.0.0.0/8'], ['bad'], []), { message: 'invalid CIDR address: bad' });
    assert.throws(() => ipamConfig(['bad', '10.0.0.0/8'], [], []), { message: 'invalid subnet: invalid CIDR address: bad' });
    assert.throws(() => ipamConfig(['10.1.0.0/16'], ['10.0.0.0/24'], []), { message: 'no matching subnet for range 10.0.0.0/24' });
    assert.deepEqual(networkCreateBody('n', { driver: 'bridge', subnet: ['bad'] })['IPAM'], { Driver: 'default', Options: {}, Config: [{ Subnet: 'bad' }] });
  });
  it('reads comma lists as CSV and encodes filters as docker does', () => {
    assert.deepEqual(readCsvRecord('a,"b,c",d'), ['a', 'b,c', 'd']);
    assert.equal(filtersArgs(['name=b', 'name=a', 'driver=bridge']), '{"driver":{"bridge":true},"name":{"a":true,"b":true}}');
  });
});
