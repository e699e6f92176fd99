/**
 * The steps that write files without running anything: COPY, ADD and WORKDIR (lecture concept:
 * these too add a layer). Each mounts a writable layer over the image so far (rootfs.ts), writes
 * into it, and stores what it wrote as the step's layer. COPY and ADD are keyed in the cache by the
 * checksums of what they copy — `COPY file:<sum> in /dest` — so a changed file misses from that
 * step on, while an unchanged one hits however recently it was touched.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BerthError, invalidArgument } from '../../lib/errors.js';
import type { ImageRuntimeConfig } from '../images/types.js';
import { resolveInRoot } from '../snapshots/scoped.js';
import { applyConfigStep, nopCmd } from './config-steps.js';
import { BuildContext } from './context.js';
import { chownIds, collectSources, copyInto, type CopySource } from './copy.js';
import type { Dispatcher, StageState } from './dispatch.js';
import type { CopyLike, Instruction } from './instructions.js';
import { MountedLayer } from './rootfs.js';
import { ShellLex } from './shell-lex.js';
import { envLookup, lexed } from './expand.js';

const clone = <T>(v: T): T => structuredClone(v);

/** Mounts a writable layer over the stage's image. */
function mountStage(d: Dispatcher, imageId: string): Promise<MountedLayer> {
  const chain = imageId ? d.deps.images.resolve(imageId).chainIds : [];
  return MountedLayer.mount(d.deps.images.overlay, d.deps.host, d.deps.mountDir, chain);
}

/** Writes heredoc sources (`COPY <<EOF /f`) to files, so they copy like any other. */
async function heredocSources(d: Dispatcher, st: StageState, ins: CopyLike, dir: string): Promise<{ sources: CopySource[]; hashes: string[] }> {
  const sources: CopySource[] = [];
  const hashes: string[] = [];
  const raw = new ShellLex('\\', { rawQuotes: true, rawEscapes: true });
  const env = st.cfg.config.Env ?? [];
  for (const [i, c] of ins.contents.entries()) {
    const data = c.expand ? lexed(() => raw.processWord(c.data, envLookup(env, st.args.filterAllowed(env)))) : c.data;
    const file = path.join(dir, String(i));
    await fs.writeFile(file, data, { mode: 0o644 });
    await fs.chmod(file, 0o644);
    sources.push({ abs: file, name: c.path, isDir: false, noDecompress: true });
    hashes.push(`file:${createHash('sha256').update(`${c.path}\0${data}`).digest('hex')}`);
  }
  return { sources, hashes };
}

/** COPY and ADD. */
export async function copyStep(d: Dispatcher, st: StageState, ins: CopyLike): Promise<void> {
  const cmd = ins.name.toUpperCase();
  if (ins.chmod) throw invalidArgument('the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled');
  let source: MountedLayer | undefined;
  let dest: MountedLayer | undefined;
  const tmp = path.join(d.deps.workDir, `heredoc-${randomBytes(6).toString('hex')}`);
  try {
    let ctx = d.ctx;
    if (ins.from) {
      source = await mountStage(d, d.fromImage(ins.from));
      ctx = BuildContext.at(source.root);
    }
    let sources: CopySource[] = [];
    const hashes: string[] = [];
    try {
      if (ins.sources.length) {
        const found = await collectSources(ctx, ins.sources, cmd, !!ins.from);
        sources = found.sources;
        hashes.push(found.hash);
      }
      if (ins.contents.length) {
        await fs.mkdir(tmp, { recursive: true, mode: 0o700 });
        const docs = await heredocSources(d, st, ins, tmp);
        sources.push(...docs.sources);
        hashes.push(...docs.hashes);
      }
    } catch (err) {
      if (err instanceof BerthError) throw new BerthError(err.kind, `${cmd} failed: ${err.message}`);
      throw err;
    }
    if (sources.length > 1 && !ins.dest.endsWith('/')) throw invalidArgument(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
    const hash = hashes.length === 1 ? hashes[0]! : `multi:${createHash('sha256').update(hashes.join(',')).digest('hex')}`;
    const chown = ins.chown ? `--chown=${ins.chown} ` : '';
    const key: ImageRuntimeConfig = { ...clone(st.cfg.config), Cmd: nopCmd(st.cfg.config, `${cmd} ${chown}${hash} in ${ins.dest} `, true) };
    if (d.probe(st, key)) return;
    dest = await mountStage(d, st.imageId);
    // No --chown: root owns the copies, except what COPY --from copies, which keeps its owners.
    const owner = ins.chown ? await chownIds(dest.root, ins.chown) : ins.from ? undefined : { uid: 0, gid: 0 };
    try {
      await copyInto(dest.root, d.deps.host, sources, ins.dest, { ...(owner ? { owner } : {}), decompress: ins.name === 'add', workdir: st.cfg.config.WorkingDir ?? '' });
    } catch (err) {
      if (err instanceof BerthError) throw new BerthError(err.kind, `failed to copy files: ${err.message}`);
      throw err;
    }
    await dest.unmount();
    await d.commit(st, key, dest.layer());
  } finally {
    await source?.release().catch(() => undefined);
    await dest?.release().catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** WORKDIR: the directory is made now (owned by root), so later steps and containers find it. */
export async function workdirStep(d: Dispatcher, st: StageState, ins: Instruction & { name: 'workdir' }): Promise<void> {
  const step = applyConfigStep(st.cfg, ins);
  const dir = st.cfg.config.WorkingDir!;
  const key: ImageRuntimeConfig = { ...clone(st.cfg.config), Cmd: nopCmd(st.cfg.config, step.comment, true) };
  if (d.probe(st, key)) return;
  const layer = await mountStage(d, st.imageId);
  try {
    const r = await resolveInRoot(layer.root, dir, { followFinal: true, mkdir: (abs) => fs.mkdir(abs, 0o755) });
    if (!r.isDir) throw invalidArgument(`mkdir ${dir}: not a directory`);
    await layer.unmount();
    await d.commit(st, key, layer.layer());
  } finally {
    await layer.release().catch(() => undefined);
  }
}
