/**
 * Names and labels as Docker Compose gives them, so `docker compose` and `berth compose` see the
 * same project: containers `<project>-<service>-<n>`, networks `<project>_<key>`, volumes
 * `<project>_<key>`, and the `com.docker.compose.*` labels that find them again.
 */
import { createHash } from 'node:crypto';
import type { Project, Service } from './types.js';

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
} as const;

/** The Compose file format version the labels claim (what Compose v2 writes there is its own version). */
export const COMPOSE_VERSION = '2.24.0';

export function containerName(project: string, service: string, n: number): string {
  return `${project}-${service}-${n}`;
}

/** The image a `build:` service without `image:` gets. */
export function builtImageName(project: Project, s: Service): string {
  return s.image ?? `${project.name}-${s.name}`;
}

/** A digest of everything that shapes the service's containers: a change means recreate. */
export function configHash(s: Service, imageId: string): string {
  const { replicas: _r, depends_on: _d, profiles: _p, ...shape } = s;
  return createHash('sha256').update(JSON.stringify({ shape, imageId })).digest('hex');
}

export function containerLabels(p: Project, s: Service, n: number, hash: string): Record<string, string> {
  return {
    ...s.labels,
    [L.project]: p.name,
    [L.service]: s.name,
    [L.number]: String(n),
    [L.oneoff]: 'False',
    [L.workingDir]: p.workingDir,
    [L.configFiles]: p.configFiles.join(','),
    [L.hash]: hash,
    [L.version]: COMPOSE_VERSION,
  };
}
