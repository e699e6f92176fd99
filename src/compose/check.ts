/**
 * Small type checks for the normaliser: each one names the field's path in its error, the
 * way Compose's schema validation does (`services.web.ports must be a array`).
 */
import { ModelError } from './model.js';

export type Raw = unknown;

export function isMap(v: Raw): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function map(v: Raw, path: string): Record<string, unknown> {
  if (!isMap(v)) throw new ModelError(path, 'must be a mapping');
  return v;
}

export function list(v: Raw, path: string): unknown[] {
  // compose-go's wording, kept as users see it from Compose.
  if (!Array.isArray(v)) throw new ModelError(path, 'must be a array');
  return v;
}

export function str(v: Raw, path: string): string {
  if (typeof v !== 'string') throw new ModelError(path, 'must be a string');
  return v;
}

/** A scalar written as a string, number or boolean, kept as its text. */
export function scalar(v: Raw, path: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ModelError(path, 'must be a string, number or boolean');
}

export function bool(v: Raw, path: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ModelError(path, 'must be a boolean');
}

export function int(v: Raw, path: string, min = 0): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ModelError(path, 'must be an integer');
  if (n < min) throw new ModelError(path, `must be at least ${min}`);
  return n;
}

/** A list of strings, or one string (`command: echo hi` is split by the caller). */
export function strings(v: Raw, path: string): string[] {
  return list(v, path).map((x, i) => scalar(x, `${path}[${i}]`));
}

/** Refuses keys outside `allowed` (`x-` extension keys are always allowed). */
export function onlyKeys(m: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(m)) {
    if (k.startsWith('x-') || allowed.includes(k)) continue;
    throw new ModelError(path || '(root)', `additional properties '${k}' not allowed`, path ? `${path}.${k}` : k);
  }
}

/**
 * `KEY=VALUE` lists or `KEY: VALUE` maps (environment, labels, build args) as one map; a list
 * item without `=` (and a map value of null) means "from the environment" (null).
 */
export function keyValues(v: Raw, path: string, allowNull: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const s = scalar(item, `${path}[${i}]`);
      const eq = s.indexOf('=');
      if (eq === 0) throw new ModelError(`${path}[${i}]`, `invalid entry "${s}": no variable name`);
      if (eq < 0) {
        if (!allowNull) throw new ModelError(`${path}[${i}]`, `invalid entry "${s}": expected KEY=VALUE`);
        out[s] = null;
      } else out[s.slice(0, eq)] = s.slice(eq + 1);
    });
    return out;
  }
  if (!isMap(v)) throw new ModelError(path, 'must be a mapping or a array');
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined) {
      out[k] = allowNull ? null : '';
      continue;
    }
    out[k] = scalar(x, `${path}.${k}`);
  }
  return out;
}

/** Splits a shell-like command string into words (quotes and backslashes, no expansion). */
export function shellWords(s: string, path: string): string[] {
  const words: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (q) throw new ModelError(path, `unterminated quote in "${s}"`);
  if (has || cur) words.push(cur);
  return words;
}
