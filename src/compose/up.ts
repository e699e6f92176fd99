/**
 * `compose up` and `compose down` (lecture concept: start every container of the application
 * at once, in dependency order, on its own network; take it all down again). Each service's
 * containers carry a hash of their configuration, so `up` recreates only the services whose
 * configuration (or image) changed, keeps the others running, and scales to `replicas`.
 */
import { DaemonError } from '../cli/client.js';
import { parsePortSpecs } from '../cli/commands/container-parse.js';
import type { ContainerInfo, Engine } from './engine.js';
import { ComposeError } from './errors.js';
import { COMPOSE_VERSION, configHash, containerLabels, containerName, L } from './labels.js';
import { dependencyOrder } from './load.js';
import type { Project, Service } from './types.js';

export interface UpOptions {
  forceRecreate: boolean;
  noDeps: boolean;
  /** Only these services (and their dependencies unless noDeps); all when empty. */
  services: string[];
  scale: Record<string, number>;
  removeOrphans: boolean;
  /** Builds a service's image (`build:`), returning its ID; set when the caller can build. */
  build?: (s: Service) => Promise<string>;
  alwaysBuild: boolean;
}

/** Progress lines as Compose prints them without a terminal (` Container p-web-1  Started`). */
export type Say = (line: string) => void;

/** A Compose duration (`1m30s`, `500ms`) in nanoseconds, as the Engine API takes them. */
const ns = (d: string | undefined) => {
  if (!d) return undefined;
  const unit = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 } as const;
  const parts = [...d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((m) => m[0]).join('') !== d) throw new ComposeError(`invalid duration "${d}"`);
  return Math.round(parts.reduce((n, m) => n + Number(m[1]) * unit[m[2] as keyof typeof unit], 0));
};

function createBody(p: Project, s: Service, n: number, image: string, hash: string): object {
  const { exposed, bindings } = parsePortSpecs(s.ports);
  for (const e of s.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  const nets = Object.entries(s.networks);
  const first = nets[0];
  const name = containerName(p.name, s.name, n);
  const hc = s.healthcheck;
  return {
    Image: image,
    ...(s.command ? { Cmd: s.command } : {}),
    ...(s.entrypoint ? { Entrypoint: s.entrypoint } : {}),
    Env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
    Labels: containerLabels(p, s, n, hash),
    WorkingDir: s.working_dir ?? '',
    User: s.user ?? '',
    ...(s.hostname ? { Hostname: s.hostname } : {}),
    ExposedPorts: exposed,
    ...(hc ? { Healthcheck: hc.disable ? { Test: ['NONE'] } : { Test: hc.test, Interval: ns(hc.interval), Timeout: ns(hc.timeout), Retries: hc.retries, StartPeriod: ns(hc.start_period) } } : {}),
    HostConfig: {
      PortBindings: bindings,
      Mounts: s.volumes.map((v) => ({ Type: v.type, ...(v.source ? { Source: v.type === 'volume' ? p.volumes[v.source]!.name : v.source } : {}), Target: v.target, ReadOnly: v.read_only })),
      RestartPolicy: { Name: s.restart === 'no' || !s.restart ? '' : s.restart.split(':')[0], ...(s.restart?.startsWith('on-failure:') ? { MaximumRetryCount: Number(s.restart.split(':')[1]) } : {}) },
      ...(first ? { NetworkMode: p.networks[first[0]]!.name } : {}),
    },
    NetworkingConfig: first ? { EndpointsConfig: { [p.networks[first[0]]!.name]: { Aliases: [s.name, name, ...first[1].aliases] } } } : {},
  };
}

async function ensureNetworksAndVolumes(e: Engine, p: Project, say: Say): Promise<void> {
  for (const [key, n] of Object.entries(p.networks)) {
    if (await e.networkExists(n.name)) continue;
    if (n.external) throw new ComposeError(`network ${n.name} declared as external, but could not be found`);
    say(` Network ${n.name}  Creating`);
    await e.createNetwork({ Name: n.name, Driver: n.driver ?? 'bridge', Internal: n.internal, Labels: { ...n.labels, [L.project]: p.name, [L.network]: key, [L.version]: COMPOSE_VERSION } });
    say(` Network ${n.name}  Created`);
  }
  for (const [key, v] of Object.entries(p.volumes)) {
    if (await e.volumeExists(v.name)) continue;
    if (v.external) throw new ComposeError(`external volume "${v.name}" not found`);
    say(` Volume "${v.name}"  Creating`);
    await e.createVolume({ Name: v.name, Driver: v.driver ?? 'local', DriverOpts: v.driver_opts, Labels: { ...v.labels, [L.project]: p.name, [L.volume]: key, [L.version]: COMPOSE_VERSION } });
    say(` Volume "${v.name}"  Created`);
  }
}

/** The services `up` acts on: those named and (unless noDeps) what they depend on. */
function selected(p: Project, o: UpOptions): string[] {
  const order = dependencyOrder(p.services);
  if (!o.services.length) return order;
  for (const n of o.services) if (!p.services[n]) throw new ComposeError(`no such service: ${n}`);
  const want = new Set<string>();
  const add = (n: string) => {
    if (want.has(n)) return;
    want.add(n);
    if (!o.noDeps) for (const d of Object.keys(p.services[n]!.depends_on)) if (p.services[d]) add(d);
  };
  o.services.forEach(add);
  return order.filter((n) => want.has(n));
}

/** Waits until `dep`'s containers meet `condition` (Compose's messages when they cannot). */
async function waitFor(e: Engine, p: Project, dep: string, condition: string): Promise<void> {
  const mine = (await e.containers(p.name)).filter((c) => c.Labels[L.service] === dep && c.Labels[L.oneoff] !== 'True');
  for (const c of mine) {
    const name = c.Names[0]!.slice(1);
    if (condition === 'service_completed_successfully') {
      const code = await e.wait(c.Id);
      if (code !== 0) throw new ComposeError(`service "${dep}" didn't complete successfully: exit ${code}`);
    } else if (condition === 'service_healthy') {
      for (;;) {
        const st = (await e.inspect(c.Id)).State;
        if (!st.Health) throw new ComposeError(`container ${name} has no healthcheck configured`);
        if (st.Health.Status === 'healthy') break;
        if (st.Health.Status === 'unhealthy') throw new ComposeError(`dependency failed to start: container ${name} is unhealthy`);
        if (!st.Running) throw new ComposeError(`dependency failed to start: container ${name} exited (${st.ExitCode})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}

export async function up(e: Engine, p: Project, o: UpOptions, say: Say): Promise<void> {
  await ensureNetworksAndVolumes(e, p, say);
  const existing = await e.containers(p.name);
  const orphans = existing.filter((c) => !p.services[c.Labels[L.service] ?? ''] && c.Labels[L.oneoff] !== 'True');
  if (orphans.length && !o.removeOrphans) say(`WARN[0000] Found orphan containers (${orphans.map((c) => c.Names[0]!.slice(1)).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
  if (o.removeOrphans) for (const c of orphans) await removeOne(e, c, say, false);
  for (const name of selected(p, o)) {
    const s = p.services[name]!;
    for (const [dep, d] of Object.entries(s.depends_on)) if (p.services[dep]) await waitFor(e, p, dep, d.condition);
    await converge(e, p, s, o, existing.filter((c) => c.Labels[L.service] === name && c.Labels[L.oneoff] !== 'True'), say);
  }
}

async function imageFor(e: Engine, p: Project, s: Service, o: UpOptions, say: Say): Promise<string> {
  if (s.build && o.build && (o.alwaysBuild || !s.image || !(await e.imageId(s.image)))) {
    const tagged = await e.imageId(s.image ?? `${p.name}-${s.name}`);
    if (!tagged || o.alwaysBuild) return o.build(s);
  }
  const ref = s.image ?? `${p.name}-${s.name}`;
  const id = await e.imageId(ref);
  if (id) return id;
  if (!s.image) throw new ComposeError(`service "${s.name}" has a build section but its image was not built`);
  say(` ${s.name} Pulling`);
  await e.pull(s.image);
  say(` ${s.name} Pulled`);
  return (await e.imageId(s.image))!;
}

/** Brings one service to `replicas` containers of its current configuration. */
async function converge(e: Engine, p: Project, s: Service, o: UpOptions, mine: ContainerInfo[], say: Say): Promise<void> {
  const imageId = await imageFor(e, p, s, o, say);
  const hash = configHash(s, imageId);
  const replicas = o.scale[s.name] ?? s.replicas;
  const byNumber = new Map(mine.map((c) => [Number(c.Labels[L.number]), c]));
  for (const [n, c] of byNumber) if (n > replicas) await removeOne(e, c, say, false);
  for (let n = 1; n <= replicas; n++) {
    const name = containerName(p.name, s.name, n);
    let c = byNumber.get(n);
    if (c && (o.forceRecreate || c.Labels[L.hash] !== hash)) {
      say(` Container ${name}  Recreate`);
      await e.remove(c.Id, false);
      c = undefined;
      say(` Container ${name}  Recreated`);
    }
    let id = c?.Id;
    if (!id) {
      if (!c) say(` Container ${name}  Creating`);
      try {
        id = await e.create(name, createBody(p, s, n, s.image ?? `${p.name}-${s.name}`, hash));
      } catch (err) {
        throw new ComposeError(`service "${s.name}": ${err instanceof DaemonError ? err.message : (err as Error).message}`);
      }
      for (const [key, net] of Object.entries(s.networks).slice(1)) await e.connect(p.networks[key]!.name, id, [s.name, name, ...net.aliases]);
      say(` Container ${name}  Created`);
    } else if (c!.State === 'running') {
      say(` Container ${name}  Running`);
      continue;
    }
    say(` Container ${name}  Starting`);
    try {
      await e.start(id);
    } catch (err) {
      throw new ComposeError(`service "${s.name}" failed to start: ${err instanceof DaemonError ? err.daemonMessage : (err as Error).message}`);
    }
    say(` Container ${name}  Started`);
  }
}

async function removeOne(e: Engine, c: ContainerInfo, say: Say, volumes: boolean): Promise<void> {
  const name = c.Names[0]!.slice(1);
  if (c.State === 'running') {
    say(` Container ${name}  Stopping`);
    await e.stop(c.Id);
    say(` Container ${name}  Stopped`);
  }
  say(` Container ${name}  Removing`);
  await e.remove(c.Id, volumes);
  say(` Container ${name}  Removed`);
}

export interface DownOptions {
  volumes: boolean;
  removeOrphans: boolean;
  /** `--rmi local`: the images built for services without an `image:` name; `all`: every service image. */
  rmi?: 'local' | 'all';
}

/** Stops and removes the project's containers, then its networks (and named volumes with -v). */
export async function down(e: Engine, p: Project, o: DownOptions, say: Say): Promise<void> {
  const all = await e.containers(p.name);
  // Dependents first: the reverse of the start order; orphans only with --remove-orphans.
  const order = dependencyOrder(p.services).reverse();
  const rank = (c: ContainerInfo) => {
    const i = order.indexOf(c.Labels[L.service] ?? '');
    return i < 0 ? -1 : i;
  };
  for (const c of all.filter((c) => rank(c) >= 0 || o.removeOrphans || c.Labels[L.oneoff] === 'True').sort((a, b) => rank(a) - rank(b))) await removeOne(e, c, say, o.volumes);
  for (const n of await e.projectNetworks(p.name)) {
    if (Object.values(p.networks).some((x) => x.name === n.Name && x.external)) continue;
    say(` Network ${n.Name}  Removing`);
    await e.removeNetwork(n.Name);
    say(` Network ${n.Name}  Removed`);
  }
  if (o.rmi)
    for (const s of Object.values(p.services)) {
      if (o.rmi === 'local' && s.image) continue;
      const ref = s.image ?? `${p.name}-${s.name}`;
      if (!(await e.imageId(ref))) continue;
      say(` Image ${ref}  Removing`);
      await e.removeImage(ref);
      say(` Image ${ref}  Removed`);
    }
  if (o.volumes)
    for (const v of await e.projectVolumes(p.name)) {
      if (Object.values(p.volumes).some((x) => x.name === v.Name && x.external)) continue;
      say(` Volume ${v.Name}  Removing`);
      await e.removeVolume(v.Name);
      say(` Volume ${v.Name}  Removed`);
    }
}
