/**
 * The images both engines load: busybox (for run/ps/rm/memory) and a ~250 MB Debian image made
 * with debootstrap (for load throughput).
 *
 * Archives are docker-archive tarballs (manifest.json + config + one layer.tar per layer), the
 * format `docker save` writes, built here from a root filesystem so that neither engine made
 * the archive the other one loads. The Debian one is cached in /var/cache/berth-bench/.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { run, runOk } from './proc.js';

export const CACHE_DIR = '/var/cache/berth-bench';

export interface ImageArchive {
  path: string;
  /** The reference it is tagged with inside the archive. */
  ref: string;
  bytes: number;
  /** How it was made, for the report. */
  source: string;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Writes `rootfs` as a one-layer docker-archive at `out`, tagged `ref`. Member names carry no
 * "./" prefix, as in Docker's own archives.
 */
export async function writeDockerArchive(rootfs: string, out: string, ref: string, config: { Cmd: string[]; Env: string[] }): Promise<void> {
  const staging = `${out}.staging`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const layerTmp = join(staging, 'layer.tar');
  await runOk('tar', ['--numeric-owner', '--sort=name', '-C', rootfs, '-cf', layerTmp, ...readdirSync(rootfs).sort()]);
  const diff = await sha256File(layerTmp);
  mkdirSync(join(staging, diff));
  renameSync(layerTmp, join(staging, diff, 'layer.tar'));
  const created = new Date().toISOString();
  const configJson = JSON.stringify({
    architecture: 'amd64', os: 'linux', created,
    config: { Cmd: config.Cmd, Env: config.Env },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diff}`] },
    history: [{ created, created_by: 'berth bench: root filesystem archive' }],
  });
  const id = createHash('sha256').update(configJson).digest('hex');
  writeFileSync(join(staging, `${id}.json`), configJson);
  writeFileSync(join(staging, 'manifest.json'), JSON.stringify([{ Config: `${id}.json`, RepoTags: [ref], Layers: [`${diff}/layer.tar`] }]));
  const colon = ref.lastIndexOf(':');
  writeFileSync(join(staging, 'repositories'), JSON.stringify({ [ref.slice(0, colon)]: { [ref.slice(colon + 1)]: diff } }));
  await runOk('tar', ['--numeric-owner', '-C', staging, '-cf', `${out}.tmp`, diff, `${id}.json`, 'manifest.json', 'repositories']);
  renameSync(`${out}.tmp`, out);
  rmSync(staging, { recursive: true, force: true });
}

/** A busybox root filesystem: the static binary, every applet as a symlink, passwd and group. */
export async function busyboxRootfs(dir: string, busyboxPath?: string): Promise<void> {
  const busybox = busyboxPath ?? (await busyboxBinary());
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev', 'var', 'home']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(busybox, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  const r = await run(busybox, ['--list-full']);
  for (const applet of r.stdout.split('\n').filter(Boolean)) {
    if (applet === 'bin/busybox' || existsSync(join(dir, applet))) continue;
    mkdirSync(dirname(join(dir, applet)), { recursive: true });
    symlinkSync('/bin/busybox', join(dir, applet));
  }
}

async function busyboxBinary(): Promise<string> {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(p)) return p;
  throw new Error('no busybox binary (apt-get install busybox-static)');
}

/**
 * busybox:latest as a docker-archive in `work`: made by the project's own
 * scripts/build-busybox-image.mjs when it exists (the image `npm start` ships), else here.
 */
export async function busyboxArchive(work: string, repoRoot: string): Promise<ImageArchive> {
  const out = join(work, 'busybox.tar');
  const script = join(repoRoot, 'scripts', 'build-busybox-image.mjs');
  if (existsSync(script)) {
    const r = await run(process.execPath, [script, out], { timeoutMs: 120_000 });
    if (r.code === 0 && existsSync(out)) {
      return { path: out, ref: 'busybox:latest', bytes: statSync(out).size, source: 'scripts/build-busybox-image.mjs' };
    }
    process.stderr.write(`bench: ${script} failed (${r.stderr.trim().split('\n').pop()}); building busybox here\n`);
  }
  const rootfs = join(work, 'busybox-rootfs');
  await busyboxRootfs(rootfs);
  await writeDockerArchive(rootfs, out, 'busybox:latest', { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] });
  rmSync(rootfs, { recursive: true, force: true });
  return { path: out, ref: 'busybox:latest', bytes: statSync(out).size, source: 'bench (host busybox-static)' };
}

/** The Debian mirror apt is configured with (deb822 or one-line format); deb.debian.org otherwise. */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)) : [])];
  for (const f of files.filter((f) => /\.(list|sources)$/.test(f))) {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    for (const stanza of text.split(/\n\s*\n/)) {
      if (/^Enabled:\s*no/mi.test(stanza)) continue;
      const uris = /^URIs:\s*(\S+)/m.exec(stanza);
      if (uris && /^Suites:.*\bbookworm\b/m.test(stanza) && !/security/.test(uris[1]!)) return uris[1]!;
    }
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (line) return line[1]!;
  }
  return 'http://deb.debian.org/debian';
}

/**
 * The ~250 MB image for `docker load`: Debian bookworm (minbase + perl) from debootstrap, cached.
 * If debootstrap fails, a busybox rootfs padded with 250 MiB of random files, said so in `source`.
 */
export async function bigArchive(work: string, ensureDebootstrap: () => Promise<void>): Promise<ImageArchive> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const debian = join(CACHE_DIR, 'debian-bookworm-minbase.tar');
  const padded = join(CACHE_DIR, 'busybox-padded-250m.tar');
  const debianRef = 'bench/debian:bookworm';
  const paddedRef = 'bench/padded:latest';
  if (existsSync(debian)) return { path: debian, ref: debianRef, bytes: statSync(debian).size, source: 'debootstrap --variant=minbase --include=perl bookworm (cached)' };
  const rootfs = join(work, 'debian-rootfs');
  let failure = '';
  try {
    await ensureDebootstrap();
    const mirror = debianMirror();
    process.stderr.write(`bench: building the load image with debootstrap from ${mirror} (cached for later runs)…\n`);
    await runOk('debootstrap', ['--variant=minbase', '--include=perl', 'bookworm', rootfs, mirror], { timeoutMs: 20 * 60_000 });
    // Device nodes are made by the runtime, not shipped in images (and Berth refuses them in layers).
    for (const d of ['dev', 'proc', 'sys']) {
      rmSync(join(rootfs, d), { recursive: true, force: true });
      mkdirSync(join(rootfs, d));
    }
    await writeDockerArchive(rootfs, debian, debianRef, { Cmd: ['bash'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] });
    return { path: debian, ref: debianRef, bytes: statSync(debian).size, source: 'debootstrap --variant=minbase --include=perl bookworm' };
  } catch (e) {
    failure = (e as Error).message.split('\n')[0] ?? String(e);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  process.stderr.write(`bench: debootstrap failed (${failure}); using a busybox rootfs padded with random files\n`);
  const note = `busybox padded with 250 × 1 MiB random files — debootstrap failed: ${failure}`;
  if (existsSync(padded)) return { path: padded, ref: paddedRef, bytes: statSync(padded).size, source: note + ' (cached)' };
  const pad = join(work, 'padded-rootfs');
  await busyboxRootfs(pad);
  mkdirSync(join(pad, 'pad'));
  for (let i = 0; i < 250; i++) writeFileSync(join(pad, 'pad', `f${String(i).padStart(3, '0')}`), randomBytes(1 << 20));
  await writeDockerArchive(pad, padded, paddedRef, { Cmd: ['sh'], Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] });
  rmSync(pad, { recursive: true, force: true });
  return { path: padded, ref: paddedRef, bytes: statSync(padded).size, source: note };
}
