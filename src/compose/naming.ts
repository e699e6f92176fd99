/**
 * Names and labels, exactly as Docker Compose v2 makes them, so that either tool finds the
 * other's objects: containers `<project>-<service>-<n>`, networks `<project>_<net>`, volumes
 * `<project>_<vol>`, and the `com.docker.compose.*` labels that say what belongs to whom.
 * The config hash is what decides whether a container must be recreated.
 */
import { createHash } from 'node:crypto';
import type { Project, ServiceConfig } from './model.js';

export const L = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  hash: 'com.docker.compose.config-hash',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  image: 'com.docker.compose.image',
  dependsOn: 'com.docker.compose.depends_on',
} as const;

/** The value of `com.docker.compose.version` on what berth compose creates. */
export const COMPOSE_VERSION = '2.0.0-berth';

export function containerName(project: string, service: string, n: number): string {
  return `${project}-${service}-${n}`;
}

/**
 * The engine name of network `key`: its `name:` if given, the key itself for an external
 * network, else `<project>_<key>`.
 */
export function networkName(project: Project, key: string): string {
  const n = project.model.networks[key];
  return n?.name ?? (n?.external ? key : `${project.name}_${key}`);
}

/** The engine name of volume `key`, by the same rule as networks. */
export function volumeName(project: Project, key: string): string {
  const v = project.model.volumes[key];
  return v?.name ?? (v?.external ? key : `${project.name}_${key}`);
}

/** Labels every container of the project carries (besides the service's own). */
export function containerLabels(project: Project, service: string, n: number, oneoff = false): Record<string, string> {
  const s = project.model.services[service]!;
  return {
    ...s.labels,
    [L.project]: project.name,
    [L.service]: service,
    [L.number]: String(n),
    [L.oneoff]: oneoff ? 'True' : 'False',
    [L.workingDir]: project.workingDir,
    [L.configFiles]: project.configFiles.join(','),
    [L.hash]: configHash(s),
    [L.version]: COMPOSE_VERSION,
    [L.dependsOn]: Object.entries(s.depends_on ?? {}).map(([d, c]) => `${d}:${c.condition}:false`).join(','),
  };
}

/** Canonical JSON: keys sorted at every level, so equal configs hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The hash of what a container is made from. Like Compose, the replica count, the build
 * section and the dependencies are left out: scaling, or editing how an image is built
 * (the image ID is compared on its own), recreates nothing.
 */
export function configHash(s: ServiceConfig): string {
  const { deploy: _d, build: _b, depends_on: _o, profiles: _p, ...rest } = s;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}

/** The image a service runs: its `image:`, else `<project>-<service>` built from `build:`. */
export function imageName(project: Project, service: string): string {
  return project.model.services[service]!.image ?? `${project.name}-${service}`;
}

/** Label filters selecting the project's (service-) containers, as the API's `label` filter takes them. */
export function projectLabels(project: string, service?: string, oneoff = false): string[] {
  const label = [`${L.project}=${project}`, `${L.oneoff}=${oneoff ? 'True' : 'False'}`];
  if (service) label.push(`${L.service}=${service}`);
  return label;
}
