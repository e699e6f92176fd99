#!/usr/bin/env node
/**
 * Builds a `busybox:latest` docker-archive from the host's static busybox (Debian
 * busybox-static), so Berth has a real base image with no registry (lecture concept: an image
 * is a layer tar plus a config; `docker load` takes such a tarball).
 *
 * Usage: node scripts/build-busybox-image.mjs <out.tar> [path/to/busybox]
 *
 * One layer: /bin/busybox, a symlink per applet in /bin, /etc/passwd and /etc/group like the
 * official busybox image, and the usual empty directories. Every mtime is fixed and entries are
 * sorted, so the same busybox binary always gives the same image ID. The output is written to a
 * temporary file and renamed, so a crash never leaves a torn tarball behind.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tar from 'tar-stream';

const out = process.argv[2];
const busyboxPath = process.argv[3] ?? '/bin/busybox';
if (!out) {
  console.error('usage: build-busybox-image.mjs <out.tar> [busybox]');
  process.exit(2);
}

const MTIME = new Date('2024-01-01T00:00:00Z');
const CREATED = MTIME.toISOString().replace('.000Z', 'Z');

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;
// Shadow entries with locked passwords, as in the official image (tools such as `su`/`login` read it).
const SHADOW = PASSWD.split('\n')
  .filter(Boolean)
  .map((l) => `${l.split(':')[0]}:*::0:::::`)
  .join('\n') + '\n';

/** Collects a tar in memory (the layer is ~2 MB). */
async function tarOf(entries) {
  const pack = tar.pack();
  const chunks = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c);
  })();
  for (const e of entries) {
    await new Promise((resolve, reject) => {
      const cb = (err) => (err ? reject(err) : resolve());
      const header = { uid: 0, gid: 0, mtime: MTIME, ...e.header };
      if (e.body !== undefined) pack.entry({ ...header, size: e.body.length }, e.body, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const dir = (name, mode = 0o755) => ({ header: { name: `${name}/`, type: 'directory', mode } });
const file = (name, body, mode = 0o644) => ({ header: { name, type: 'file', mode }, body: Buffer.from(body) });

const busybox = fs.readFileSync(busyboxPath);
const applets = execFileSync(busyboxPath, ['--list'], { encoding: 'utf8' })
  .split('\n')
  .map((s) => s.trim())
  .filter((a) => a && a !== 'busybox' && !a.includes('/'))
  .sort();

const layerEntries = [
  dir('bin'),
  file('bin/busybox', busybox, 0o755),
  ...applets.map((a) => ({ header: { name: `bin/${a}`, type: 'symlink', linkname: 'busybox', mode: 0o777 } })),
  dir('dev'),
  dir('etc'),
  file('etc/group', GROUP),
  file('etc/passwd', PASSWD),
  file('etc/shadow', SHADOW, 0o640),
  dir('home'),
  dir('proc', 0o555),
  dir('root', 0o700),
  dir('sys', 0o555),
  dir('tmp', 0o1777),
  dir('usr'),
  dir('usr/sbin'),
  dir('var'),
  dir('var/spool'),
  dir('var/spool/mail'),
  dir('var/www'),
];
const layer = await tarOf(layerEntries);
const sha = (b) => createHash('sha256').update(b).digest('hex');
const diffId = `sha256:${sha(layer)}`;
const version = /BusyBox v\S+/.exec(execFileSync(busyboxPath, [], { encoding: 'utf8' }))?.[0] ?? 'BusyBox';

const config = Buffer.from(
  JSON.stringify({
    architecture: { x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    created: CREATED,
    history: [
      { created: CREATED, created_by: `/bin/sh -c #(nop) ADD file:${sha(busybox)} in / ` , comment: `${version} from the host's busybox-static` },
      { created: CREATED, created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    ],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [diffId] },
  }),
);
const configHex = sha(config);
const layerHex = diffId.slice(7);
const manifest = [{ Config: `blobs/sha256/${configHex}`, RepoTags: ['busybox:latest'], Layers: [`blobs/sha256/${layerHex}`] }];
const repositories = { busybox: { latest: layerHex } };

const archive = await tarOf([
  dir('blobs'),
  dir('blobs/sha256'),
  file(`blobs/sha256/${layerHex}`, layer),
  file(`blobs/sha256/${configHex}`, config),
  file('manifest.json', JSON.stringify(manifest)),
  file('repositories', JSON.stringify(repositories)),
]);

fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
const tmp = `${out}.tmp-${process.pid}`;
const fd = fs.openSync(tmp, 'w', 0o644);
try {
  fs.writeSync(fd, archive);
  fs.fsyncSync(fd);
} finally {
  fs.closeSync(fd);
}
fs.renameSync(tmp, out);
console.log(`busybox:latest sha256:${configHex} (${applets.length} applets) → ${out}`);
