/**
 * Volumes with the real docker CLI, docker-py and berth: named volumes outliving containers,
 * binds, `:ro`, image content copied into fresh volumes, tmpfs, --volumes-from, rm -v, the
 * in-use refusal, prune, local driver options (tmpfs and bind), Docker's errors for bad input,
 * and a symlink in an image that must not redirect a mount to the host. The harness checks
 * that no mount is left behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon, mountsUnder } from './harness.js';

describe('volumes', () => {
  const d = new TestDaemon('vol');
  const ok = (args: string[]) => {
    const r = d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const run = (args: string[]) => ok(['run', '--rm', ...args]).trim();
  const volumes = () => ok(['volume', 'ls', '-q']).split('\n').filter(Boolean);

  before(async () => {
    await d.start();
    // An image with content under a VOLUME, odd ownership, and hostile symlinks.
    const hostDir = path.join(d.dir, 'victim');
    fs.mkdirSync(hostDir);
    fs.writeFileSync(path.join(hostDir, 'secret'), 'host');
    ok(['run', '--name', 'mk', 'busybox', 'sh', '-c',
      `mkdir -p /data/sub /opt/conf && echo img > /data/sub/f && echo conf > /opt/conf/c && chown -R 1234:99 /data && chmod 750 /data && ln -s /etc /abs && ln -s ../../../../../../../../..${hostDir} /up`]);
    const tar = path.join(d.dir, 'img.tar');
    ok(['export', '-o', tar, 'mk']);
    ok(['import', '-c', 'VOLUME /data', '-c', 'CMD ["sh"]', tar, 'volimg']);
    ok(['rm', 'mk']);
  });
  after(() => d.stop());

  it('keeps data written to a named volume for the next container, and lists it like docker', () => {
    assert.equal(ok(['volume', 'create', 'data']).trim(), 'data');
    run(['-v', 'data:/data', 'busybox', 'sh', '-c', 'echo persisted > /data/f']);
    assert.equal(run(['-v', 'data:/data', 'busybox', 'cat', '/data/f']), 'persisted');
    const inspect = JSON.parse(ok(['volume', 'inspect', 'data']))[0];
    assert.deepEqual(Object.keys(inspect), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.equal(inspect.Mountpoint, path.join(d.dataRoot, 'volumes/data/_data'));
    assert.equal(fs.readFileSync(path.join(inspect.Mountpoint, 'f'), 'utf8'), 'persisted\n');
    const table = ok(['volume', 'ls', '-f', 'name=^data$']);
    assert.equal(table, 'DRIVER    VOLUME NAME\nlocal     data\n');
    assert.equal(d.berth(['volume', 'ls', '-f', 'name=^data$']).stdout, table);
    assert.equal(d.berth(['volume', 'inspect', 'data']).stdout, ok(['volume', 'inspect', 'data']));
  });

  it('shows host files through a bind, creates a missing host dir, and enforces :ro', () => {
    const host = path.join(d.dir, 'share');
    fs.mkdirSync(host);
    fs.writeFileSync(path.join(host, 'hello.txt'), 'from host');
    assert.equal(run(['-v', `${host}:/share`, 'busybox', 'cat', '/share/hello.txt']), 'from host');
    assert.equal(run(['-v', `${path.join(host, 'hello.txt')}:/etc/motd:ro`, 'busybox', 'cat', '/etc/motd']), 'from host');
    const created = path.join(d.dir, 'made/by/run');
    run(['-v', `${created}:/out`, 'busybox', 'sh', '-c', 'echo back > /out/f']);
    assert.equal(fs.readFileSync(path.join(created, 'f'), 'utf8'), 'back\n');
    const ro = d.docker(['run', '--rm', '-v', `${host}:/share:ro`, 'busybox', 'sh', '-c', 'echo x > /share/new']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    assert.ok(!fs.existsSync(path.join(host, 'new')));
    const roVol = d.docker(['run', '--rm', '--mount', 'type=volume,src=data,dst=/d,readonly', 'busybox', 'touch', '/d/x']);
    assert.match(roVol.stderr, /Read-only file system/);
    assert.equal(run(['--mount', `type=bind,src=${host},dst=/b,readonly`, 'busybox', 'cat', '/b/hello.txt']), 'from host');
  });

  it('copies the image content into a fresh volume, with owner and mode, and never into a used one', () => {
    assert.equal(run(['volimg', 'sh', '-c', 'cat /data/sub/f; stat -c "%u:%g %a" /data']), 'img\n1234:99 750');
    assert.equal(run(['-v', 'fresh:/data', 'volimg', 'true']), '');
    assert.equal(run(['-v', 'fresh:/data', 'busybox', 'sh', '-c', 'cat /data/sub/f; stat -c "%u:%g %a" /data']), 'img\n1234:99 750');
    assert.equal(run(['-v', 'fresh:/opt/conf', 'volimg', 'ls', '/opt/conf']), 'sub');
    assert.equal(run(['--mount', 'type=volume,src=nocopy,dst=/data,volume-nocopy', 'volimg', 'ls', '-A', '/data']), '');
  });

  it('resolves a symlinked mount destination inside the container, never on the host', () => {
    const victim = path.join(d.dir, 'victim');
    run(['-v', 'trap:/up', 'volimg', 'sh', '-c', 'echo planted > /up/planted']);
    assert.deepEqual(fs.readdirSync(victim), ['secret']);
    assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'volumes/trap/_data')), ['planted']);
    run(['-v', `${victim}:/abs/bound:ro`, 'volimg', 'true']);
    assert.ok(!fs.existsSync('/etc/bound'));
  });

  it('mounts tmpfs from --tmpfs and --mount type=tmpfs, and shows mounts as docker does', () => {
    assert.match(run(['--tmpfs', '/t:size=1m,mode=700', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts; stat -c %a /t']), /^tmpfs \/t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=700 0 0\n700$/);
    assert.match(run(['--mount', 'type=tmpfs,dst=/t2,tmpfs-size=2m', 'busybox', 'grep', ' /t2 ', '/proc/mounts']), /size=2048k/);
    const host = path.join(d.dir, 'share');
    ok(['create', '--name', 'shown', '-v', 'data:/data', '-v', `${host}:/h:ro`, '-v', '/anon', '--mount', 'type=tmpfs,dst=/tm', 'busybox', 'true']);
    const mounts = JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', 'shown'])) as Array<Record<string, unknown>>;
    const byDest = Object.fromEntries(mounts.map((m) => [m.Destination, m]));
    assert.deepEqual(byDest['/data'], { Type: 'volume', Name: 'data', Source: path.join(d.dataRoot, 'volumes/data/_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' });
    assert.deepEqual(byDest['/h'], { Type: 'bind', Source: host, Destination: '/h', Mode: 'ro', RW: false, Propagation: 'rprivate' });
    assert.deepEqual(byDest['/tm'], { Type: 'tmpfs', Source: '', Destination: '/tm', Mode: '', RW: true, Propagation: '' });
    assert.match(String((byDest['/anon'] as { Name: string }).Name), /^[0-9a-f]{64}$/);
    const ps = ok(['ps', '-a', '--no-trunc', '-f', 'name=shown', '--format', '{{.Mounts}}']).trim().split(',').sort();
    assert.deepEqual(ps, ['', host, (byDest['/anon'] as { Name: string }).Name, 'data'].sort());
    assert.equal(ok(['ps', '-a', '--format', '{{.Names}}', '-f', 'volume=data', '-f', 'name=shown']), 'shown\n');
    assert.equal(ok(['ps', '-a', '--format', '{{.Names}}', '-f', 'volume=/tm', '-f', 'name=shown']), 'shown\n');
    assert.equal(ok(['ps', '-a', '--format', '{{.Names}}', '-f', 'volume=nosuch']), '');
    ok(['rm', '-v', 'shown']);
  });

  it('shares volumes with --volumes-from, read-only with :ro', () => {
    ok(['create', '--name', 'store', '-v', '/shared', '-v', 'data:/named', 'busybox', 'true']);
    run(['--volumes-from', 'store', 'busybox', 'sh', '-c', 'echo s > /shared/s']);
    assert.equal(run(['--volumes-from', 'store:ro', 'busybox', 'sh', '-c', 'cat /shared/s /named/f']), 's\npersisted');
    const ro = d.docker(['run', '--rm', '--volumes-from', 'store:ro', 'busybox', 'touch', '/shared/t']);
    assert.match(ro.stderr, /Read-only file system/);
    ok(['rm', '-v', 'store']);
  });

  it('removes anonymous volumes with rm -v and --rm, never named ones', () => {
    const before = volumes();
    ok(['create', '--name', 'anon', '-v', '/a1', '-v', 'keepme:/k', 'volimg']);
    const anon = volumes().filter((v) => !before.includes(v));
    assert.equal(anon.length, 3); // /a1, the image's /data, and keepme
    ok(['rm', 'anon']);
    assert.equal(volumes().length, before.length + 3);
    ok(['create', '--name', 'anon2', '-v', '/a2', 'busybox']);
    ok(['rm', '-v', 'anon2']);
    assert.equal(volumes().length, before.length + 3);
    run(['-v', '/a3', 'volimg', 'true']);
    assert.equal(volumes().length, before.length + 3);
    assert.ok(volumes().includes('keepme'));
  });

  it('refuses removing a volume in use, names its users, and prunes like docker 28', () => {
    const id = ok(['create', '-v', 'busy:/b', 'busybox']).trim();
    const r = d.docker(['volume', 'rm', 'busy']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error response from daemon: remove busy: volume is in use - [${id}]\n`);
    assert.equal(d.docker(['volume', 'rm', '-f', 'busy']).code, 1);
    assert.equal(d.docker(['volume', 'rm', '-f', 'nosuch']).code, 0);
    ok(['rm', id]);
    const dangling = ok(['volume', 'ls', '-q', '-f', 'dangling=true']).split('\n').filter(Boolean);
    assert.ok(dangling.includes('busy'));
    const anon = dangling.filter((v) => /^[0-9a-f]{64}$/.test(v));
    assert.ok(anon.length > 0);
    const pruned = ok(['volume', 'prune', '-f']);
    assert.ok(pruned.startsWith('Deleted Volumes:\n'));
    for (const v of anon) assert.ok(pruned.includes(`${v}\n`));
    assert.ok(volumes().includes('busy'));
    // A stopped container still holds its volumes: `data` survives pruning everything.
    ok(['create', '--name', 'keeper', '-v', 'data:/data', 'busybox']);
    assert.match(ok(['volume', 'prune', '-f', '-a']), /busy\n[\s\S]*Total reclaimed space: /);
    assert.ok(!volumes().includes('busy'));
    assert.ok(volumes().includes('data'));
  });

  it('mounts local driver options (tmpfs, bind) only while a container uses them', () => {
    ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=2m', 'tv']);
    const dev = path.join(d.dir, 'device');
    fs.mkdirSync(dev);
    fs.writeFileSync(path.join(dev, 'd'), 'device');
    ok(['volume', 'create', '-o', 'type=none', '-o', `device=${dev}`, '-o', 'o=bind', 'bv']);
    const tvData = path.join(d.dataRoot, 'volumes/tv/_data');
    ok(['run', '-d', '--name', 'holder', '-v', 'tv:/t', '-v', 'bv:/b', 'busybox', 'sleep', '100']);
    assert.match(run(['-v', 'tv:/t', '-v', 'bv:/b', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts; cat /b/d; echo w > /b/w; echo t > /t/t']), /^tmpfs \/t tmpfs rw,relatime,size=2048k 0 0\ndevice$/);
    assert.ok(mountsUnder(tvData).length > 0, 'still mounted for the running holder');
    ok(['rm', '-f', 'holder']);
    assert.deepEqual(mountsUnder(path.join(d.dataRoot, 'volumes')), []);
    assert.deepEqual(fs.readdirSync(tvData), []);
    ok(['volume', 'rm', 'tv', 'bv']);
    assert.deepEqual(fs.readdirSync(dev).sort(), ['d', 'w']);
  });

  it('refuses bad input with Docker\'s messages and creates nothing', () => {
    const vols = volumes();
    const ctrs = ok(['ps', '-aq']);
    const cases: Array<[string[], string]> = [
      [['-v', 'a:b:c:d'], "invalid volume specification: 'a:b:c:d'"],
      [['-v', 'rel/dir:/x'], 'create rel/dir: "rel/dir" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
      [['-v', '/x:rel'], `invalid volume specification: '/x:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
      [['-v', 'newvol:/x', '-v', 'other:/x'], 'Duplicate mount point: /x'],
      [['-v', 'newvol:/x', '--mount', 'type=foo,target=/y'], 'invalid mount config for type "foo": mount type unknown'],
      [['--mount', 'type=bind,source=/nonexistent-berth,target=/x'], 'invalid mount config for type "bind": bind source path does not exist: /nonexistent-berth'],
      [['-v', 'newvol:/x', '-v', 'bad/name:/y'], 'create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
      [['--tmpfs', 'rel'], "invalid mount path: 'rel' mount path must be absolute"],
      [['--volumes-from', 'nosuch'], 'No such container: nosuch'],
    ];
    for (const [args, msg] of cases) {
      const r = d.docker(['create', ...args, 'busybox']);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, `Error response from daemon: ${msg}\n`);
    }
    assert.deepEqual(volumes(), vols);
    assert.equal(ok(['ps', '-aq']), ctrs);
    const py = d.python(`
import docker
c = docker.from_env()
try:
    c.api.create_container('busybox', 'true', host_config=c.api.create_host_config(binds=['a:b:c:d']))
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
`);
    assert.equal(py.stdout.trim(), "400 invalid volume specification: 'a:b:c:d'");
  });

  it('serves docker-py: volume create/list/remove/prune and containers with volumes and mounts', () => {
    const host = path.join(d.dir, 'share');
    const r = d.python(`
import docker
from docker.types import Mount
c = docker.from_env()
v = c.volumes.create('pyvol', labels={'team': 'py'})
print(v.name, v.attrs['Driver'], v.attrs['Labels'])
c.containers.run('busybox', ['sh', '-c', 'echo py > /v/f'], volumes={'pyvol': {'bind': '/v', 'mode': 'rw'}}, remove=True)
print(c.containers.run('busybox', ['cat', '/v/f', '/h/hello.txt'], volumes=['pyvol:/v:ro', '${host}:/h'], remove=True).decode().split())
m = [Mount('/m', 'pyvol', type='volume', read_only=True), Mount('/t', None, type='tmpfs', tmpfs_size=1 << 20)]
print(c.containers.run('busybox', ['sh', '-c', 'cat /m/f; grep -c " /t tmpfs" /proc/mounts'], mounts=m, remove=True).decode().split())
print([x.name for x in c.volumes.list(filters={'label': 'team=py'})])
ctr = c.containers.create('busybox', 'true', volumes=['pyvol:/v'])
try:
    c.volumes.get('pyvol').remove()
except docker.errors.APIError as e:
    print(e.status_code)
ctr.remove()
c.volumes.get('pyvol').remove()
try:
    c.volumes.get('pyvol')
except docker.errors.NotFound:
    print('gone')
c.volumes.create('pyanon2', labels={'com.docker.volume.anonymous': ''})
print(c.volumes.prune()['VolumesDeleted'])
`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "pyvol local {'team': 'py'}\n['py', 'from', 'host']\n['py', '1']\n['pyvol']\n409\ngone\n['pyanon2']\n");
  });

  it('keeps volumes and their data across a daemon restart', async () => {
    await d.shutdown();
    await d.start();
    assert.equal(run(['-v', 'data:/data', 'busybox', 'cat', '/data/f']), 'persisted');
    // The stopped `keeper` container still holds `data` after the restart.
    assert.match(d.docker(['volume', 'rm', 'data']).stderr, /volume is in use/);
    assert.deepEqual(mountsUnder(path.join(d.dataRoot, 'volumes')), []);
  });
});
