/**
 * Loading a Compose project (lecture concept: one YAML file describes several containers and
 * their relations): find the file(s), parse YAML, interpolate `${VAR}` from the environment and
 * `.env`, merge several `-f` files by Compose's rules, check the shape, expand short syntaxes,
 * and check the dependency graph. Nothing touches the engine here.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ComposeError } from './errors.js';
import { interpolateTree, parseDotEnv } from './interpolate.js';
import { normalizeService, toMap } from './normalize.js';
import { validate } from './schema.js';
import type { NetworkSpec, Project, Service, VolumeSpec } from './types.js';

export interface LoadOptions {
  files: string[];
  projectName?: string;
  /** Where to look for the default file names and `.env` (the current directory). */
  cwd: string;
  profiles: string[];
  /** Receives warnings (unset variables), as Compose prints them. */
  warn: (message: string) => void;
}

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

type Raw = Record<string, unknown>;

/** Compose's project name rule: lower case, `[a-z0-9_-]`, starting with a letter or digit. */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

function findFiles(o: LoadOptions): string[] {
  if (o.files.length) return o.files.map((f) => path.resolve(o.cwd, f));
  for (let dir = o.cwd; ; dir = path.dirname(dir)) {
    for (const f of DEFAULT_FILES) if (fs.existsSync(path.join(dir, f))) return [path.join(dir, f)];
    if (path.dirname(dir) === dir) break;
  }
  throw new ComposeError('no configuration file provided: not found');
}

function parseFile(file: string): Raw {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ComposeError(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0];
    throw new ComposeError(`yaml: ${line ? `line ${line.line}: ` : ''}${e.message.split('\n')[0]}`);
  }
  const v = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ComposeError(`${path.basename(file)}: top-level object must be a mapping`);
  return v as Raw;
}

const APPEND = new Set(['ports', 'expose', 'dns', 'extra_hosts', 'env_file', 'cap_add', 'cap_drop', 'profiles']);
const AS_MAP = new Set(['environment', 'labels']);

/** Merges an override file into a base one, as Compose merges several `-f` files. */
function merge(base: unknown, over: unknown, key = ''): unknown {
  if (AS_MAP.has(key)) return { ...toMap(base, key), ...toMap(over, key) };
  if (Array.isArray(base) && Array.isArray(over)) {
    if (key === 'volumes') {
      const target = (v: unknown) => (typeof v === 'string' ? v.split(':')[1] ?? v : String((v as Raw)['target']));
      const kept = base.filter((b) => !over.some((o) => target(o) === target(b)));
      return [...kept, ...over];
    }
    return APPEND.has(key) ? [...new Set([...base, ...over].map((x) => JSON.stringify(x)))].map((x) => JSON.parse(x) as unknown) : over;
  }
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: Raw = { ...(base as Raw) };
    for (const [k, v] of Object.entries(over as Raw)) out[k] = k in out ? merge(out[k], v, k) : v;
    return out;
  }
  return over === undefined ? base : over;
}

/** Depth-first order of services by `depends_on`; a cycle is an error naming it. */
export function dependencyOrder(services: Record<string, Service>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new ComposeError(`dependency cycle detected: ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of Object.keys(services[name]!.depends_on)) {
      if (!services[dep]) {
        if (services[name]!.depends_on[dep]!.required) throw new ComposeError(`service "${name}" depends on undefined service "${dep}": invalid compose project`);
        continue;
      }
      visit(dep, [...trail, name]);
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const n of Object.keys(services).sort()) visit(n, []);
  return order;
}

export function loadProject(o: LoadOptions): Project {
  const files = findFiles(o);
  const workingDir = path.dirname(files[0]!);
  const dotEnvFile = path.join(workingDir, '.env');
  const dotEnv = fs.existsSync(dotEnvFile) ? parseDotEnv(fs.readFileSync(dotEnvFile, 'utf8')) : {};
  const lookup = (n: string) => process.env[n] ?? dotEnv[n];
  const warned = new Set<string>();
  const warn = (n: string) => {
    if (!warned.has(n)) o.warn(`WARN[0000] The "${n}" variable is not set. Defaulting to a blank string.`);
    warned.add(n);
  };
  let doc: unknown = {};
  for (const f of files) doc = merge(doc, interpolateTree(parseFile(f), lookup, warn));
  validate(doc);
  const d = doc as Raw;
  const name = normalizeProjectName(o.projectName ?? process.env['COMPOSE_PROJECT_NAME'] ?? (typeof d['name'] === 'string' ? d['name'] : path.basename(workingDir)));
  if (!name) throw new ComposeError(`project name must not be empty`);

  const networks: Record<string, NetworkSpec> = { default: { name: `${name}_default`, external: false, internal: false, labels: {} } };
  for (const [k, v] of Object.entries((d['networks'] ?? {}) as Raw)) {
    const m = (v ?? {}) as Raw;
    const ext = m['external'];
    const extName = ext && typeof ext === 'object' ? (ext as Raw)['name'] : undefined;
    networks[k] = { name: String(extName ?? m['name'] ?? (ext ? k : `${name}_${k}`)), external: !!ext, internal: m['internal'] === true, labels: labels(m['labels']), ...(m['driver'] ? { driver: String(m['driver']) } : {}) };
  }
  const volumes: Record<string, VolumeSpec> = {};
  for (const [k, v] of Object.entries((d['volumes'] ?? {}) as Raw)) {
    const m = (v ?? {}) as Raw;
    const ext = m['external'];
    volumes[k] = { name: String(m['name'] ?? (ext ? k : `${name}_${k}`)), external: !!ext, driver_opts: Object.fromEntries(Object.entries((m['driver_opts'] ?? {}) as Raw).map(([a, b]) => [a, String(b)])), labels: labels(m['labels']), ...(m['driver'] ? { driver: String(m['driver']) } : {}) };
  }
  const env = (file: string) => {
    try {
      return parseDotEnv(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      if (err instanceof ComposeError) throw err;
      throw new ComposeError(`env file ${file} not found: stat ${file}: no such file or directory`);
    }
  };
  const services: Record<string, Service> = {};
  const active = new Set([...o.profiles, ...(process.env['COMPOSE_PROFILES'] ?? '').split(',').filter(Boolean)]);
  for (const [n, raw] of Object.entries((d['services'] ?? {}) as Raw)) {
    const s = normalizeService(n, (raw ?? {}) as Raw, workingDir, new Set(Object.keys(volumes)), new Set(Object.keys(networks)), env);
    if (s.profiles.length === 0 || s.profiles.some((p) => active.has(p) || active.has('*'))) services[n] = s;
  }
  dependencyOrder(services);
  // Only networks some service uses are made (Compose creates `default` only when needed).
  const used = new Set(Object.values(services).flatMap((s) => Object.keys(s.networks)));
  for (const k of Object.keys(networks)) if (!used.has(k)) delete networks[k];
  return { name, workingDir, configFiles: files, services, networks, volumes };
}

function labels(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(toMap(v, 'labels')).map(([k, x]) => [k, x ?? '']));
}
