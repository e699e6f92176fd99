/**
 * The layer cache of the legacy builder (lecture concept: an unchanged step is not run again; its
 * earlier result is reused). Docker's rule: a step hits when an image built here earlier has the
 * current image as parent and recorded the same step — its `container_config`, whose Cmd names
 * the instruction (`#(nop)  ENV A=1`, `#(nop) COPY file:<sum> in /app`, or the RUN command with
 * its build args). The first miss in a stage stops all further lookups in that stage, so every
 * later step runs again; `nocache` turns lookups off.
 */
import type { ImageRuntimeConfig } from '../images/types.js';

/** The part of the image service the cache reads. */
export interface CacheSource {
  cachedChild(parent: string, matches: (recorded: ImageRuntimeConfig | undefined) => boolean): string | undefined;
}

const list = (v: string[] | null | undefined) => JSON.stringify(v ?? []);
const keys = (v: Record<string, unknown> | null | undefined) => JSON.stringify(Object.keys(v ?? {}).sort());
const map = (v: Record<string, string> | null | undefined) => JSON.stringify(Object.entries(v ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));

/** True when two recorded steps are the same step. */
export function sameStep(a: ImageRuntimeConfig | undefined, b: ImageRuntimeConfig): boolean {
  if (!a) return false;
  return (
    list(a.Cmd) === list(b.Cmd) &&
    list(a.Env) === list(b.Env) &&
    list(a.Entrypoint) === list(b.Entrypoint) &&
    list(a.Shell) === list(b.Shell) &&
    list(a.OnBuild) === list(b.OnBuild) &&
    keys(a.ExposedPorts) === keys(b.ExposedPorts) &&
    keys(a.Volumes) === keys(b.Volumes) &&
    map(a.Labels) === map(b.Labels) &&
    (a.User ?? '') === (b.User ?? '') &&
    (a.WorkingDir ?? '') === (b.WorkingDir ?? '') &&
    (a.StopSignal ?? '') === (b.StopSignal ?? '') &&
    JSON.stringify(a.Healthcheck ?? null) === JSON.stringify(b.Healthcheck ?? null)
  );
}

export class LayerCache {
  private busted = false;

  constructor(
    private readonly source: CacheSource,
    private readonly disabled: boolean,
  ) {}

  /** A new stage starts looking again. */
  reset(): void {
    this.busted = false;
  }

  /** The cached image for `step` on `parent` ('' for scratch), or undefined (and no more hits this stage). */
  probe(parent: string, step: ImageRuntimeConfig): string | undefined {
    if (this.disabled || this.busted) return undefined;
    const hit = this.source.cachedChild(parent, (recorded) => sameStep(recorded, step));
    if (!hit) this.busted = true;
    return hit;
  }
}
