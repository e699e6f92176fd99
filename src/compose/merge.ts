/**
 * Merging several `-f` files, by Compose's rules: later files override scalars; maps
 * (environment, labels, networks, depends_on, build args) merge key by key; `ports` and
 * `expose` append without duplicates; `volumes` merge by target path; `command`,
 * `entrypoint` and `healthcheck.test` are replaced as a whole.
 */
import type { ComposeModel, PortConfig, ServiceConfig, ServiceVolume } from './model.js';

function union<T>(a: T[] | undefined, b: T[] | undefined, key: (x: T) => string): T[] | undefined {
  if (!a) return b;
  if (!b) return a;
  const out = new Map<string, T>();
  for (const x of [...a, ...b]) out.set(key(x), x);
  return [...out.values()];
}

function mergeService(base: ServiceConfig, over: ServiceConfig): ServiceConfig {
  const out: ServiceConfig = { ...base, ...over };
  if (base.environment || over.environment) out.environment = { ...base.environment, ...over.environment };
  if (base.labels || over.labels) out.labels = { ...base.labels, ...over.labels };
  if (base.networks || over.networks) out.networks = { ...base.networks, ...over.networks };
  if (base.depends_on || over.depends_on) out.depends_on = { ...base.depends_on, ...over.depends_on };
  if (base.deploy || over.deploy) out.deploy = { ...base.deploy, ...over.deploy };
  if (base.healthcheck || over.healthcheck) out.healthcheck = { ...base.healthcheck, ...over.healthcheck };
  if (base.build && over.build) out.build = { ...base.build, ...over.build, args: { ...base.build.args, ...over.build.args } };
  out.ports = union<PortConfig>(base.ports, over.ports, (p) => JSON.stringify([p.host_ip ?? '', p.published ?? '', p.target, p.protocol]));
  out.expose = union(base.expose, over.expose, String);
  out.env_file = union(base.env_file, over.env_file, String);
  out.profiles = union(base.profiles, over.profiles, String);
  for (const k of ['cap_add', 'cap_drop', 'dns', 'extra_hosts'] as const) out[k] = union(base[k], over[k], String);
  out.volumes = union<ServiceVolume>(base.volumes, over.volumes, (v) => v.target);
  for (const k of Object.keys(out) as Array<keyof ServiceConfig>) if (out[k] === undefined) delete out[k];
  return out;
}

/** Merges `over` into `base` (neither is modified). */
export function mergeModels(base: ComposeModel, over: ComposeModel): ComposeModel {
  const services = { ...base.services };
  for (const [name, s] of Object.entries(over.services)) services[name] = services[name] ? mergeService(services[name], s) : s;
  const networks = { ...base.networks };
  for (const [name, n] of Object.entries(over.networks)) networks[name] = { ...networks[name], ...n };
  const volumes = { ...base.volumes };
  for (const [name, v] of Object.entries(over.volumes)) volumes[name] = { ...volumes[name], ...v };
  const out: ComposeModel = { services, networks, volumes };
  const name = over.name ?? base.name;
  if (name !== undefined) out.name = name;
  return out;
}
