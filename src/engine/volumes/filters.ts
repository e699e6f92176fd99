/**
 * Filters of `GET /volumes` (`dangling`, `name`, `label`, `driver`) and `POST /volumes/prune`
 * (`label`, `label!`, `all`), with the semantics of Docker's volume service: `name` is a
 * regular expression, `label` takes `key` or `key=value` and every one must match, `dangling`
 * means no container refers to the volume.
 */
import { invalidArgument } from '../../lib/errors.js';
import type { VolumeRecord } from './store.js';

export type VolumePredicate = (v: VolumeRecord, inUse: boolean) => boolean;

const LIST_FILTERS = ['dangling', 'name', 'label', 'driver'];
const PRUNE_FILTERS = ['label', 'label!', 'all'];

function checkKeys(f: Record<string, string[]>, known: string[]): void {
  for (const k of Object.keys(f)) if (!known.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
}

/** Parses a boolean filter value (`true`/`1`, `false`/`0`); anything else is refused. */
function boolFilter(name: string, values: string[]): boolean {
  if (values.some((v) => v === 'true' || v === '1')) return true;
  if (values.some((v) => v === 'false' || v === '0')) return false;
  throw invalidArgument(`invalid filter '${name}=${values.join(',')}'`);
}

function labelMatches(labels: Record<string, string> | null, want: string): boolean {
  const eq = want.indexOf('=');
  const l = labels ?? {};
  if (eq < 0) return want in l;
  return l[want.slice(0, eq)] === want.slice(eq + 1);
}

function regexMatch(pattern: string, s: string): boolean {
  if (pattern === s) return true;
  try {
    return new RegExp(pattern).test(s);
  } catch {
    return false;
  }
}

/** The predicate of `GET /volumes?filters=…`. */
export function listFilter(f: Record<string, string[]>): VolumePredicate {
  checkKeys(f, LIST_FILTERS);
  const dangling = f.dangling?.length ? boolFilter('dangling', f.dangling) : undefined;
  return (v, inUse) =>
    (!f.driver?.length || f.driver.includes(v.Driver)) &&
    (!f.name?.length || f.name.some((n) => regexMatch(n, v.Name))) &&
    (f.label ?? []).every((l) => labelMatches(v.Labels, l)) &&
    (dangling === undefined || dangling !== inUse);
}

/**
 * The predicate of `POST /volumes/prune`. From API 1.42 on, Docker prunes only anonymous
 * volumes unless the `all` filter is true; older clients get the old behaviour (all volumes).
 */
export function pruneFilter(f: Record<string, string[]>, apiVersion: number, anonymousLabel: string): VolumePredicate {
  checkKeys(f, PRUNE_FILTERS);
  const all = f.all?.length ? boolFilter('all', f.all) : apiVersion < 1.42;
  return (v, inUse) =>
    !inUse &&
    v.Driver === 'local' &&
    (all || labelMatches(v.Labels, anonymousLabel)) &&
    (f.label ?? []).every((l) => labelMatches(v.Labels, l)) &&
    !(f['label!'] ?? []).some((l) => labelMatches(v.Labels, l));
}
