/**
 * The build service: the daemon's entry to the legacy builder (builder.ts). At start it removes
 * what a build cut short by a crash left behind — step mounts, contexts on disk, step layers — so
 * builds never leak state across daemon restarts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { build, type BuildOptions } from './builder.js';
import type { BuildDeps } from './dispatch.js';
import type { BuildOutput } from './output.js';
import { STEP_KEY_PREFIX } from './rootfs.js';

export type { BuildOptions };

export class BuildService {
  /** Builds under way, so a daemon shutdown can cancel them and wait for their cleanup. */
  private running = new Set<{ abort: AbortController; done: Promise<unknown> }>();

  private constructor(readonly deps: BuildDeps) {}

  static async open(deps: BuildDeps): Promise<BuildService> {
    await fs.mkdir(deps.mountDir, { recursive: true, mode: 0o700 });
    for (const name of await fs.readdir(deps.mountDir)) {
      const p = path.join(deps.mountDir, name);
      await deps.host.unmount(p);
      await fs.rm(p, { recursive: true, force: true });
    }
    await fs.rm(deps.workDir, { recursive: true, force: true });
    await fs.mkdir(deps.workDir, { recursive: true, mode: 0o700 });
    for (const key of await deps.images.overlay.activeKeys()) if (key.startsWith(STEP_KEY_PREFIX)) await deps.images.overlay.remove(key);
    return new BuildService(deps);
  }

  /** Runs one build (see builder.ts); resolves with the image ID. `signal` cancels it. */
  async build(opts: BuildOptions, body: AsyncIterable<Uint8Array>, out: BuildOutput, signal?: AbortSignal): Promise<string> {
    const abort = new AbortController();
    const forward = () => abort.abort();
    signal?.addEventListener('abort', forward);
    const done = build(this.deps, opts, body, out, abort.signal);
    const entry = { abort, done: done.catch(() => undefined) };
    this.running.add(entry);
    try {
      return await done;
    } finally {
      signal?.removeEventListener('abort', forward);
      this.running.delete(entry);
    }
  }

  /** Cancels running builds and waits until each has cleaned up. */
  async close(): Promise<void> {
    const all = [...this.running];
    for (const b of all) b.abort.abort();
    await Promise.all(all.map((b) => b.done));
  }
}
