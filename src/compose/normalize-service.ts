/**
 * One service of one file: checks every key and type, and turns the short forms into the
 * long forms of model.ts (`"127.0.0.1:8080:80/udp"` → a PortConfig, `"data:/srv:ro"` → a
 * ServiceVolume, environment lists → maps). Relative paths are resolved against `baseDir`.
 */
import path from 'node:path';
import { bool, int, isMap, keyValues, list, map, onlyKeys, scalar, shellWords, str, strings, type Raw } from './check.js';
import { ModelError, type DependsCondition, type Healthcheck, type PortConfig, type ServiceConfig, type ServiceVolume } from './model.js';

const SERVICE_KEYS = [
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'networks',
  'depends_on', 'healthcheck', 'restart', 'labels', 'working_dir', 'user', 'hostname', 'container_name', 'deploy', 'profiles',
  'stop_grace_period', 'stop_signal', 'tty', 'stdin_open', 'init', 'privileged', 'read_only', 'cap_add', 'cap_drop', 'dns', 'extra_hosts', 'network_mode',
] as const;
/** Keys of the Compose specification that berth compose does not implement: refused by name. */
const UNSUPPORTED = [
  'secrets', 'configs', 'logging', 'ulimits', 'sysctls', 'devices', 'links', 'external_links', 'pid', 'ipc', 'cgroup_parent',
  'security_opt', 'mem_limit', 'memswap_limit', 'cpus', 'cpu_shares', 'shm_size', 'platform', 'pull_policy', 'runtime', 'scale',
  'domainname', 'mac_address', 'volumes_from', 'tmpfs', 'group_add', 'userns_mode', 'isolation', 'labels_file', 'develop', 'extends',
];
const CONDITIONS: DependsCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];
const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

/** Normalises `services.<name>`. */
export function normalizeService(raw: Raw, p: string, baseDir: string): ServiceConfig {
  const m = map(raw ?? {}, p);
  for (const k of UNSUPPORTED) if (m[k] !== undefined) throw new ModelError(`${p}.${k}`, 'is not supported by berth compose');
  onlyKeys(m, SERVICE_KEYS, p);
  const s: ServiceConfig = {};
  const at = (k: string) => `${p}.${k}`;
  if (m['image'] !== undefined) s.image = str(m['image'], at('image'));
  if (m['build'] !== undefined) s.build = build(m['build'], at('build'), baseDir);
  if (m['command'] !== undefined) s.command = command(m['command'], at('command'));
  if (m['entrypoint'] !== undefined) s.entrypoint = command(m['entrypoint'], at('entrypoint'));
  if (m['environment'] !== undefined) s.environment = keyValues(m['environment'], at('environment'), true);
  if (m['env_file'] !== undefined) {
    const v = m['env_file'];
    s.env_file = (typeof v === 'string' ? [v] : strings(v, at('env_file'))).map((f) => path.resolve(baseDir, f));
  }
  if (m['ports'] !== undefined) s.ports = list(m['ports'], at('ports')).flatMap((x, i) => port(x, `${p}.ports[${i}]`));
  if (m['expose'] !== undefined) s.expose = strings(m['expose'], at('expose'));
  if (m['volumes'] !== undefined) s.volumes = list(m['volumes'], at('volumes')).map((x, i) => volume(x, `${p}.volumes[${i}]`, baseDir));
  if (m['networks'] !== undefined) s.networks = networks(m['networks'], at('networks'));
  if (m['depends_on'] !== undefined) s.depends_on = dependsOn(m['depends_on'], at('depends_on'));
  if (m['healthcheck'] !== undefined) s.healthcheck = healthcheck(m['healthcheck'], at('healthcheck'));
  if (m['restart'] !== undefined) {
    s.restart = str(m['restart'], at('restart'));
    if (!RESTART.test(s.restart)) throw new ModelError(at('restart'), `invalid restart policy "${s.restart}"`);
  }
  if (m['labels'] !== undefined) s.labels = keyValues(m['labels'], at('labels'), false) as Record<string, string>;
  for (const k of ['working_dir', 'user', 'hostname', 'container_name'] as const) if (m[k] !== undefined) s[k] = scalar(m[k], at(k));
  if (m['deploy'] !== undefined) {
    const d = map(m['deploy'], at('deploy'));
    onlyKeys(d, ['replicas'], at('deploy'));
    s.deploy = d['replicas'] === undefined ? {} : { replicas: int(d['replicas'], at('deploy.replicas')) };
  }
  if (m['profiles'] !== undefined) s.profiles = strings(m['profiles'], at('profiles'));
  if (m['stop_grace_period'] !== undefined) s.stop_grace_period = duration(m['stop_grace_period'], at('stop_grace_period'));
  if (m['stop_signal'] !== undefined) s.stop_signal = str(m['stop_signal'], at('stop_signal'));
  for (const k of ['tty', 'stdin_open', 'init', 'privileged', 'read_only'] as const) if (m[k] !== undefined) s[k] = bool(m[k], at(k));
  for (const k of ['cap_add', 'cap_drop'] as const) if (m[k] !== undefined) s[k] = strings(m[k], at(k));
  if (m['dns'] !== undefined) s.dns = typeof m['dns'] === 'string' ? [m['dns']] : strings(m['dns'], at('dns'));
  if (m['extra_hosts'] !== undefined) s.extra_hosts = extraHosts(m['extra_hosts'], at('extra_hosts'));
  if (m['network_mode'] !== undefined) {
    const mode = str(m['network_mode'], at('network_mode'));
    if (!/^(host|none|bridge|(service|container):.+)$/.test(mode)) throw new ModelError(at('network_mode'), `invalid network mode "${mode}"`);
    if (s.networks) throw new ModelError(at('network_mode'), 'network_mode and networks cannot be combined');
    s.network_mode = mode;
  }
  return s;
}

/** `extra_hosts` as a list (`host:ip` or `host=ip`) or a map, always `host:ip`. */
function extraHosts(v: Raw, p: string): string[] {
  const pairs = Array.isArray(v)
    ? v.map((x, i) => {
        const e = str(x, `${p}[${i}]`);
        const sep = e.includes('=') ? e.indexOf('=') : e.indexOf(':');
        if (sep <= 0) throw new ModelError(`${p}[${i}]`, `invalid extra host "${e}": expected HOST:IP`);
        return [e.slice(0, sep), e.slice(sep + 1)] as const;
      })
    : Object.entries(map(v, p)).map(([h, ip]) => [h, scalar(ip, `${p}.${h}`)] as const);
  return pairs.map(([h, ip]) => `${h}:${ip}`);
}

function command(v: Raw, p: string): string[] | null {
  if (v === null) return null;
  if (typeof v === 'string') return shellWords(v, p);
  return strings(v, p);
}

function build(v: Raw, p: string, baseDir: string): ServiceConfig['build'] {
  if (typeof v === 'string') return { context: path.resolve(baseDir, v) };
  const m = map(v, p);
  onlyKeys(m, ['context', 'dockerfile', 'args', 'target'], p);
  const b: NonNullable<ServiceConfig['build']> = { context: path.resolve(baseDir, m['context'] === undefined ? '.' : str(m['context'], `${p}.context`)) };
  if (m['dockerfile'] !== undefined) b.dockerfile = str(m['dockerfile'], `${p}.dockerfile`);
  if (m['args'] !== undefined) b.args = keyValues(m['args'], `${p}.args`, true);
  if (m['target'] !== undefined) b.target = str(m['target'], `${p}.target`);
  return b;
}

function portNumber(s: string, p: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new ModelError(p, `invalid port "${s}"`);
  return n;
}

function range(s: string, p: string): number[] {
  const [a, b] = s.split('-');
  const lo = portNumber(a!, p);
  const hi = b === undefined ? lo : portNumber(b, p);
  if (hi < lo) throw new ModelError(p, `invalid port range "${s}"`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** `ports:` items: `"80"`, `"8080:80"`, `"127.0.0.1:8080:80/udp"`, ranges, or the long form. */
function port(v: Raw, p: string): PortConfig[] {
  if (isMap(v)) {
    onlyKeys(v, ['target', 'published', 'host_ip', 'protocol', 'mode'], p);
    if (v['target'] === undefined) throw new ModelError(p, 'target is required');
    const out: PortConfig = { target: int(v['target'], `${p}.target`, 1), protocol: v['protocol'] === undefined ? 'tcp' : str(v['protocol'], `${p}.protocol`) };
    if (v['published'] !== undefined) out.published = scalar(v['published'], `${p}.published`);
    if (v['host_ip'] !== undefined) out.host_ip = str(v['host_ip'], `${p}.host_ip`);
    return [out];
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new ModelError(p, 'must be a string, number or mapping');
  const text = String(v);
  const [spec, protocol = 'tcp'] = text.split('/');
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new ModelError(p, `invalid protocol "${protocol}" in "${text}"`);
  // The host IP may be an IPv6 address in brackets; the last two colon-separated parts are the ports.
  const parts = spec!.split(':');
  const target = parts.pop()!;
  const published = parts.length ? parts.pop()! : undefined;
  const hostIp = parts.length ? parts.join(':').replace(/^\[|\]$/g, '') : undefined;
  const targets = range(target, p);
  const pubs = published ? range(published, p) : undefined;
  if (pubs && pubs.length !== targets.length && pubs.length !== 1) throw new ModelError(p, `port ranges do not match in "${text}"`);
  return targets.map((t, i) => {
    const out: PortConfig = { target: t, protocol };
    if (pubs) out.published = String(pubs.length === 1 && published!.includes('-') === false ? pubs[0] : pubs[i]);
    if (hostIp) out.host_ip = hostIp;
    return out;
  });
}

/** `volumes:` items: `"/path"`, `"name:/path[:ro]"`, `"./dir:/path"`, or the long form. */
function volume(v: Raw, p: string, baseDir: string): ServiceVolume {
  if (isMap(v)) {
    onlyKeys(v, ['type', 'source', 'target', 'read_only', 'tmpfs', 'volume', 'bind'], p);
    const type = str(v['type'], `${p}.type`);
    if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') throw new ModelError(`${p}.type`, `invalid mount type "${type}"`);
    if (v['target'] === undefined) throw new ModelError(p, 'target is required');
    const out: ServiceVolume = { type, target: str(v['target'], `${p}.target`) };
    if (v['source'] !== undefined) {
      const src = str(v['source'], `${p}.source`);
      out.source = type === 'bind' ? path.resolve(baseDir, src) : src;
    }
    if (type === 'bind' && !out.source) throw new ModelError(p, 'source is required for a bind mount');
    if (v['read_only'] !== undefined) out.read_only = bool(v['read_only'], `${p}.read_only`);
    if (v['bind'] !== undefined) {
      const b = map(v['bind'], `${p}.bind`);
      onlyKeys(b, ['create_host_path'], `${p}.bind`);
      if (b['create_host_path'] !== undefined) out.bind = { create_host_path: bool(b['create_host_path'], `${p}.bind.create_host_path`) };
    }
    if (v['tmpfs'] !== undefined) {
      const t = map(v['tmpfs'], `${p}.tmpfs`);
      out.tmpfs = t['size'] === undefined ? {} : { size: int(t['size'], `${p}.tmpfs.size`) };
    }
    return out;
  }
  const text = str(v, p);
  const parts = text.split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  if (parts.length > 3) throw new ModelError(p, `invalid volume specification "${text}"`);
  const [src, target, mode] = parts as [string, string, string | undefined];
  if (!target.startsWith('/')) throw new ModelError(p, `invalid volume specification "${text}": the target must be an absolute path`);
  const out: ServiceVolume = /^[./~]/.test(src)
    ? { type: 'bind', source: path.resolve(baseDir, src.replace(/^~(?=\/|$)/, process.env['HOME'] ?? '~')), target, bind: { create_host_path: true } }
    : { type: 'volume', source: src, target };
  if (mode !== undefined) {
    const opts = mode.split(',');
    for (const o of opts) if (!['ro', 'rw', 'z', 'Z', 'nocopy'].includes(o)) throw new ModelError(p, `invalid mode "${o}" in "${text}"`);
    if (opts.includes('ro')) out.read_only = true;
  }
  return out;
}

function networks(v: Raw, p: string): ServiceConfig['networks'] {
  const out: NonNullable<ServiceConfig['networks']> = {};
  if (Array.isArray(v)) {
    v.forEach((n, i) => (out[str(n, `${p}[${i}]`)] = null));
    return out;
  }
  for (const [name, cfg] of Object.entries(map(v, p))) {
    if (cfg === null || cfg === undefined) {
      out[name] = null;
      continue;
    }
    const c = map(cfg, `${p}.${name}`);
    onlyKeys(c, ['aliases'], `${p}.${name}`);
    out[name] = c['aliases'] === undefined ? {} : { aliases: strings(c['aliases'], `${p}.${name}.aliases`) };
  }
  return out;
}

function dependsOn(v: Raw, p: string): ServiceConfig['depends_on'] {
  const out: NonNullable<ServiceConfig['depends_on']> = {};
  if (Array.isArray(v)) {
    v.forEach((n, i) => (out[str(n, `${p}[${i}]`)] = { condition: 'service_started' }));
    return out;
  }
  for (const [name, cfg] of Object.entries(map(v, p))) {
    const c = map(cfg ?? {}, `${p}.${name}`);
    onlyKeys(c, ['condition', 'required', 'restart'], `${p}.${name}`);
    const cond = c['condition'] === undefined ? 'service_started' : str(c['condition'], `${p}.${name}.condition`);
    if (!CONDITIONS.includes(cond as DependsCondition)) throw new ModelError(`${p}.${name}.condition`, `must be one of ${CONDITIONS.join(', ')}`);
    out[name] = { condition: cond as DependsCondition };
    if (c['required'] !== undefined) out[name]!.required = bool(c['required'], `${p}.${name}.required`);
  }
  return out;
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

function duration(v: Raw, p: string): string {
  const d = scalar(v, p);
  if (!DURATION.test(d)) throw new ModelError(p, `invalid duration "${d}"`);
  return d;
}

function healthcheck(v: Raw, p: string): Healthcheck {
  const m = map(v, p);
  onlyKeys(m, ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'], p);
  const h: Healthcheck = {};
  if (m['test'] !== undefined) {
    const t = m['test'];
    h.test = typeof t === 'string' ? ['CMD-SHELL', t] : strings(t, `${p}.test`);
    if (!['NONE', 'CMD', 'CMD-SHELL'].includes(h.test[0] ?? '')) throw new ModelError(`${p}.test`, 'must start with NONE, CMD or CMD-SHELL');
  }
  for (const k of ['interval', 'timeout', 'start_period'] as const) {
    if (m[k] !== undefined) h[k] = duration(m[k], `${p}.${k}`);
  }
  if (m['retries'] !== undefined) h.retries = int(m['retries'], `${p}.retries`);
  if (m['disable'] !== undefined) h.disable = bool(m['disable'], `${p}.disable`);
  return h;
}
