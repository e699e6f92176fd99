/**
 * Short syntaxes to long ones, with Compose's rules: `environment` lists to maps, `ports` and
 * `volumes` strings to their parts, `networks` and `depends_on` lists to maps, `command` strings
 * split like a shell would (no shell runs them). Errors name the item's path.
 */
import path from 'node:path';
import { parsePortSpecs } from '../cli/commands/container-parse.js';
import { ComposeError } from './errors.js';
import type { BuildSpec, Dependency, Service, VolumeMount } from './types.js';

type Raw = Record<string, unknown>;

/** `a=b` lists or maps to a map of strings (`null` values stay unset, as `KEY` alone does). */
export function toMap(v: unknown, where: string): Record<string, string | null> {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) {
    const out: Record<string, string | null> = {};
    v.forEach((item, i) => {
      if (typeof item !== 'string') throw new ComposeError(`${where}[${i}] must be a string`);
      const eq = item.indexOf('=');
      if (eq < 0) out[item] = null;
      else out[item.slice(0, eq)] = item.slice(eq + 1);
    });
    return out;
  }
  const out: Record<string, string | null> = {};
  for (const [k, x] of Object.entries(v as Raw)) out[k] = x === null ? null : typeof x === 'object' ? JSON.stringify(x) : String(x);
  return out;
}

/** Splits a command string the way Compose does (shell-like words and quotes, no expansion). */
export function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (quote) throw new ComposeError(`invalid command line string: unterminated quote in ${s}`);
  if (has || cur) out.push(cur);
  return out;
}

function command(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? shellSplit(v) : (v as unknown[]).map(String);
}

function port(p: unknown, where: string): string[] {
  let spec: string;
  if (typeof p === 'number') spec = String(p);
  else if (typeof p === 'string') spec = p;
  else if (p && typeof p === 'object') {
    const m = p as Raw;
    if (m['target'] === undefined) throw new ComposeError(`${where}.target is required`);
    const pub = m['published'] === undefined ? '' : String(m['published']);
    spec = `${m['host_ip'] ? `${String(m['host_ip'])}:` : ''}${pub || m['host_ip'] ? `${pub}:` : ''}${String(m['target'])}/${String(m['protocol'] ?? 'tcp')}`;
  } else throw new ComposeError(`${where} must be a string, number or object`);
  try {
    const { bindings } = parsePortSpecs([spec]);
    return Object.entries(bindings).flatMap(([cport, bs]) => bs.map((b) => `${b.HostIp ? `${b.HostIp}:` : ''}${b.HostPort}:${cport}`));
  } catch (err) {
    throw new ComposeError(`${where}: invalid port "${spec}": ${(err as Error).message}`);
  }
}

function volume(v: unknown, where: string, base: string, named: Set<string>): VolumeMount {
  if (v && typeof v === 'object') {
    const m = v as Raw;
    const type = String(m['type'] ?? 'volume') as VolumeMount['type'];
    if (!['volume', 'bind', 'tmpfs'].includes(type)) throw new ComposeError(`${where}.type: "${type}" is not supported`);
    if (typeof m['target'] !== 'string') throw new ComposeError(`${where}.target is required`);
    const source = typeof m['source'] === 'string' ? m['source'] : undefined;
    return mount(type, source, m['target'], m['read_only'] === true, where, base, named);
  }
  if (typeof v !== 'string') throw new ComposeError(`${where} must be a string or object`);
  const parts = v.split(':');
  if (parts.length === 1) return mount('volume', undefined, parts[0]!, false, where, base, named);
  if (parts.length > 3) throw new ComposeError(`${where}: invalid volume specification "${v}"`);
  const [src, target, mode = ''] = parts as [string, string, string?];
  const bind = src.startsWith('.') || src.startsWith('/') || src.startsWith('~');
  return mount(bind ? 'bind' : 'volume', src, target, mode.split(',').includes('ro'), where, base, named);
}

function mount(type: VolumeMount['type'], source: string | undefined, target: string, ro: boolean, where: string, base: string, named: Set<string>): VolumeMount {
  if (!target.startsWith('/')) throw new ComposeError(`${where}: invalid mount target "${target}": must be an absolute path`);
  if (type === 'bind') {
    if (!source) throw new ComposeError(`${where}.source is required for a bind mount`);
    const home = process.env['HOME'] ?? '/root';
    source = path.resolve(base, source.startsWith('~') ? home + source.slice(1) : source);
  }
  if (type === 'volume' && source && !named.has(source)) throw new ComposeError(`${where}: service uses undefined volume "${source}": invalid compose project`);
  return { type, ...(source ? { source } : {}), target, read_only: ro };
}

function dependsOn(v: unknown, where: string): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  if (Array.isArray(v)) for (const n of v) out[String(n)] = { condition: 'service_started', required: true };
  else
    for (const [n, d] of Object.entries((v ?? {}) as Raw)) {
      const c = String((d as Raw | null)?.['condition'] ?? 'service_started');
      if (!['service_started', 'service_healthy', 'service_completed_successfully'].includes(c)) throw new ComposeError(`${where}.${n}.condition: unknown condition "${c}"`);
      out[n] = { condition: c as Dependency['condition'], required: (d as Raw | null)?.['required'] !== false };
    }
  return out;
}

function build(v: unknown, base: string): BuildSpec | undefined {
  if (v === undefined || v === null) return undefined;
  const m: Raw = typeof v === 'string' ? { context: v } : (v as Raw);
  const args = Object.fromEntries(Object.entries(toMap(m['args'], 'build.args')).map(([k, x]) => [k, x ?? process.env[k] ?? '']));
  return {
    context: path.resolve(base, String(m['context'] ?? '.')),
    ...(m['dockerfile'] ? { dockerfile: String(m['dockerfile']) } : {}),
    args,
    ...(m['target'] ? { target: String(m['target']) } : {}),
  };
}

/** One service in its long form. `env` reads `env_file`s (relative to `base`). */
export function normalizeService(name: string, raw: Raw, base: string, named: Set<string>, networks: Set<string>, env: (file: string) => Record<string, string>): Service {
  const at = `services.${name}`;
  const files = raw['env_file'] === undefined ? [] : Array.isArray(raw['env_file']) ? raw['env_file'].map(String) : [String(raw['env_file'])];
  const environment: Record<string, string> = {};
  for (const f of files) Object.assign(environment, env(path.resolve(base, f)));
  for (const [k, v] of Object.entries(toMap(raw['environment'], `${at}.environment`))) {
    const value = v ?? process.env[k];
    if (value !== undefined) environment[k] = value;
  }
  const nets: Record<string, { aliases: string[] }> = {};
  const rawNets = raw['networks'] ?? ['default'];
  for (const [n, cfg] of Array.isArray(rawNets) ? rawNets.map((x) => [String(x), null] as const) : Object.entries(rawNets as Raw)) {
    if (!networks.has(n)) throw new ComposeError(`service "${name}" refers to undefined network ${n}: invalid compose project`);
    nets[n] = { aliases: (((cfg as Raw | null)?.['aliases'] as unknown[]) ?? []).map(String) };
  }
  const hc = raw['healthcheck'] as Raw | undefined;
  const deploy = raw['deploy'] as Raw | undefined;
  const replicas = Number(deploy?.['replicas'] ?? raw['scale'] ?? 1);
  if (!Number.isInteger(replicas) || replicas < 0) throw new ComposeError(`${at}.deploy.replicas must be a non-negative integer`);
  const b = build(raw['build'], base);
  return {
    name,
    ...(raw['image'] ? { image: String(raw['image']) } : {}),
    ...(b ? { build: b } : {}),
    ...(command(raw['command']) ? { command: command(raw['command'])! } : {}),
    ...(command(raw['entrypoint']) ? { entrypoint: command(raw['entrypoint'])! } : {}),
    environment,
    ports: ((raw['ports'] as unknown[]) ?? []).flatMap((p, i) => port(p, `${at}.ports[${i}]`)),
    expose: ((raw['expose'] as unknown[]) ?? []).map(String),
    volumes: ((raw['volumes'] as unknown[]) ?? []).map((v, i) => volume(v, `${at}.volumes[${i}]`, base, named)),
    networks: nets,
    depends_on: dependsOn(raw['depends_on'], `${at}.depends_on`),
    ...(hc ? { healthcheck: { ...(hc['test'] !== undefined ? { test: typeof hc['test'] === 'string' ? ['CMD-SHELL', hc['test']] : (hc['test'] as unknown[]).map(String) } : {}), ...pick(hc, ['interval', 'timeout', 'start_period']), ...(hc['retries'] !== undefined ? { retries: Number(hc['retries']) } : {}), ...(hc['disable'] ? { disable: true } : {}) } } : {}),
    ...(raw['restart'] ? { restart: String(raw['restart']) } : {}),
    labels: Object.fromEntries(Object.entries(toMap(raw['labels'], `${at}.labels`)).map(([k, v]) => [k, v ?? ''])),
    ...pick(raw, ['working_dir', 'user', 'hostname']),
    replicas,
    profiles: ((raw['profiles'] as unknown[]) ?? []).map(String),
  };
}

function pick(m: Raw, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => m[k] !== undefined && m[k] !== null).map((k) => [k, String(m[k])]));
}
