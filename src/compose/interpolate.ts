/**
 * Variable substitution in Compose files: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}` and `$$` for a
 * literal dollar. It runs on every string of the parsed file before validation, as Compose
 * does, so a substituted value is checked like a written one. Defaults may themselves hold
 * substitutions (`${A:-${B}}`).
 */
import { invalidArgument } from '../lib/errors.js';

/** Where variables come from, and where the unset-variable warnings go. */
export interface InterpolateEnv {
  lookup(name: string): string | undefined;
  /** Called once per unset variable used without a default. */
  warnUnset(name: string): void;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Substitutes one string; `where` names the field for error messages. */
export function interpolateString(s: string, env: InterpolateEnv, where: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(s, i + 2);
      if (end < 0) throw invalidArgument(`invalid interpolation format for ${where}: "${s}"; you may need to escape any $ with another $`);
      out += braced(s.slice(i + 2, end), env, where, s);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(s.slice(i + 1));
    if (!m) {
      // A lone `$` (e.g. at the end) is kept as written.
      out += '$';
      i++;
      continue;
    }
    out += valueOf(m[0], env);
    i += 1 + m[0].length;
  }
  return out;
}

/** The index of the `}` closing a `${` whose body starts at `from`, nesting included. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s[j] === '$' && s[j + 1] === '{') {
      depth++;
      j++;
    } else if (s[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function valueOf(name: string, env: InterpolateEnv): string {
  const v = env.lookup(name);
  if (v === undefined) {
    env.warnUnset(name);
    return '';
  }
  return v;
}

function braced(body: string, env: InterpolateEnv, where: string, whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw invalidArgument(`invalid interpolation format for ${where}: "${whole}"; you may need to escape any $ with another $`);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === '') return valueOf(name, env);
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (!op) throw invalidArgument(`invalid interpolation format for ${where}: "${whole}"; you may need to escape any $ with another $`);
  const arg = () => interpolateString(rest.slice(op.length), env, where);
  const v = env.lookup(name);
  const colon = op.startsWith(':');
  const missing = colon ? v === undefined || v === '' : v === undefined;
  switch (op.slice(-1)) {
    case '-':
      return missing ? arg() : v!;
    case '+':
      return missing ? '' : arg();
    default: {
      if (!missing) return v!;
      const msg = arg();
      throw invalidArgument(`required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`);
    }
  }
}

/** Substitutes every string value (not keys) of a parsed YAML tree, recording the path. */
export function interpolateTree(value: unknown, env: InterpolateEnv, path = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path || 'value');
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, env, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}
