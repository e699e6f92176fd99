/**
 * The measurements of issue 6, through the docker CLI with Docker's legacy builder
 * (`DOCKER_BUILDKIT=0`, the builder Berth implements) on both engines:
 *
 * - `build`: a cold build (`--no-cache`) of a small Dockerfile with one `RUN` on busybox — one
 *   build container, one layer committed, the image tagged;
 * - `rebuild`: the same build again with the cache, every step a hit (checked: the output says
 *   `Using cache` for the RUN step) — no container at all.
 *
 * The images of the cold samples are removed after each one so that none accumulates.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, dockerOk, type Engine } from './engines.js';
import { alternate, type Contender } from './measure.js';
import type { BenchOptions } from './options.js';

export const BUILD_DOCKERFILE = 'FROM busybox\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n';
const TAG = 'bench-build:latest';
const LEGACY = { env: { DOCKER_BUILDKIT: '0' } };

export async function measureBuild(o: BenchOptions, sides: Contender[], stop: () => boolean, say: (m: string) => void): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'berth-bench-build-'));
  try {
    writeFileSync(join(ctx, 'Dockerfile'), BUILD_DOCKERFILE);
    const build = (e: Engine, extra: string[]) => dockerOk(e, ['build', ...extra, '-t', TAG, ctx], { ...LEGACY, timeoutMs: 120_000 });
    if (o.only.has('build')) {
      say(`build (cold, --no-cache) of a one-RUN Dockerfile: ${o.runs} runs per engine`);
      const cold = await alternate(sides, 'build', o.runs, stop, async (e) => {
        const r = await build(e, ['--no-cache']);
        if (/Using cache/.test(r.stdout)) throw new Error('a --no-cache build used the cache');
        await docker(e, ['rmi', '-f', TAG]);
        return r.ms;
      });
      for (const [s, xs] of cold) s.results.build = xs;
    }
    if (o.only.has('rebuild') && !stop()) {
      for (const s of sides) await build(s.engine!, []).catch((err) => (s.results.errors.rebuild = (err as Error).message));
      say(`rebuild (every step cached): ${o.runs} runs per engine`);
      const cached = await alternate(sides.filter((s) => !s.results.errors.rebuild), 'rebuild', o.runs, stop, async (e) => {
        const r = await build(e, []);
        if ((r.stdout.match(/Using cache/g) ?? []).length < 2) throw new Error(`a rebuild missed the cache: ${r.stdout.slice(0, 300)}`);
        return r.ms;
      });
      for (const [s, xs] of cached) s.results.rebuild = xs;
      for (const s of sides) await docker(s.engine!, ['rmi', '-f', TAG]);
    }
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
