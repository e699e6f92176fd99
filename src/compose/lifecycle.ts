/**
 * `down`, `stop`, `start` and `restart` over the project's containers. `down` stops and
 * removes every container of the project (one-off ones and orphans' included, as Compose
 * does), then the networks, and with `-v` the volumes, with `--rmi` the images.
 */
import { messageOf } from '../lib/errors.js';
import { progress, type ComposeContext } from './context.js';
import { startOrder } from './graph.js';
import { imageName, L } from './naming.js';
import { observe, type Observed } from './planner.js';
import { removeNetworks, removeVolumes } from './resources.js';
import { checkServices } from './up.js';

export interface DownOptions {
  volumes?: boolean;
  rmi?: 'local' | 'all';
  removeOrphans?: boolean;
  timeout?: number;
}

/** Services in reverse dependency order (dependents stop first). */
function stopOrder(ctx: ComposeContext, services: readonly string[]): string[] {
  const all = startOrder(ctx.project.model, services.length ? services : undefined).reverse();
  return services.length ? all.filter((s) => services.includes(s)) : all;
}

/** Containers of `services` (all when empty) in stop order; those of services not in the file first. */
async function byStopOrder(ctx: ComposeContext, services: readonly string[], oneoffToo: boolean) {
  const label = [`${L.project}=${ctx.project.name}`];
  const all = await ctx.engine.containers(label);
  const pick = all.filter((c) => (oneoffToo || c.Labels[L.oneoff] !== 'True') && (!services.length || services.includes(c.Labels[L.service] ?? '')));
  const order = stopOrder(ctx, services);
  const rank = (svc: string) => (order.includes(svc) ? order.indexOf(svc) : -1);
  const svcOf = (o: Observed) => o.service;
  return pick.map(observe).sort((a, b) => rank(svcOf(a)) - rank(svcOf(b)) || b.number - a.number);
}

export async function down(ctx: ComposeContext, opts: DownOptions): Promise<void> {
  const errors: string[] = [];
  for (const c of await byStopOrder(ctx, [], true)) {
    try {
      if (c.running) {
        progress(ctx, 'Container', c.name, 'Stopping');
        await ctx.engine.stop(c.id, opts.timeout);
        progress(ctx, 'Container', c.name, 'Stopped');
      }
      progress(ctx, 'Container', c.name, 'Removing');
      await ctx.engine.remove(c.id, !!opts.volumes);
      progress(ctx, 'Container', c.name, 'Removed');
    } catch (e) {
      errors.push(messageOf(e));
    }
  }
  await removeNetworks(ctx);
  if (opts.volumes) await removeVolumes(ctx);
  if (opts.rmi) {
    for (const [name, s] of Object.entries(ctx.project.model.services)) {
      // `local`: only images built here without a name of their own.
      if (opts.rmi === 'local' && s.image) continue;
      const ref = imageName(ctx.project, name);
      if (!(await ctx.engine.find('images', ref))) continue;
      progress(ctx, 'Image', ref, 'Removing');
      try {
        await ctx.engine.removeObject('images', ref);
        progress(ctx, 'Image', ref, 'Removed');
      } catch (e) {
        errors.push(messageOf(e));
      }
    }
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

export async function stop(ctx: ComposeContext, services: string[], timeout?: number): Promise<void> {
  checkServices(ctx, services);
  for (const c of await byStopOrder(ctx, services, false)) {
    if (!c.running) continue;
    progress(ctx, 'Container', c.name, 'Stopping');
    await ctx.engine.stop(c.id, timeout);
    progress(ctx, 'Container', c.name, 'Stopped');
  }
}

/** The project's containers of `services` (all when empty) in start order, dependencies first. */
async function byStartOrder(ctx: ComposeContext, services: readonly string[]) {
  return (await byStopOrder(ctx, services, false)).reverse();
}

export async function start(ctx: ComposeContext, services: string[]): Promise<void> {
  checkServices(ctx, services);
  const list = await byStartOrder(ctx, services);
  if (!list.length) throw new Error(services.length ? `service "${services[0]}" has no container to start` : 'no containers to start');
  for (const c of list) {
    if (c.running) continue;
    progress(ctx, 'Container', c.name, 'Starting');
    await ctx.engine.start(c.id);
    progress(ctx, 'Container', c.name, 'Started');
  }
}

export async function restart(ctx: ComposeContext, services: string[], timeout?: number): Promise<void> {
  checkServices(ctx, services);
  for (const c of await byStartOrder(ctx, services)) {
    progress(ctx, 'Container', c.name, 'Restarting');
    await ctx.engine.restart(c.id, timeout);
    progress(ctx, 'Container', c.name, 'Started');
  }
}
