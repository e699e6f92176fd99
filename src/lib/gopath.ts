/**
 * Slash-separated path helpers with Go's semantics (path/filepath on Unix and the `docker cp`
 * helpers of go-archive's copy.go). `docker cp` decides what to copy where from trailing `/`
 * and `/.`, so these must agree with the docker CLI and dockerd byte for byte; Node's
 * path.posix differs in the corners (`dirname('/a/')`, `basename('/')`, trailing slashes).
 */
import path from 'node:path';

/** Go's filepath.Clean: shortest equivalent path, no trailing slash (except `/`), `.` for empty. */
export function clean(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Go's filepath.Base: the last element, trailing slashes ignored; `.` for empty, `/` for all-slashes. */
export function base(p: string): string {
  if (p === '') return '.';
  const s = p.replace(/\/+$/, '');
  if (s === '') return '/';
  return s.slice(s.lastIndexOf('/') + 1);
}

/** Go's filepath.Split: everything up to and including the last `/`, and the rest. */
export function split(p: string): [string, string] {
  const i = p.lastIndexOf('/');
  return [p.slice(0, i + 1), p.slice(i + 1)];
}

/** Go's filepath.Dir: all but the last element, cleaned. */
export function dir(p: string): string {
  return clean(split(p)[0]);
}

/** Go's filepath.Join: the non-empty elements joined and cleaned (no absolute-path reset). */
export function join(...parts: string[]): string {
  const kept = parts.filter((x) => x !== '');
  return kept.length ? clean(kept.join('/')) : '';
}

export const isAbs = (p: string): boolean => p.startsWith('/');

/** True when `p` ends with a path separator. */
export const hasTrailingSeparator = (p: string): boolean => p.endsWith('/');

/** True when the last element of `p` is `.` (the copy means "the contents of"). */
export const specifiesCurrentDir = (p: string): boolean => base(p) === '.';

/** True when `p` insists on a directory (`dir/` or `dir/.`). */
export const assertsDirectory = (p: string): boolean => hasTrailingSeparator(p) || specifiesCurrentDir(p);

/** go-archive PreserveTrailingDotOrSeparator: gives `cleaned` back the `/.` or `/` that `original` ended with. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) {
    if (!hasTrailingSeparator(out)) out += '/';
    out += '.';
  }
  if (!hasTrailingSeparator(out) && hasTrailingSeparator(original)) out += '/';
  return out;
}

/** go-archive SplitPathDirEntry: directory and entry of `p`, keeping a final `.`. */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = clean(p);
  if (specifiesCurrentDir(p)) cleaned += '/.';
  return [dir(cleaned), base(cleaned)];
}

/** Go's strings.Replace(s, old, new, 1): the first occurrence only (at the start for an empty `old`). */
export function replaceFirst(s: string, old: string, replacement: string): string {
  const i = s.indexOf(old);
  return i < 0 ? s : s.slice(0, i) + replacement + s.slice(i + old.length);
}
