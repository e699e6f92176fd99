/** The local volume service against the recording mount host: records, filters, in-use refusal, prune, mounts, crash leftovers. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RecordingMountHost } from '../../../src/host/fake-mounts.js';
import { isKind } from '../../../src/lib/errors.js';
import { VolumeService } from '../../../src/engine/volumes/service.js';
import { ANONYMOUS_LABEL } from '../../../src/engine/volumes/store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-volumes-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function open(users: Record<string, string[]> = {}): Promise<{ vs: VolumeService; host: RecordingMountHost; root: string }> {
  const root = path.join(dir, `d${n++}`);
  const host = new RecordingMountHost();
  const vs = await VolumeService.open(root, host);
  vs.setUsers((name) => users[name] ?? []);
  return { vs, host, root };
}

const withMessage = (kind: string, message: string) => (e: unknown) => isKind(e, kind as 'NotFound') && (e as Error).message === message;

describe('volume records', () => {
  it('creates a volume with Docker\'s view and keeps it across a reopen', async () => {
    const { vs, root } = await open();
    const v = await vs.create({ Name: 'data', Labels: { b: '2', a: '1' }, DriverOpts: null });
    assert.deepEqual(Object.keys(v), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(Object.keys(v.Labels!), ['a', 'b']);
    assert.equal(v.Mountpoint, path.join(root, 'volumes/data/_data'));
    assert.ok(fs.statSync(v.Mountpoint).isDirectory());
    // Creating it again returns the existing volume unchanged.
    assert.deepEqual((await vs.create({ Name: 'data', Labels: { c: '3' } })).Labels, { a: '1', b: '2' });
    const again = await VolumeService.open(root, new RecordingMountHost());
    assert.deepEqual(again.get('data'), v);
    const anon = await vs.create({}, { anonymous: true });
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(anon.Labels, { [ANONYMOUS_LABEL]: '' });
  });

  it('refuses bad names, drivers and options with Docker messages', async () => {
    const { vs, root } = await open();
    await assert.rejects(vs.create({ Name: 'a' }), withMessage('InvalidArgument', 'create a: volume name is too short, names should be at least two alphanumeric characters'));
    await assert.rejects(vs.create({ Name: 'b/c' }), withMessage('InvalidArgument', 'create b/c: "b/c" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'));
    await assert.rejects(vs.create({ Name: 'xx', Driver: 'nfs' }), withMessage('NotFound', 'create xx: error looking up volume plugin nfs: plugin "nfs" not found'));
    await assert.rejects(vs.create({ Name: 'xx', DriverOpts: { type: 'tmpfs' } }), withMessage('InvalidArgument', 'create xx: missing required option: "device"'));
    await assert.rejects(vs.create({ Name: 'xx', DriverOpts: { foo: 'bar' } }), withMessage('InvalidArgument', 'create xx: invalid option: "foo"'));
    assert.deepEqual(fs.readdirSync(path.join(root, 'volumes')), []);
  });

  it('clears half-made creates and interrupted removes at load', async () => {
    const { vs, root } = await open();
    await vs.create({ Name: 'keep' });
    fs.mkdirSync(path.join(root, 'volumes/half/_data'), { recursive: true });
    fs.mkdirSync(path.join(root, 'volumes/.removing-abc/_data'), { recursive: true });
    fs.writeFileSync(path.join(root, 'volumes/keep/volume.json.tmp-1234'), '{');
    const again = await VolumeService.open(root, new RecordingMountHost());
    assert.deepEqual(again.list({}).map((v) => v.Name), ['keep']);
    assert.deepEqual(fs.readdirSync(path.join(root, 'volumes')).sort(), ['keep']);
  });
});

describe('volume filters, removal and prune', () => {
  it('filters by name, label, driver and dangling', async () => {
    const { vs } = await open({ used: ['c1'] });
    await vs.create({ Name: 'used', Labels: { env: 'prod' } });
    await vs.create({ Name: 'free', Labels: { env: 'dev', x: '' } });
    const names = (f: Record<string, string[]>) => vs.list(f).map((v) => v.Name);
    assert.deepEqual(names({}), ['free', 'used']);
    assert.deepEqual(names({ dangling: ['true'] }), ['free']);
    assert.deepEqual(names({ dangling: ['0'] }), ['used']);
    assert.deepEqual(names({ name: ['^us'] }), ['used']);
    assert.deepEqual(names({ label: ['env=dev', 'x'] }), ['free']);
    assert.deepEqual(names({ driver: ['local'] }), ['free', 'used']);
    assert.throws(() => names({ bogus: ['1'] }), withMessage('InvalidArgument', "invalid filter 'bogus'"));
    assert.throws(() => names({ dangling: ['maybe'] }), (e) => isKind(e, 'InvalidArgument'));
  });

  it('refuses removing a volume in use, naming the containers; force only ignores a missing one', async () => {
    const { vs } = await open({ used: ['c1', 'c2'] });
    await vs.create({ Name: 'used' });
    await assert.rejects(vs.remove('used'), withMessage('Conflict', 'remove used: volume is in use - [c1, c2]'));
    await assert.rejects(vs.remove('used', true), (e) => isKind(e, 'Conflict'));
    await assert.rejects(vs.remove('nosuch'), withMessage('NotFound', 'get nosuch: no such volume'));
    await vs.remove('nosuch', true);
    // A create in progress counts as a user too.
    await vs.create({ Name: 'pending' }, { ref: 'c3' });
    await assert.rejects(vs.remove('pending'), withMessage('Conflict', 'remove pending: volume is in use - [c3]'));
    vs.dropRef('pending', 'c3');
    await vs.remove('pending');
    assert.throws(() => vs.get('pending'), (e) => isKind(e, 'NotFound'));
  });

  it('prunes anonymous unused volumes from API 1.42 on, all unused ones with all=true or older clients', async () => {
    const { vs } = await open();
    const anon = await vs.create({}, { anonymous: true });
    await vs.create({ Name: 'named', Labels: { keep: 'no' } });
    fs.writeFileSync(path.join(anon.Mountpoint, 'f'), '12345');
    assert.deepEqual(await vs.prune({}, 1.44), { VolumesDeleted: [anon.Name], SpaceReclaimed: 5 });
    assert.deepEqual(await vs.prune({}, 1.44), { VolumesDeleted: null, SpaceReclaimed: 0 });
    assert.deepEqual((await vs.prune({ all: ['true'], 'label!': ['keep=no'] }, 1.44)).VolumesDeleted, null);
    assert.deepEqual((await vs.prune({}, 1.41)).VolumesDeleted, ['named']);
  });
});

describe('volume mounts', () => {
  it('mounts a volume with options while containers use it, once, and unmounts after the last', async () => {
    const { vs, host } = await open();
    const v = await vs.create({ Name: 'tv', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    assert.equal(await vs.acquire('tv', 'c1'), v.Mountpoint);
    await vs.acquire('tv', 'c2');
    assert.deepEqual(host.calls.filter((c) => c.op === 'mount').map((c) => c.args), [['tmpfs', 'tmpfs', v.Mountpoint, 'size=1m']]);
    await vs.release('tv', 'c1');
    assert.ok(host.mounts.has(v.Mountpoint));
    await vs.release('tv', 'c2');
    assert.ok(!host.mounts.has(v.Mountpoint));
    // A plain volume has nothing of its own to mount.
    await vs.create({ Name: 'plain' });
    await vs.acquire('plain', 'c1');
    await vs.release('plain', 'c1');
    assert.equal(host.calls.filter((c) => c.op === 'mount').length, 1);
  });

  it('copies image content only into an empty volume', async () => {
    const { vs } = await open();
    const v = await vs.create({ Name: 'cp' });
    const src = path.join(dir, 'img-src');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'sub/f'), 'img');
    await vs.populate('cp', src);
    assert.equal(fs.readFileSync(path.join(v.Mountpoint, 'sub/f'), 'utf8'), 'img');
    fs.writeFileSync(path.join(src, 'sub/f'), 'changed');
    await vs.populate('cp', src);
    assert.equal(fs.readFileSync(path.join(v.Mountpoint, 'sub/f'), 'utf8'), 'img');
  });

  it('re-adopts mounts of running users after a restart and releases the others', async () => {
    const { vs, host, root } = await open();
    const a = await vs.create({ Name: 'ta', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    const b = await vs.create({ Name: 'tb', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    await vs.acquire('ta', 'c1');
    await vs.acquire('tb', 'c2');
    const again = await VolumeService.open(root, host);
    await again.adopt(new Map([['ta', ['c1']]]));
    assert.ok(host.mounts.has(a.Mountpoint));
    assert.ok(!host.mounts.has(b.Mountpoint));
    await again.release('ta', 'c1');
    assert.ok(!host.mounts.has(a.Mountpoint));
  });
});
