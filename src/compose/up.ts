/**
 * `up`: images first, then networks and volumes, then — as Compose does — every service's
 * containers converged to the plan in dependency order (create, recreate, scale down), and
 * only then started, each service once its dependencies meet their conditions. A container
 * that fails to start stops the run with the service and the reason named; services already
 * started keep running and the later ones stay created, as with Compose.
 */
import { failedPrecondition, invalidArgument, messageOf } from '../lib/errors.js';
import { progress, type ComposeContext } from './context.js';
import { aliasesOn, createRequest, serviceNetworks } from './convert.js';
import { startOrder, withDependencies } from './graph.js';
import { waitCondition } from './health.js';
import { ensureImages } from './images.js';
import { L, configHash, imageName, networkName, projectLabels } from './naming.js';
import { observe, planService, type Observed } from './planner.js';
import { ensureNetworks, ensureVolumes } from './resources.js';

export interface UpOptions {
  services: string[];
  build?: boolean;
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  scale?: Map<string, number>;
}

/** The project's containers (not one-off) of `service`, or of every service. */
export async function serviceContainers(ctx: ComposeContext, service?: string) {
  return ctx.engine.containers(projectLabels(ctx.project.name, service));
}

/** Checks that every named service exists. */
export function checkServices(ctx: ComposeContext, names: readonly string[]): void {
  for (const n of names) if (!ctx.project.model.services[n]) throw invalidArgument(`no such service: ${n}`);
}

/** Creates replica `n` of `service` and joins its other networks; returns the container id. */
export async function createReplica(ctx: ComposeContext, service: string, n: number): Promise<{ id: string; name: string }> {
  // The request names the image as the file does (so `ps` shows `busybox`); the planner
  // compares the containers' image IDs with the one resolved before.
  const { name, body } = createRequest(ctx.project, service, n, imageName(ctx.project, service));
  progress(ctx, 'Container', name, 'Creating');
  const id = await ctx.engine.create(name, body);
  for (const net of serviceNetworks(ctx.project.model.services[service]!).slice(1)) {
    await ctx.engine.connect(networkName(ctx.project, net), id, aliasesOn(ctx.project, service, name, net));
  }
  progress(ctx, 'Container', name, 'Created');
  return { id, name };
}

async function startOne(ctx: ComposeContext, service: string, id: string, name: string): Promise<void> {
  progress(ctx, 'Container', name, 'Starting');
  try {
    await ctx.engine.start(id);
  } catch (e) {
    progress(ctx, 'Container', name, 'Error');
    throw failedPrecondition(`service "${service}" failed to start: container ${name}: ${messageOf(e)}`);
  }
  progress(ctx, 'Container', name, 'Started');
}

async function removeOne(ctx: ComposeContext, c: Observed): Promise<void> {
  if (c.running) {
    progress(ctx, 'Container', c.name, 'Stopping');
    await ctx.engine.stop(c.id);
    progress(ctx, 'Container', c.name, 'Stopped');
  }
  progress(ctx, 'Container', c.name, 'Removing');
  await ctx.engine.remove(c.id);
  progress(ctx, 'Container', c.name, 'Removed');
}

/**
 * Brings one service's containers to its plan, short of starting them (Compose creates every
 * service before starting any); returns the containers to start.
 */
async function converge(ctx: ComposeContext, service: string, image: string, opts: UpOptions): Promise<Array<{ id: string; name: string; recreated?: boolean }>> {
  const s = ctx.project.model.services[service]!;
  const existing = (await serviceContainers(ctx, service)).map(observe);
  const replicas = opts.scale?.get(service) ?? s.deploy?.replicas ?? 1;
  if (s.container_name && replicas > 1) throw invalidArgument(`services.${service}: can't set container_name and scale the service to ${replicas} replicas`);
  const actions = planService(existing, { replicas, hash: configHash(s), image, forceRecreate: opts.forceRecreate, noRecreate: opts.noRecreate });
  const toStart: Array<{ id: string; name: string; recreated?: boolean }> = [];
  for (const a of actions) {
    if (a.kind === 'remove') await removeOne(ctx, a.container);
    else if (a.kind === 'keep') progress(ctx, 'Container', a.container.name, 'Running');
    else if (a.kind === 'start') toStart.push(a.container);
    else if (a.kind === 'create') toStart.push(await createReplica(ctx, service, a.number));
    else {
      // Recreate: the old container steps aside under a temporary name, so the new one can
      // take its name; it is removed once the new one exists.
      const old = a.container;
      progress(ctx, 'Container', old.name, 'Recreate');
      if (old.running) await ctx.engine.stop(old.id);
      await ctx.engine.rename(old.id, `${old.id.slice(0, 12)}_${old.name}`);
      const c = await createReplica(ctx, service, old.number);
      await ctx.engine.remove(old.id);
      progress(ctx, 'Container', old.name, 'Recreated');
      toStart.push({ ...c, recreated: true });
    }
  }
  return toStart;
}

/** Waits until the dependencies of `service` meet their conditions. */
async function waitDependencies(ctx: ComposeContext, service: string): Promise<void> {
  const s = ctx.project.model.services[service]!;
  for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
    if (!ctx.project.model.services[dep]) continue;
    for (const c of (await serviceContainers(ctx, dep)).map(observe)) {
      if (condition === 'service_started') continue;
      progress(ctx, 'Container', c.name, 'Waiting');
      try {
        await waitCondition(ctx, c.id, c.name, dep, condition);
      } catch (e) {
        progress(ctx, 'Container', c.name, 'Error');
        throw failedPrecondition(`dependency failed to start: ${messageOf(e)}`);
      }
      progress(ctx, 'Container', c.name, condition === 'service_healthy' ? 'Healthy' : 'Exited');
    }
  }
}

/** Creates the networks and named volumes `services` use, if missing. */
export async function ensureResources(ctx: ComposeContext, services: readonly string[]): Promise<void> {
  const model = ctx.project.model;
  await ensureNetworks(ctx, services.flatMap((s) => serviceNetworks(model.services[s]!)));
  await ensureVolumes(ctx, services.flatMap((s) => (model.services[s]!.volumes ?? []).filter((v) => v.type === 'volume' && v.source).map((v) => v.source!)));
}

/** Containers of the project whose service is not in the model. */
export async function orphans(ctx: ComposeContext): Promise<Observed[]> {
  return (await serviceContainers(ctx)).filter((c) => !ctx.project.model.services[c.Labels[L.service] ?? '']).map(observe);
}

/** Runs `up`; resolves with the services it brought up, in start order. */
export async function up(ctx: ComposeContext, opts: UpOptions): Promise<string[]> {
  const model = ctx.project.model;
  checkServices(ctx, opts.services);
  for (const name of opts.scale?.keys() ?? []) checkServices(ctx, [name]);
  const targets = !opts.services.length ? Object.keys(model.services) : opts.noDeps ? opts.services : withDependencies(model, opts.services);
  // --no-deps: the dependencies are neither started nor waited for.
  const order = startOrder(model, targets.sort()).filter((s) => targets.includes(s));
  // Images first: a pull or build that fails leaves no network or volume behind.
  const images = await ensureImages(ctx, order, { build: opts.build });
  await ensureResources(ctx, order);
  const stray = await orphans(ctx);
  if (stray.length && opts.removeOrphans) for (const c of stray) await removeOne(ctx, c);
  else if (stray.length)
    ctx.err.write(`WARN[0000] Found orphan containers ([${stray.map((c) => c.name).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n`);
  const toStart = new Map<string, Array<{ id: string; name: string; recreated?: boolean }>>();
  const replaced = new Set<string>();
  for (const service of order) {
    // A service living in another's network namespace must follow that one's new container.
    const host = /^service:(.+)$/.exec(model.services[service]!.network_mode ?? '')?.[1];
    const force = opts.forceRecreate || (host !== undefined && replaced.has(host));
    const started = await converge(ctx, service, images.get(service)!, { ...opts, forceRecreate: force });
    if (started.some((c) => c.recreated)) replaced.add(service);
    toStart.set(service, started);
  }
  for (const service of order) {
    const pending = toStart.get(service)!;
    if (!pending.length) continue;
    await waitDependencies(ctx, service);
    for (const c of pending) await startOne(ctx, service, c.id, c.name);
  }
  return order;
}
