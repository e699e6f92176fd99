/**
 * Unit tests for the volume side of the CLI: `-v`/`--mount`/`--tmpfs`/`--volumes-from` in the
 * create body (compared with what the docker 28 CLI sends, recorded through a proxy), and the
 * `volume` verbs' requests and output against a recording stand-in for the daemon.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/main.js';
import { buildCreateBody, type ContainerFlags } from '../../../src/cli/commands/container-opts.js';
import { parseMountFlag, parseVolumeSpec } from '../../../src/cli/commands/mount-opts.js';
import { formatVolumes, naturalLess } from '../../../src/cli/format/volumes.js';

async function flagsOf(argv: string[]): Promise<ContainerFlags> {
  const program = buildProgram();
  let got: ContainerFlags | undefined;
  (program.commands.find((c) => c.name() === argv[0]) as Command).action((_ops: string[], flags: ContainerFlags) => {
    got = flags;
  });
  await program.parseAsync(argv, { from: 'user' });
  return got!;
}

const MAIN = path.resolve(import.meta.dirname, '../../../src/cli/main.js');

/** Runs the CLI as its own process (the recording daemon below lives in this one). */
function runCli(argv: string[], env: Record<string, string>): Promise<{ code: number | undefined; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...argv], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code as number) : 0, out: stdout, err: stderr });
    });
  });
}

describe('-v specs (loader.ParseVolume)', () => {
  it('tells volumes, binds and anonymous volumes apart like docker', () => {
    assert.deepEqual(parseVolumeSpec('/anon'), { type: 'volume', source: '', target: '/anon', readOnly: false });
    assert.deepEqual(parseVolumeSpec('data:/d:ro'), { type: 'volume', source: 'data', target: '/d', readOnly: true });
    assert.deepEqual(parseVolumeSpec('./rel:/r'), { type: 'bind', source: './rel', target: '/r', readOnly: false });
    // A one-letter part before a colon is a Windows drive to the docker CLI.
    assert.deepEqual(parseVolumeSpec('a:b:c:d'), { type: 'bind', source: 'a:b', target: 'c:d', readOnly: false });
    assert.throws(() => parseVolumeSpec(':/x'), { message: 'invalid spec: :/x: empty section between colons' });
    assert.throws(() => parseVolumeSpec('/a:/b:ro:x'), { message: 'invalid spec: /a:/b:ro:x: too many colons' });
  });
  it('parses --mount CSV fields like opts.MountOpt', () => {
    assert.deepEqual(parseMountFlag('type=volume,src=v3,dst=/m3,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs'), {
      Type: 'volume', Source: 'v3', Target: '/m3', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Options: { type: 'tmpfs' } } },
    });
    assert.deepEqual(parseMountFlag('type=tmpfs,dst=/t3,tmpfs-size=1m,tmpfs-mode=700,ro'), { Type: 'tmpfs', Target: '/t3', ReadOnly: true, TmpfsOptions: { SizeBytes: 1048576, Mode: 448 } });
    assert.deepEqual(parseMountFlag('"type=volume","volume-opt=o=size=1m,uid=1",target=/x').VolumeOptions?.DriverConfig.Options, { o: 'size=1m,uid=1' });
    assert.throws(() => parseMountFlag('type=volume,target=/x,bind-propagation=shared'), { message: "cannot mix 'bind-*' options with mount type 'volume'" });
    assert.throws(() => parseMountFlag('type=bind'), { message: 'target is required' });
    assert.throws(() => parseMountFlag('type=bind,target=/x,color=red'), { message: "unexpected key 'color' in 'color=red'" });
    assert.throws(() => parseMountFlag('type=tmpfs,target=/x,tmpfs-mode=9'), { message: 'invalid value for tmpfs-mode: 9' });
  });
  it('builds the mount part of the create body docker sends', async () => {
    const argv = [
      'create', '-v', 'v1:/data', '-v', '/anon', '-v', './rel:/r:ro,z', '-v', '/h:/h2:rslave', '--tmpfs', '/t:size=1m', '--tmpfs', '/t2',
      '--mount', 'type=volume,src=v3,dst=/m3,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs',
      '--mount', 'type=tmpfs,dst=/t3,tmpfs-size=1m,tmpfs-mode=700,ro', '--mount', 'type=bind,src=/x,dst=/b,bind-propagation=shared',
      '--volumes-from', 'c1:ro', '--volume-driver', 'local', 'busybox',
    ];
    const body = buildCreateBody(await flagsOf(argv), 'busybox', []);
    assert.deepEqual(body.Volumes, { '/anon': {} });
    const hc = body.HostConfig;
    assert.deepEqual(hc.Binds, ['v1:/data', `${path.resolve('rel')}:/r:ro,z`, '/h:/h2:rslave']);
    assert.deepEqual(hc.Tmpfs, { '/t': 'size=1m', '/t2': '' });
    assert.equal(hc.VolumeDriver, 'local');
    assert.deepEqual(hc.VolumesFrom, ['c1:ro']);
    assert.equal(JSON.stringify(hc.Mounts), JSON.stringify([
      { Type: 'volume', Source: 'v3', Target: '/m3', VolumeOptions: { DriverConfig: { Options: { type: 'tmpfs' } }, NoCopy: true, Labels: { a: 'b' } } },
      { Type: 'tmpfs', Target: '/t3', TmpfsOptions: { SizeBytes: 1048576, Mode: 448 }, ReadOnly: true },
      { Type: 'bind', Source: '/x', Target: '/b', BindOptions: { Propagation: 'shared' } },
    ]));
    const plain = buildCreateBody(await flagsOf(['create', 'busybox']), 'busybox', []);
    assert.deepEqual(plain.Volumes, {});
    assert.equal(plain.HostConfig.Binds, null);
    assert.equal(plain.HostConfig.VolumesFrom, null);
    assert.ok(!('Mounts' in plain.HostConfig) && !('Tmpfs' in plain.HostConfig));
  });
});

describe('volume ls table', () => {
  it('sorts names naturally and prints docker\'s columns', () => {
    assert.ok(naturalLess('v2', 'v10'));
    assert.ok(naturalLess('a01', 'a1') === false && naturalLess('a1', 'a01'));
    const list = [{ Name: 'v10', Driver: 'local' }, { Name: 'v2', Driver: 'local', Labels: { b: '2', a: '1' } }];
    assert.equal(formatVolumes(list), 'DRIVER    VOLUME NAME\nlocal     v2\nlocal     v10\n');
    assert.equal(formatVolumes(list, { quiet: true }), 'v2\nv10\n');
    assert.equal(formatVolumes(list, { format: 'table {{.Name}}\t{{.Labels}}\t{{.Size}}' }), 'VOLUME NAME   LABELS    SIZE\nv2            a=1,b=2   N/A\nv10                     N/A\n');
  });
});

describe('volume verbs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-vol-'));
  const sock = path.join(dir, 'api.sock');
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const url = decodeURIComponent(req.url!.replace(/^\/v[\d.]+/, ''));
      seen.push(`${req.method} ${url} ${body}`.trim());
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (url === '/_ping') return res.end('OK');
      if (url === '/volumes/create') return json(201, { Name: JSON.parse(body).Name ?? 'f'.repeat(64) });
      if (url.startsWith('/volumes/prune')) return json(200, { VolumesDeleted: ['a1', 'b2'], SpaceReclaimed: 2048 });
      if (url.startsWith('/volumes?') || url === '/volumes') return json(200, { Volumes: [{ Name: 'v1', Driver: 'local' }], Warnings: null });
      if (url.startsWith('/volumes/used')) return json(409, { message: 'remove used: volume is in use - [abc]' });
      if (req.method === 'DELETE') return json(204, {});
      if (url === '/volumes/v1') return json(200, { Name: 'v1', Driver: 'local', Labels: null });
      return json(404, { message: `get ${url.split('/')[2]}: no such volume` });
    });
  });
  before(() => new Promise<void>((r) => server.listen(sock, r)));
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const run = (argv: string[]) => {
    seen.length = 0;
    return runCli(argv, { BERTH_HOST: `unix://${sock}` });
  };

  it('create sends docker\'s body and prints the name', async () => {
    assert.deepEqual(await run(['volume', 'create', '--label', 'a=b', '-o', 'type=tmpfs', 'x']), { code: 0, out: 'x\n', err: '' });
    assert.ok(seen.includes('POST /volumes/create {"Driver":"local","DriverOpts":{"type":"tmpfs"},"Labels":{"a":"b"},"Name":"x"}'));
    await run(['volume', 'create']);
    assert.ok(seen.includes('POST /volumes/create {"Driver":"local"}'));
    const both = await run(['volume', 'create', '--name', 'x', 'y']);
    assert.equal(both.code, 1);
    assert.equal(both.err, 'conflicting options: either specify --name or provide positional arg, not both\n');
  });

  it('ls, inspect, rm and prune', async () => {
    assert.equal((await run(['volume', 'ls', '-f', 'dangling=true'])).out, 'DRIVER    VOLUME NAME\nlocal     v1\n');
    assert.ok(seen.includes('GET /volumes?filters={"dangling":["true"]}'));
    const insp = await run(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'v1', 'nosuch']);
    assert.deepEqual(insp, { code: 1, out: 'v1 local\n', err: 'Error response from daemon: get nosuch: no such volume\n' });
    const rm = await run(['volume', 'rm', 'used', 'v2', '-f']);
    assert.deepEqual(rm, { code: 1, out: 'v2\n', err: 'Error response from daemon: remove used: volume is in use - [abc]\n' });
    assert.ok(seen.includes('DELETE /volumes/v2?force=1'));
    const prune = await run(['volume', 'prune', '-a', '-f']);
    assert.deepEqual(prune, { code: 0, out: 'Deleted Volumes:\na1\nb2\n\nTotal reclaimed space: 2.048kB\n', err: '' });
    assert.ok(seen.includes('POST /volumes/prune?filters={"all":["true"]}'));
  });
});
