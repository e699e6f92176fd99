/**
 * `docker diff`: the container layer's changes, minus what the runtime itself creates as mount
 * points (Docker keeps those in a hidden "init" layer, so users never see them).
 */
import { INIT_PATH } from '../runtime/spec.js';

const RUNTIME_PATHS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/etc/mtab', INIT_PATH, '/dev', '/proc', '/sys', '/.dockerenv']);

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** True for paths the runtime creates as mount points (never part of a diff or a commit). */
export function hidden(p: string): boolean {
  return RUNTIME_PATHS.has(p) || p.startsWith('/dev/') || p.startsWith('/proc/') || p.startsWith('/sys/');
}

/** Drops runtime mount points and the parent "changed" entries that only they caused. */
export function userChanges(changes: Change[]): Change[] {
  const kept = changes.filter((c) => !hidden(c.Path));
  const hiddenParents = new Set(changes.filter((c) => hidden(c.Path)).flatMap((c) => ancestors(c.Path)));
  return kept.filter((c) => !(c.Kind === 0 && hiddenParents.has(c.Path) && !kept.some((o) => o !== c && o.Path.startsWith(`${c.Path}/`))));
}

function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) out.push(p.slice(0, i));
  return out;
}
