/**
 * Loading a project: find the files (`-f`, `COMPOSE_FILE`, or `compose.yaml` and its
 * older names), read `.env`, parse each file with `yaml` (which keeps positions, so errors
 * give the line), interpolate, normalise, merge, apply profiles and check the references
 * between services, networks and volumes. Every model error names the field's path.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { invalidArgument } from '../lib/errors.js';
import { readDotenv } from './dotenv.js';
import { startOrder } from './graph.js';
import { interpolateTree } from './interpolate.js';
import { mergeModels } from './merge.js';
import { ModelError, type ComposeModel, type Project } from './model.js';
import { normalizeFile } from './normalize.js';

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

export interface LoadOptions {
  files?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile?: string;
  profiles?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where warnings (unset variables) go. */
  warn(message: string): void;
}

/** Compose's normalisation of a directory name into a project name. */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

function checkProjectName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name))
    throw invalidArgument(`invalid project name "${name}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`);
  return name;
}

/** The error for a directory without a Compose file (callers with `-p` may go on without one). */
export const NO_CONFIG = 'no configuration file provided: not found';

function findFiles(opts: LoadOptions, cwd: string, env: NodeJS.ProcessEnv): string[] {
  if (opts.files?.length) return opts.files.map((f) => path.resolve(cwd, f));
  if (env['COMPOSE_FILE']) return env['COMPOSE_FILE'].split(env['COMPOSE_PATH_SEPARATOR'] ?? ':').map((f) => path.resolve(cwd, f));
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const found = DEFAULT_FILES.map((f) => path.join(dir, f)).find((f) => existsSync(f));
    if (found) return [found];
    if (dir === path.dirname(dir)) break;
  }
  throw invalidArgument(NO_CONFIG);
}

/** The line of the node at `p` (`services.web.ports[0]`), or of its nearest parent. */
function lineOf(doc: Document, lc: LineCounter, p: string): number | undefined {
  const parts: Array<string | number> = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) parts.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  for (let n = parts.length; n > 0; n--) {
    const node = doc.getIn(parts.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lc.linePos(node.range[0]).line;
    // An unknown key's value may be null (no node); the key itself is in its parent's pairs.
    const parent = doc.getIn(parts.slice(0, n - 1), true) as { items?: Array<{ key?: { value?: unknown; range?: [number, number, number] } }> } | undefined;
    const key = parent?.items?.find((it) => it.key?.value === parts[n - 1])?.key;
    if (key?.range) return lc.linePos(key.range[0]).line;
  }
  return undefined;
}

function parseFile(file: string, env: NodeJS.ProcessEnv, warned: Set<string>, warn: (m: string) => void): ComposeModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalidArgument(code === 'ENOENT' ? `open ${file}: no such file or directory` : `${file}: ${(e as Error).message}`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, merge: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw invalidArgument(`yaml: line ${e.linePos?.[0]?.line ?? '?'}: ${msg} (in ${file})`);
  }
  let tree: unknown;
  try {
    // A bounded alias count refuses "billion laughs" files instead of expanding them.
    tree = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw invalidArgument(`yaml: ${(e as Error).message} (in ${file})`);
  }
  try {
    const raw = interpolateTree(tree, {
      lookup: (k) => env[k],
      warnUnset: (k) => {
        if (warned.has(k)) return;
        warned.add(k);
        warn(`WARN[0000] The "${k}" variable is not set. Defaulting to a blank string.`);
      },
    });
    return normalizeFile(raw, path.dirname(file));
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    const line = lineOf(doc, lc, e.at);
    throw invalidArgument(`validating ${file}: ${e.message}${line ? ` (line ${line})` : ''}`);
  }
}

/** Checks what no single file can: references between services, networks and volumes. */
function checkReferences(model: ComposeModel): void {
  for (const [name, s] of Object.entries(model.services)) {
    if (!s.image && !s.build) throw invalidArgument(`service "${name}" has neither an image nor a build context specified: invalid compose project`);
    for (const dep of Object.keys(s.depends_on ?? {}))
      if (!model.services[dep] && s.depends_on![dep]!.required !== false) throw invalidArgument(`service "${name}" depends on undefined service "${dep}": invalid compose project`);
    for (const n of Object.keys(s.networks ?? {}))
      if (!model.networks[n] && n !== 'default') throw invalidArgument(`service "${name}" refers to undefined network ${n}: invalid compose project`);
    // Checked while loading, as Compose does, so a missing file fails before anything is made.
    for (const f of s.env_file ?? []) if (!existsSync(f)) throw invalidArgument(`env file ${f} not found: stat ${f}: no such file or directory`);
    for (const v of s.volumes ?? [])
      if (v.type === 'volume' && v.source && !model.volumes[v.source]) throw invalidArgument(`service "${name}" refers to undefined volume ${v.source}: invalid compose project`);
  }
  try {
    startOrder(model);
  } catch (e) {
    if (e instanceof ModelError) throw invalidArgument(e.message);
    throw e;
  }
}

/** Loads the project as `berth compose` sees it. */
export function loadProject(opts: LoadOptions): Project {
  const cwd = opts.cwd ?? process.cwd();
  const baseEnv = opts.env ?? process.env;
  const files = findFiles(opts, cwd, baseEnv);
  const workingDir = path.resolve(cwd, opts.projectDirectory ?? path.dirname(files[0]!));
  // The shell's environment wins over `.env`, as in Compose.
  const dotenv = opts.envFile ? readDotenv(path.resolve(cwd, opts.envFile)) : readDotenv(path.join(workingDir, '.env'));
  if (opts.envFile && !dotenv) throw invalidArgument(`couldn't find env file: ${path.resolve(cwd, opts.envFile)}`);
  const env: NodeJS.ProcessEnv = { ...dotenv, ...baseEnv };
  const warned = new Set<string>();
  let model: ComposeModel = { services: {}, networks: {}, volumes: {} };
  for (const f of files) model = mergeModels(model, parseFile(f, env, warned, opts.warn));

  const profiles = opts.profiles?.length ? opts.profiles : (env['COMPOSE_PROFILES'] ?? '').split(',').filter(Boolean);
  for (const [name, s] of Object.entries(model.services)) {
    if (s.profiles?.length && !s.profiles.some((p) => profiles.includes(p) || p === '*' || profiles.includes('*'))) delete model.services[name];
  }
  // A service without networks joins `default`, which then exists even if not declared;
  // one that shares another service's namespace depends on it.
  for (const s of Object.values(model.services)) {
    if (s.network_mode) {
      const other = /^service:(.+)$/.exec(s.network_mode)?.[1];
      if (other && !s.depends_on?.[other]) s.depends_on = { ...s.depends_on, [other]: { condition: 'service_started' } };
      continue;
    }
    s.networks ??= { default: null };
    if (s.networks['default'] !== undefined) model.networks['default'] ??= {};
  }
  checkReferences(model);
  const name = checkProjectName(opts.projectName ?? (env['COMPOSE_PROJECT_NAME'] || model.name || normalizeProjectName(path.basename(workingDir))));
  return { name, workingDir, configFiles: files, model: { ...model, name }, profiles, environment: env };
}

/** The environment a service's containers get: env_file entries, then `environment`. */
export function serviceEnv(project: Project, service: string, lookup: (k: string) => string | undefined = (k) => project.environment[k]): string[] {
  const s = project.model.services[service]!;
  const out = new Map<string, string>();
  for (const f of s.env_file ?? []) {
    const vars = readDotenv(f, lookup);
    if (!vars) throw invalidArgument(`env file ${f} not found: stat ${f}: no such file or directory`);
    for (const [k, v] of Object.entries(vars)) out.set(k, v);
  }
  for (const [k, v] of Object.entries(s.environment ?? {})) {
    if (v !== null) out.set(k, v);
    else {
      const fromHost = lookup(k);
      if (fromHost !== undefined) out.set(k, fromHost);
      else out.delete(k);
    }
  }
  return [...out].map(([k, v]) => `${k}=${v}`);
}
