/**
 * The shape checks Compose applies before anything runs: unknown keys and wrong types are
 * reported with their path in the file (`services.web.ports[0]`), in Compose's wording. Keys of
 * the specification that Berth does not implement are refused by name rather than ignored.
 */
import { ComposeError } from './errors.js';

type Kind = 'string' | 'number' | 'boolean' | 'list' | 'mapping' | 'string|list' | 'list|mapping' | 'string|mapping' | 'string|number' | 'any';

const SERVICE: Record<string, Kind> = {
  image: 'string', build: 'string|mapping', command: 'string|list', entrypoint: 'string|list', environment: 'list|mapping',
  env_file: 'string|list', ports: 'list', expose: 'list', volumes: 'list', networks: 'list|mapping', depends_on: 'list|mapping',
  healthcheck: 'mapping', restart: 'string', labels: 'list|mapping', working_dir: 'string', user: 'string', hostname: 'string',
  deploy: 'mapping', profiles: 'list', scale: 'number',
};
/** In the specification, not implemented here: refused by name. */
const UNSUPPORTED = ['container_name', 'stdin_open', 'tty', 'init', 'privileged', 'read_only', 'stop_signal', 'stop_grace_period', 'dns', 'extra_hosts', 'cap_add', 'cap_drop', 'tmpfs', 'pull_policy', 'secrets', 'configs', 'links', 'external_links', 'network_mode', 'pid', 'ipc', 'devices', 'ulimits', 'sysctls', 'logging', 'platform', 'runtime', 'volumes_from', 'extends', 'develop', 'credential_spec', 'cgroup_parent', 'domainname', 'mac_address', 'security_opt', 'shm_size', 'userns_mode', 'isolation', 'storage_opt', 'oom_score_adj', 'mem_limit', 'cpus', 'blkio_config', 'post_start', 'pre_stop', 'annotations', 'attach', 'models', 'provider', 'label_file', 'uts', 'use_api_socket', 'group_add', 'gpus'];
const BUILD: Record<string, Kind> = { context: 'string', dockerfile: 'string', args: 'list|mapping', target: 'string', labels: 'list|mapping', network: 'string', no_cache: 'boolean', pull: 'boolean' };
const HEALTH: Record<string, Kind> = { test: 'string|list', interval: 'string', timeout: 'string', retries: 'number', start_period: 'string', start_interval: 'string', disable: 'boolean' };
const NETWORK: Record<string, Kind> = { name: 'string', external: 'any', driver: 'string', internal: 'boolean', labels: 'list|mapping', attachable: 'boolean', ipam: 'mapping', driver_opts: 'mapping', enable_ipv6: 'boolean' };
const VOLUME: Record<string, Kind> = { name: 'string', external: 'any', driver: 'string', driver_opts: 'mapping', labels: 'list|mapping' };
const TOP: Record<string, Kind> = { version: 'string|number', name: 'string', services: 'mapping', networks: 'mapping', volumes: 'mapping' };

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}

const WORD: Record<string, string> = { list: 'array', mapping: 'object' };

/** Checks `v` against `kind`; Compose says "services.web.ports must be a array". */
function checkKind(v: unknown, kind: Kind, path: string): void {
  if (kind === 'any') return;
  const allowed = kind.split('|');
  if (allowed.includes(kindOf(v))) return;
  throw new ComposeError(`${path} must be a ${allowed.map((k) => WORD[k] ?? k).join(' or ')}`);
}

/** Checks one mapping's keys and value types. `x-` keys are extensions and always allowed. */
function checkMapping(m: Record<string, unknown>, keys: Record<string, Kind>, path: string, unsupported: string[] = []): void {
  for (const [k, v] of Object.entries(m)) {
    if (k.startsWith('x-')) continue;
    if (unsupported.includes(k)) throw new ComposeError(`${path}.${k} is not supported by berth compose`);
    const kind = keys[k];
    if (!kind) throw new ComposeError(`${path} additional properties '${k}' not allowed`);
    if (v === null && kind !== 'mapping') continue;
    checkKind(v, kind, `${path}.${k}`);
  }
}

/** Validates a whole (merged, interpolated) document. */
export function validate(doc: unknown): void {
  checkKind(doc, 'mapping', '(root)');
  const d = doc as Record<string, unknown>;
  checkMapping(d, TOP, '(root)');
  const services = (d['services'] ?? {}) as Record<string, unknown>;
  for (const [name, s] of Object.entries(services)) {
    const path = `services.${name}`;
    if (!/^[a-zA-Z0-9._-]+$/.test(name)) throw new ComposeError(`${path}: invalid service name "${name}": only [a-zA-Z0-9._-] are allowed`);
    checkKind(s ?? {}, 'mapping', path);
    const svc = (s ?? {}) as Record<string, unknown>;
    checkMapping(svc, SERVICE, path, UNSUPPORTED);
    if (svc['build'] && typeof svc['build'] === 'object') checkMapping(svc['build'] as Record<string, unknown>, BUILD, `${path}.build`);
    if (svc['healthcheck']) checkMapping(svc['healthcheck'] as Record<string, unknown>, HEALTH, `${path}.healthcheck`);
    if (svc['deploy']) for (const k of Object.keys(svc['deploy'] as object)) if (k !== 'replicas' && !k.startsWith('x-')) throw new ComposeError(`${path}.deploy.${k} is not supported by berth compose`);
    if (!svc['image'] && !svc['build']) throw new ComposeError(`service "${name}" has neither an image nor a build context specified: invalid compose project`);
  }
  for (const [key, spec] of [['networks', NETWORK], ['volumes', VOLUME]] as const) {
    for (const [name, v] of Object.entries((d[key] ?? {}) as Record<string, unknown>)) if (v) checkMapping(v as Record<string, unknown>, spec, `${key}.${name}`);
  }
}
