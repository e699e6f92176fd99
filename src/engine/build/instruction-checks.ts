/**
 * Helpers for checking Dockerfile instructions: builder flags (`--chown=…`) with BuildKit's
 * messages, the "(did you mean …?)" hint for misspelt names, and Go's duration syntax for
 * HEALTHCHECK options.
 */
import { goQuote } from './line-parsers.js';

/** A rule broken by an instruction; instructions.ts adds the line. */
export class Fail extends Error {}
export const fail = (msg: string): never => {
  throw new Fail(msg);
};

/** Builder flags (`--chown=…`) of one instruction, checked against what it accepts. */
export class Flags {
  private values = new Map<string, string>();
  used: string[] = [];
  constructor(
    raw: string[],
    bools: string[],
    strings: string[],
  ) {
    for (const a of raw) {
      if (a === '--') break;
      if (!a.startsWith('--')) fail(`arg should start with -- : ${a}`);
      const eq = a.indexOf('=');
      const name = (eq < 0 ? a : a.slice(0, eq)).slice(2);
      const value = eq < 0 ? undefined : a.slice(eq + 1);
      const isBool = bools.includes(name);
      if (!isBool && !strings.includes(name)) fail(`unknown flag: --${name}${suggestion(name, [...bools, ...strings], true)}`);
      if (this.values.has(name)) fail(`duplicate flag specified: --${name}`);
      if (isBool) {
        if (value === '') fail(`missing a value on flag: --${name}`);
        const v = (value ?? 'true').toLowerCase();
        if (v !== 'true' && v !== 'false') fail(`expecting boolean value for flag --${name}, not: ${value}`);
        this.values.set(name, v);
      } else {
        if (value === undefined) fail(`missing a value on flag: --${name}`);
        this.values.set(name, value!);
      }
      this.used.push(name);
    }
  }
  get(name: string): string {
    return this.values.get(name) ?? '';
  }
}

/** Levenshtein distance, for "(did you mean …?)" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** ` (did you mean x?)` when an option is within two edits of `val`, as BuildKit suggests. */
export function suggestion(val: string, options: string[], caseSensitive: boolean): string {
  const v = caseSensitive ? val : val.toLowerCase();
  let best = '';
  let min = 3;
  for (const o of options) {
    const opt = caseSensitive ? o : o.toLowerCase();
    if (opt === v) return '';
    const d = distance(v, opt);
    if (d < min) {
      min = d;
      // The hint takes the case of what was typed (`RUNN` → RUN, `runn` → run).
      best = caseSensitive ? o : val === val.toUpperCase() ? opt.toUpperCase() : opt;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

/** Go's time.ParseDuration, in nanoseconds. */
export function parseDuration(s: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * units[m[2]!]!;
    end = re.lastIndex;
  }
  if (end !== s.length || s === '') fail(`time: invalid duration ${goQuote(s)}`);
  return Math.round(total);
}
