/**
 * The project's networks and volumes: created on first use with Compose's names and
 * labels, checked to exist when `external`, and refused when a same-named object belongs to
 * another project (Compose's "already exists but was not created for project" check).
 */
import { failedPrecondition, notFound } from '../lib/errors.js';
import { progress, type ComposeContext } from './context.js';
import { L, COMPOSE_VERSION, networkName, volumeName } from './naming.js';

interface Labelled {
  Name: string;
  Labels?: Record<string, string> | null;
}

/** Creates the networks `keys` if missing. */
export async function ensureNetworks(ctx: ComposeContext, keys: Iterable<string>): Promise<void> {
  const { project, engine } = ctx;
  for (const key of new Set(keys)) {
    const cfg = project.model.networks[key] ?? {};
    const name = networkName(project, key);
    const found = await engine.find<Labelled>('networks', name);
    if (cfg.external) {
      if (!found) throw notFound(`network ${name} declared as external, but could not be found`);
      continue;
    }
    if (found) {
      const owner = found.Labels?.[L.project];
      if (owner !== undefined && owner !== project.name) throw failedPrecondition(`network ${name} was found but has incorrect label ${L.project} set to "${owner}"`);
      continue;
    }
    progress(ctx, 'Network', name, 'Creating');
    await engine.createNetwork({
      Name: name,
      Driver: cfg.driver ?? 'bridge',
      Internal: !!cfg.internal,
      CheckDuplicate: true,
      Labels: { ...cfg.labels, [L.project]: project.name, [L.network]: key, [L.version]: COMPOSE_VERSION },
    });
    progress(ctx, 'Network', name, 'Created');
  }
}

/** Creates the named volumes `keys` if missing. */
export async function ensureVolumes(ctx: ComposeContext, keys: Iterable<string>): Promise<void> {
  const { project, engine } = ctx;
  for (const key of new Set(keys)) {
    const cfg = project.model.volumes[key] ?? {};
    const name = volumeName(project, key);
    const found = await engine.find<Labelled>('volumes', name);
    if (cfg.external) {
      if (!found) throw notFound(`external volume "${name}" not found`);
      continue;
    }
    if (found) {
      const owner = found.Labels?.[L.project];
      if (owner !== undefined && owner !== project.name) ctx.err.write(`WARN[0000] volume "${name}" already exists but was created for project "${owner}" (expected "${project.name}"). Use \`external: true\` to use an existing volume\n`);
      continue;
    }
    progress(ctx, 'Volume', name, 'Creating');
    await engine.createVolume({ Name: name, Driver: cfg.driver ?? 'local', Labels: { ...cfg.labels, [L.project]: project.name, [L.volume]: key, [L.version]: COMPOSE_VERSION } });
    progress(ctx, 'Volume', name, 'Created');
  }
}

/**
 * Removes the project's networks: those of the model (not external) and any other network
 * labelled with the project (left by services that are gone). A network still in use is
 * reported and kept.
 */
export async function removeNetworks(ctx: ComposeContext): Promise<void> {
  const { project, engine } = ctx;
  const names = new Set<string>();
  for (const [key, cfg] of Object.entries(project.model.networks)) if (!cfg.external) names.add(networkName(project, key));
  for (const n of await engine.list<Labelled>('networks', [`${L.project}=${project.name}`])) names.add(n.Name);
  for (const name of [...names].sort()) {
    const found = await engine.find<Labelled>('networks', name);
    if (!found) continue;
    // A same-named network of someone else is not ours to remove.
    if (found.Labels?.[L.project] !== project.name) continue;
    progress(ctx, 'Network', name, 'Removing');
    await engine.removeObject('networks', name);
    progress(ctx, 'Network', name, 'Removed');
  }
}

/** Removes the project's named volumes (`down -v`). */
export async function removeVolumes(ctx: ComposeContext): Promise<void> {
  const { project, engine } = ctx;
  const names = new Set<string>();
  for (const [key, cfg] of Object.entries(project.model.volumes)) if (!cfg.external) names.add(volumeName(project, key));
  for (const v of await engine.list<Labelled>('volumes', [`${L.project}=${project.name}`])) names.add(v.Name);
  for (const name of [...names].sort()) {
    const found = await engine.find<Labelled>('volumes', name);
    if (!found || found.Labels?.[L.project] !== project.name) continue;
    progress(ctx, 'Volume', name, 'Removing');
    await engine.removeObject('volumes', name);
    progress(ctx, 'Volume', name, 'Removed');
  }
}
