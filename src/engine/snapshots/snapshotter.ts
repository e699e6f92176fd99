/**
 * The overlay snapshotter (containerd's snapshotter role; lecture concept: read-only image
 * layers stacked by overlayfs under one writable container layer).
 *
 * Layout under `<dataRoot>/snapshots`:
 * - `<chainID hex>/fs` — one unpacked layer, shared by every image and container whose layer
 *   chain reaches it; `<chainID hex>/meta.json` describes it. Both are written in a staging
 *   directory and renamed into place complete, so a name that exists is a whole layer.
 * - `active/<key>/{upper,work}` — a container's writable layer.
 * - `empty/` — the lower dir of an image with no layers (overlay needs at least one).
 * - `tmp/` — staging; emptied at start.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { failedPrecondition, invalidArgument } from '../../lib/errors.js';
import { readJson, writeJsonAtomic } from '../../lib/fsutil.js';
import type { Host } from '../../host/host.js';
import type { Readable } from 'node:stream';
import { changes, dirUsage, type Change } from './diff.js';
import { packUpper } from './layer-tar.js';

/** The interface the container code uses (see the images brief). */
export interface Snapshotter {
  /** Lower dirs for overlay, top-most first; an image with no layers gets one empty dir. */
  lowerDirs(chainIds: string[]): string[];
  /** Creates (or reuses) the writable layer of container `key`. */
  prepare(key: string, chainIds: string[]): Promise<{ lower: string[]; upper: string; work: string }>;
  /** The paths `prepare` uses, computed without creating or waiting for anything. */
  paths(key: string, chainIds: string[]): { lower: string[]; upper: string; work: string };
  /** Deletes the writable layer of `key` (the caller unmounted it). */
  remove(key: string): Promise<void>;
  /** `docker diff`: changes in the writable layer against the image. */
  diff(key: string, chainIds: string[]): Promise<Change[]>;
  /** Bytes used by the writable layer. */
  usage(key: string): Promise<number>;
  /** The writable layer of `key` as an image layer tar; `skip` leaves container paths out. */
  layerTar(key: string, skip?: (containerPath: string) => boolean): Readable;
}

/** What is known about one committed layer snapshot. */
export interface LayerInfo {
  chainId: string;
  diffId: string;
  parent?: string;
  /** Unpacked size in bytes. */
  size: number;
}

/** A layer being unpacked: `fs` is the private extraction target. */
export interface StagedSnapshot {
  dir: string;
  fs: string;
}

/** Chain IDs per the OCI image spec: chain(L1)=diff(L1), chain(Ln)=sha256(chain(Ln-1)+" "+diff(Ln)). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

function hexOf(chainId: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(chainId);
  if (!m) throw invalidArgument(`invalid chain ID "${chainId}"`);
  return m[1]!;
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class OverlaySnapshotter implements Snapshotter {
  /**
   * Set by the image service: waits until the given layers are unpacked (they are unpacked in
   * the background after `load`), failing when one cannot be. Without it layers must exist.
   */
  waitFor: ((chainIds: string[]) => Promise<void>) | undefined;

  private constructor(
    readonly root: string,
    private readonly host: Host,
  ) {}

  /** Opens the snapshot root, discarding staging leftovers from a crash. */
  static async open(root: string, host: Host): Promise<OverlaySnapshotter> {
    const s = new OverlaySnapshotter(root, host);
    await fs.rm(s.tmpDir, { recursive: true, force: true });
    for (const d of [s.tmpDir, s.activeDir, s.emptyDir]) await fs.mkdir(d, { recursive: true, mode: 0o700 });
    await fs.chmod(s.emptyDir, 0o755);
    return s;
  }

  private get tmpDir() {
    return path.join(this.root, 'tmp');
  }
  private get activeDir() {
    return path.join(this.root, 'active');
  }
  private get emptyDir() {
    return path.join(this.root, 'empty');
  }

  /** Directory holding the unpacked layer `chainId`. */
  fsDir(chainId: string): string {
    return path.join(this.root, hexOf(chainId), 'fs');
  }

  /** True when layer `chainId` is committed. */
  async has(chainId: string): Promise<boolean> {
    return (await this.info(chainId)) !== undefined;
  }

  async info(chainId: string): Promise<LayerInfo | undefined> {
    return readJson<LayerInfo>(path.join(this.root, hexOf(chainId), 'meta.json'));
  }

  /** Chain IDs of every committed layer. */
  async list(): Promise<string[]> {
    const names = await fs.readdir(this.root);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** A fresh private directory to unpack one layer into. */
  async stage(): Promise<StagedSnapshot> {
    const dir = path.join(this.tmpDir, randomBytes(8).toString('hex'));
    await fs.mkdir(dir, { mode: 0o700 });
    await fs.mkdir(path.join(dir, 'fs'), { mode: 0o755 });
    return { dir, fs: path.join(dir, 'fs') };
  }

  /**
   * Moves a staged layer into place as `info.chainId`. If that layer already exists (another
   * image brought it first), the staged copy is discarded: layers are unpacked once.
   */
  async commit(staged: StagedSnapshot, info: LayerInfo): Promise<void> {
    await writeJsonAtomic(path.join(staged.dir, 'meta.json'), info);
    const final = path.join(this.root, hexOf(info.chainId));
    try {
      await fs.rename(staged.dir, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await this.discard(staged);
    }
  }

  /** Throws a staged layer away. */
  async discard(staged: StagedSnapshot): Promise<void> {
    await fs.rm(staged.dir, { recursive: true, force: true });
  }

  /** Deletes a committed layer: renamed out of sight first, so a crash never leaves half of it visible. */
  async delete(chainId: string): Promise<void> {
    await this.removeDir(path.join(this.root, hexOf(chainId)));
  }

  /** Renames `dir` out of sight, then deletes it, so a crash never leaves half of it visible. */
  private async removeDir(dir: string): Promise<void> {
    const trash = path.join(this.tmpDir, `del-${randomBytes(8).toString('hex')}`);
    try {
      await fs.rename(dir, trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await fs.rm(trash, { recursive: true, force: true });
  }

  lowerDirs(ids: string[]): string[] {
    if (ids.length === 0) return [this.emptyDir];
    return ids.map((id) => this.fsDir(id)).reverse();
  }

  private activePath(key: string): string {
    if (!KEY_RE.test(key)) throw invalidArgument(`invalid snapshot key "${key}"`);
    return path.join(this.activeDir, key);
  }

  /** Where `prepare` puts the layers of `key`, without creating or waiting for anything. */
  paths(key: string, ids: string[]): { lower: string[]; upper: string; work: string } {
    const dir = this.activePath(key);
    return { lower: this.lowerDirs(ids), upper: path.join(dir, 'upper'), work: path.join(dir, 'work') };
  }

  async prepare(key: string, ids: string[]): Promise<{ lower: string[]; upper: string; work: string }> {
    await this.waitFor?.(ids);
    for (const id of ids) if (!(await this.has(id))) throw failedPrecondition(`layer ${id} is not unpacked`);
    const dir = this.activePath(key);
    const upper = path.join(dir, 'upper');
    const work = path.join(dir, 'work');
    await fs.mkdir(upper, { recursive: true, mode: 0o755 });
    await fs.mkdir(work, { recursive: true, mode: 0o700 });
    return { lower: this.lowerDirs(ids), upper, work };
  }

  /** Keys of every writable layer (containers' and build steps'). */
  async activeKeys(): Promise<string[]> {
    return fs.readdir(this.activeDir).catch(() => []);
  }

  async remove(key: string): Promise<void> {
    await this.removeDir(this.activePath(key));
  }

  async diff(key: string, ids: string[]): Promise<Change[]> {
    const upper = path.join(this.activePath(key), 'upper');
    await this.waitFor?.(ids);
    return changes(upper, ids.length ? this.lowerDirs(ids) : [], this.host);
  }

  async usage(key: string): Promise<number> {
    return dirUsage(path.join(this.activePath(key), 'upper'));
  }

  layerTar(key: string, skip?: (containerPath: string) => boolean): Readable {
    return packUpper(path.join(this.activePath(key), 'upper'), this.host, skip);
  }
}

export type { Change };
