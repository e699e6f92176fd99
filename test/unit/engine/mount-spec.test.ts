/** Mount request parsing with Docker's rules and wording, scoped destination resolution, and OCI mount order. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { mergeTmpfsOptions, parseBind, parseMount, parseVolumesFrom, tmpfsData, tmpfsOciOptions, validMountMode, validateTmpfsDestination } from '../../../src/engine/containers/mount-spec.js';
import { resolveInRoot } from '../../../src/engine/containers/mount-target.js';
import { applyUserMounts } from '../../../src/engine/containers/mounts-start.js';

const invalid = (message: string) => (e: unknown) => isKind(e, 'InvalidArgument') && (e as Error).message === message;

describe('HostConfig.Binds (ParseMountRaw)', () => {
  it('reads named volumes, binds and anonymous volumes', () => {
    assert.deepEqual(parseBind('data:/var/lib/data'), { Type: 'volume', Name: 'data', Destination: '/var/lib/data', Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true });
    assert.deepEqual(parseBind('/srv/www:/usr/share/www:ro'), { Type: 'bind', Source: '/srv/www', Destination: '/usr/share/www', Mode: 'ro', RW: false, Propagation: 'rprivate', CreateSource: true });
    assert.deepEqual(parseBind('/anon'), { Type: 'volume', Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true, Anonymous: true });
    const p = parseBind('/h:/c/../d/:rslave,ro');
    assert.equal(p.Destination, '/d');
    assert.equal(p.Propagation, 'rslave');
    assert.equal(p.RW, false);
    assert.equal(parseBind('v:/x:nocopy').CopyData, false);
    assert.equal(parseBind('v:/x', 'other').Driver, 'other');
  });
  it('refuses bad specs with Docker messages', () => {
    assert.throws(() => parseBind('a:b:c:d'), invalid("invalid volume specification: 'a:b:c:d'"));
    assert.throws(() => parseBind(':/x'), invalid("invalid volume specification: ':/x'"));
    assert.throws(() => parseBind('/x:ro'), invalid("invalid volume specification: '/x:ro'"));
    assert.throws(() => parseBind('/x:/y:bad'), invalid('invalid mode: bad'));
    assert.throws(() => parseBind('/x:/y:ro,rw'), invalid('invalid mode: ro,rw'));
    assert.throws(() => parseBind('/x:rel'), invalid(`invalid volume specification: '/x:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`));
    assert.throws(() => parseBind('v1:/'), invalid(`invalid volume specification: 'v1:/': invalid mount config for type "volume": invalid specification: destination can't be '/'`));
    assert.throws(() => parseBind('v1:/x:rshared'), invalid(`invalid volume specification: 'v1:/x:rshared': invalid mount config for type "volume": field BindOptions must not be specified`));
    assert.throws(() => parseBind('/h:/x:nocopy'), invalid(`invalid volume specification: '/h:/x:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`));
  });
  it('validates mode strings as linuxValidMountMode', () => {
    for (const ok of ['', 'ro', 'rw,z', 'ro,Z,rslave,nocopy']) assert.ok(validMountMode(ok), ok);
    for (const bad of ['ro,rw', 'z,Z', 'x', 'shared,slave']) assert.ok(!validMountMode(bad), bad);
  });
});

describe('HostConfig.Mounts (ParseMountSpec)', () => {
  it('converts typed mounts', () => {
    assert.deepEqual(parseMount({ Type: 'volume', Source: 'v3', Target: '/m3', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Options: { type: 'tmpfs', device: 'tmpfs' } } } }), {
      Type: 'volume', Name: 'v3', Destination: '/m3', Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: false, VolumeLabels: { a: 'b' }, VolumeOptions: { type: 'tmpfs', device: 'tmpfs' },
    });
    assert.deepEqual(parseMount({ Type: 'bind', Source: '/x', Target: '/b', ReadOnly: true, BindOptions: { Propagation: 'shared' } }), { Type: 'bind', Source: '/x', Destination: '/b', Mode: '', RW: false, Propagation: 'shared' });
    assert.equal(parseMount({ Type: 'tmpfs', Target: '/t', ReadOnly: true, TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 } }).Tmpfs, 'ro,mode=1777,size=1m');
    assert.equal(parseMount({ Type: 'volume', Target: '/a' }).Anonymous, true);
  });
  it('refuses bad mounts with Docker messages', () => {
    assert.throws(() => parseMount({ Type: 'foo', Target: '/x' }), invalid('invalid mount config for type "foo": mount type unknown'));
    assert.throws(() => parseMount({ Type: 'bind', Target: '/x' }), invalid('invalid mount config for type "bind": field Source must not be empty'));
    assert.throws(() => parseMount({ Type: 'bind', Source: 'rel', Target: '/x' }), invalid(`invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`));
    assert.throws(() => parseMount({ Type: 'bind', Source: '/a', Target: '/x', BindOptions: { Propagation: 'weird' } }), invalid('invalid mount config for type "bind": invalid propagation mode: weird'));
    assert.throws(() => parseMount({ Type: 'tmpfs', Source: '/a', Target: '/x' }), invalid('invalid mount config for type "tmpfs": field Source must not be specified'));
    assert.throws(() => parseMount({ Type: 'volume', Target: '' }), invalid('invalid mount config for type "volume": field Target must not be empty'));
    assert.throws(() => parseMount({ Type: 'volume', Target: '/x', ReadOnly: true }), invalid('invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'));
    assert.throws(() => parseMount({ Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { Subpath: 'a' } }), (e) => isKind(e, 'NotImplemented'));
  });
});

describe('tmpfs and volumes-from', () => {
  it('formats TmpfsOptions and merges options as MergeTmpfsOptions', () => {
    assert.equal(tmpfsData({ SizeBytes: 1000000 }, false), 'size=1000000');
    assert.equal(tmpfsData({ SizeBytes: 3 * 2 ** 30, Options: [['exec']] }, false), 'size=3g,exec');
    assert.deepEqual(tmpfsOciOptions('size=1m,exec'), ['nosuid', 'nodev', 'rprivate', 'size=1m', 'exec']);
    assert.deepEqual(mergeTmpfsOptions(['size=1m', 'size=2m', 'ro', 'rw']), ['size=2m', 'rw']);
    assert.throws(() => mergeTmpfsOptions(['foo']), invalid('invalid tmpfs option ["foo"]'));
    assert.throws(() => mergeTmpfsOptions(['foo=1']), invalid('invalid tmpfs option ["foo" "1"]'));
    assert.throws(() => validateTmpfsDestination('rel'), invalid("invalid mount path: 'rel' mount path must be absolute"));
    assert.throws(() => validateTmpfsDestination('/'), invalid("invalid specification: destination can't be '/'"));
  });
  it('parses container[:mode]', () => {
    assert.deepEqual(parseVolumesFrom('c1'), { id: 'c1', mode: 'rw' });
    assert.deepEqual(parseVolumesFrom('c1:ro'), { id: 'c1', mode: 'ro' });
    assert.throws(() => parseVolumesFrom('c1:rshared'), invalid('invalid mode: rshared'));
    assert.throws(() => parseVolumesFrom('c1:nocopy'), invalid('invalid mode: nocopy'));
    assert.throws(() => parseVolumesFrom(''), invalid('volumes-from specification cannot be an empty string'));
  });
});

describe('mount destinations', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-mount-target-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('resolves symlinks inside the root, never in the host context', async () => {
    fs.mkdirSync(path.join(root, 'etc'));
    fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    fs.symlinkSync('/etc', path.join(root, 'abs'));
    fs.symlinkSync('../../../../../../../../tmp', path.join(root, 'var/lib/up'));
    fs.symlinkSync('lib/up/x', path.join(root, 'var/rel'));
    fs.symlinkSync('loop', path.join(root, 'loop'));
    assert.equal(await resolveInRoot(root, '/abs/sub'), '/etc/sub');
    assert.equal(await resolveInRoot(root, '/var/lib/up'), '/tmp');
    assert.equal(await resolveInRoot(root, '/var/rel'), '/tmp/x');
    assert.equal(await resolveInRoot(root, '/../../data/./x/'), '/data/x');
    assert.equal(await resolveInRoot(root, '/missing/a/../b'), '/missing/b');
    await assert.rejects(resolveInRoot(root, '/loop'), (e) => isKind(e, 'InvalidArgument'));
  });

  it('puts user mounts after the defaults, parents first, replacing a default at the same place', () => {
    const spec: Record<string, unknown> = {
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc', options: [] }, { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: [] }, { destination: '/etc/hosts', type: 'bind', source: '/h', options: [] }],
      linux: {},
    };
    const m = (destination: string, options: string[] = ['rbind', 'rw', 'rprivate']) => ({ destination, type: 'bind', source: '/s', options });
    applyUserMounts(spec, [m('/a/b/c'), m('/etc/hosts'), m('/a'), m('/x/y', ['rbind', 'rw', 'rshared'])]);
    assert.deepEqual((spec.mounts as Array<{ destination: string }>).map((x) => x.destination), ['/proc', '/dev/shm', '/a', '/etc/hosts', '/x/y', '/a/b/c']);
    assert.equal((spec.linux as { rootfsPropagation?: string }).rootfsPropagation, 'rshared');
  });
});
