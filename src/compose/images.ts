/**
 * Images for services: pulled when missing (or on `pull`), built from `build:` when missing
 * or when asked (`--build`, `build`), tagged `<project>-<service>` unless `image:` names the
 * result. The image ID is what containers are compared with, so a rebuild that changes the
 * image recreates the service's containers and one that does not leaves them alone.
 */
import { messageOf } from '../lib/errors.js';
import { progress, type ComposeContext } from './context.js';
import { imageName } from './naming.js';

export interface ImageOptions {
  build?: boolean;
  /** Pull even when present (the `pull` verb). */
  pull?: boolean;
  noCache?: boolean;
  quiet?: boolean;
}

/** Builds one service's image. */
export async function buildService(ctx: ComposeContext, service: string, opts: ImageOptions = {}): Promise<void> {
  const s = ctx.project.model.services[service]!;
  const tag = imageName(ctx.project, service);
  progress(ctx, 'Service', service, 'Building');
  try {
    await ctx.engine.build(
      { context: s.build!.context, dockerfile: s.build!.dockerfile, args: s.build!.args, target: s.build!.target, tag, noCache: opts.noCache },
      (line) => (opts.quiet ? undefined : ctx.out.write(line)),
    );
  } catch (e) {
    throw new Error(`failed to build service "${service}": ${messageOf(e)}`);
  }
  progress(ctx, 'Service', service, 'Built');
}

/** Pulls one service's image. */
export async function pullService(ctx: ComposeContext, service: string): Promise<void> {
  const ref = imageName(ctx.project, service);
  progress(ctx, 'Image', ref, 'Pulling');
  try {
    await ctx.engine.pull(ref);
  } catch (e) {
    throw new Error(`failed to pull image for service "${service}": ${messageOf(e)}`);
  }
  progress(ctx, 'Image', ref, 'Pulled');
}

/** Makes sure every service in `services` has its image; returns the image IDs by service. */
export async function ensureImages(ctx: ComposeContext, services: readonly string[], opts: ImageOptions = {}): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const service of services) {
    const s = ctx.project.model.services[service]!;
    const ref = imageName(ctx.project, service);
    let found = await ctx.engine.find<{ Id: string }>('images', ref);
    if (s.build && (opts.build || !found)) await buildService(ctx, service, opts);
    else if (!found || opts.pull) await pullService(ctx, service);
    found = await ctx.engine.find<{ Id: string }>('images', ref);
    if (!found) throw new Error(`no image for service "${service}": ${ref}`);
    ids.set(service, found.Id);
  }
  return ids;
}
