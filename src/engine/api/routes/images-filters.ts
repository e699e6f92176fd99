/**
 * Filter helpers for the image routes (`docker images --filter`, `docker image prune
 * --filter`): label matching, `reference` globs with Go's path.Match semantics, and `until`
 * timestamps.
 */
import { invalidArgument } from '../../../lib/errors.js';
import type { ImageRecord } from '../../images/types.js';

/** `key` or `key=value` specs; every spec must match. */
export function labelsMatch(labels: Record<string, string> | null | undefined, specs: string[]): boolean {
  const l = labels ?? {};
  return specs.every((s) => {
    const i = s.indexOf('=');
    if (i < 0) return Object.hasOwn(l, s);
    const k = s.slice(0, i);
    return Object.hasOwn(l, k) && l[k] === s.slice(i + 1);
  });
}

/** Go's path.Match: `*` and `?` never match `/`; `[...]` classes with `^`/`!` negation. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument(`invalid reference filter pattern "${pattern}"`);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^') || body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Docker's FamiliarMatch: the pattern matches `name:tag` or just `name`. */
export function matchReference(pattern: string, familiarTag: string): boolean {
  const re = globToRegExp(pattern);
  if (re.test(familiarTag)) return true;
  const name = familiarTag.replace(/:[^:/]*$/, '');
  return re.test(name);
}

/** Predicate: created strictly before `ref`. */
export function createdBefore(ref: ImageRecord): (i: ImageRecord) => boolean {
  const t = Date.parse(ref.created);
  return (i) => Date.parse(i.created) < t;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `until` values: a Go duration (`24h`, `1h30m`), unix seconds, or an RFC 3339 time → epoch ms. */
export function untilCutoff(v: string): number {
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
    return Date.now() - ms;
  }
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}
