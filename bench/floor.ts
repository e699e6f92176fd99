/**
 * Reference points printed beside the engines' figures. `runcFloor`: runc alone running `true`
 * in a busybox rootfs, with no daemon, CLI, overlay or monitor — the issue quotes it (~0.02 s) as
 * what an engine's `run --rm` adds to. `loadFloor`: GNU tar unpacking the load archive, which
 * shows how costly file creation is on the host at that moment (it dominates `load`).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxRootfs } from './images.js';
import { runOk } from './proc.js';
import { removeCgroup } from './teardown.js';

/** Median-ready wall times (ms) of `runc run` of `true`, after `warmups` untimed runs. */
export async function runcFloor(work: string, warmups: number, runs: number): Promise<number[]> {
  const bundle = join(work, 'runc-floor');
  const state = join(work, 'runc-state');
  mkdirSync(bundle, { recursive: true });
  mkdirSync(state, { recursive: true });
  await busyboxRootfs(join(bundle, 'rootfs'));
  await runOk('runc', ['spec', '--bundle', bundle]);
  const specPath = join(bundle, 'config.json');
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
    process: { terminal: boolean; args: string[] };
    root: { readonly: boolean };
    linux: { cgroupsPath?: string };
  };
  spec.process.terminal = false;
  spec.process.args = ['true'];
  spec.root.readonly = true;
  // Our own cgroup parent, removed below, instead of one cgroup per id at the hierarchy's root.
  const parent = `/berth-bench-runc-${work.split('/').at(-2)?.slice(-6) ?? 'floor'}`;
  const out: number[] = [];
  try {
    for (let i = 0; i < warmups + runs; i++) {
      const id = `berth-bench-floor-${process.pid}-${i}`;
      spec.linux.cgroupsPath = `${parent}/${id}`;
      writeFileSync(specPath, JSON.stringify(spec));
      const r = await runOk('runc', ['--root', state, 'run', '--bundle', bundle, id], { timeoutMs: 30_000 });
      if (i >= warmups) out.push(r.ms);
    }
  } finally {
    removeCgroup(parent);
  }
  return out;
}

/**
 * GNU tar unpacking the archive and then its layers into a directory in the bench's temp dir
 * (no fsync, no hashing). Not a strict floor: inode creation cost on ext4 varies with where and
 * when files are made, and an engine can beat it.
 */
export async function loadFloor(work: string, archive: string, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = join(work, `load-floor-${i}`);
    mkdirSync(join(dir, 'archive'), { recursive: true });
    mkdirSync(join(dir, 'rootfs'));
    const script = 'tar -C "$1/archive" -xf "$2" && for l in "$1"/archive/*/layer.tar; do tar -C "$1/rootfs" -xf "$l"; done';
    await runOk('sync', []);
    const t0 = performance.now();
    await runOk('sh', ['-c', script, 'sh', dir, archive], { timeoutMs: 600_000 });
    out.push(performance.now() - t0);
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
