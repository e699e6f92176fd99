/**
 * A writable layer over an image, mounted for one build step (lecture concept: the same overlay a
 * container gets — the image's read-only layers under a fresh upper directory). COPY, ADD and
 * WORKDIR write into it directly, without starting a container; what they wrote is then read back
 * as a layer tar. COPY --from mounts its source image the same way, to read from it. The mount is
 * private to the daemon while the step runs, which is what makes the scoped path walks safe.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Host } from '../../host/host.js';

/** The snapshot operations a build step needs. */
export interface StepSnapshots {
  prepare(key: string, chainIds: string[]): Promise<{ lower: string[]; upper: string; work: string }>;
  remove(key: string): Promise<void>;
  layerTar(key: string): Readable;
}

/** Snapshot keys of build steps start with this, so a crash's leftovers can be found. */
export const STEP_KEY_PREFIX = 'build-';

export class MountedLayer {
  private mounted = true;

  private constructor(
    private readonly snapshots: StepSnapshots,
    private readonly host: Host,
    readonly key: string,
    /** Where the merged file system is mounted. */
    readonly root: string,
  ) {}

  /** Prepares a writable layer over `chainIds` and mounts it under `workDir`. */
  static async mount(snapshots: StepSnapshots, host: Host, workDir: string, chainIds: string[]): Promise<MountedLayer> {
    const key = `${STEP_KEY_PREFIX}${randomBytes(8).toString('hex')}`;
    const root = path.join(workDir, key);
    const layer = await snapshots.prepare(key, chainIds);
    try {
      await fs.mkdir(root, { recursive: true, mode: 0o700 });
      await host.mountOverlay(layer.lower, layer.upper, layer.work, root);
    } catch (err) {
      await fs.rmdir(root).catch(() => undefined);
      await snapshots.remove(key).catch(() => undefined);
      throw err;
    }
    return new MountedLayer(snapshots, host, key, root);
  }

  async unmount(): Promise<void> {
    if (!this.mounted) return;
    await this.host.unmount(this.root);
    this.mounted = false;
    await fs.rmdir(this.root).catch(() => undefined);
  }

  /** What was written, as a layer tar (call after `unmount`). */
  layer(): Readable {
    return this.snapshots.layerTar(this.key);
  }

  /** Unmounts and deletes the writable layer. */
  async release(): Promise<void> {
    await this.unmount();
    await this.snapshots.remove(this.key);
  }
}
