/**
 * Variable interpolation in a Compose file, as the Compose specification defines it: `$VAR`,
 * `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset), `${VAR:?message}` /
 * `${VAR?message}` (required), `${VAR:+alt}` / `${VAR+alt}`, and `$$` for a literal `$`. Values
 * come from the process environment, then the project's `.env`. An unset variable without a
 * default is blank, with the warning Compose prints.
 */
import { ComposeError } from './errors.js';

export type Lookup = (name: string) => string | undefined;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Interpolates one string; `path` names it in errors (`services.web.image`). */
export function interpolate(s: string, lookup: Lookup, warn: (name: string) => void, path: string): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
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
      const end = closing(s, i + 2);
      if (end < 0) throw new ComposeError(`${path}: invalid interpolation format for ${path}: "${s}"; you may need to escape any $ with another $`);
      out += braced(s.slice(i + 2, end), lookup, warn, path);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(s.slice(i + 1));
    if (!m) {
      out += '$';
      i++;
      continue;
    }
    out += valueOf(m[0], lookup, warn);
    i += 1 + m[0].length;
  }
  return out;
}

/** The index of the `}` closing a `${` opened before `from` (nested `${…}` in defaults allowed). */
function closing(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function valueOf(name: string, lookup: Lookup, warn: (name: string) => void): string {
  const v = lookup(name);
  if (v === undefined) warn(name);
  return v ?? '';
}

function braced(body: string, lookup: Lookup, warn: (name: string) => void, path: string): string {
  const m = NAME.exec(body);
  if (!m) throw new ComposeError(`${path}: invalid interpolation format for ${path}: "\${${body}}"`);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === '') return valueOf(name, lookup, warn);
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (!op) throw new ComposeError(`${path}: invalid interpolation format for ${path}: "\${${body}}"`);
  const arg = interpolate(rest.slice(op.length), lookup, warn, path);
  const v = lookup(name);
  const unset = op.startsWith(':') ? v === undefined || v === '' : v === undefined;
  switch (op.replace(':', '')) {
    case '-':
      return unset ? arg : v!;
    case '+':
      return unset ? '' : arg;
    default:
      if (unset) throw new ComposeError(`required variable ${name} is missing a value${arg ? `: ${arg}` : ''}`);
      return v!;
  }
}

/** Interpolates every string value (not keys) of a parsed document, in place; `x-` keys too. */
export function interpolateTree(node: unknown, lookup: Lookup, warn: (name: string) => void, path = ''): unknown {
  if (typeof node === 'string') return interpolate(node, lookup, warn, path || '(root)');
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, lookup, warn, `${path}[${i}]`));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, lookup, warn, path ? `${path}.${k}` : k);
    return out;
  }
  return node;
}

/** Parses a `.env` file: `KEY=value`, `export KEY=value`, comments, single and double quotes. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new ComposeError(`unexpected character in .env line "${line}"`);
    let v = m[2]!;
    if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    else if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]!] = v;
  }
  return out;
}
