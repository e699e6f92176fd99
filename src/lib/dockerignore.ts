/**
 * `.dockerignore` files and their patterns (lecture concept: the build context is everything
 * sent to the builder, minus what .dockerignore names). Shared by the CLI, which leaves ignored
 * files out of the context it sends, and the daemon, which drops them from a context a client
 * sent anyway. The rules are Docker's (moby/patternmatcher): Go filepath.Match syntax plus `**`,
 * `!` re-includes, later patterns win, and a pattern matching a directory covers all below it.
 */
import path from 'node:path';

/** The patterns of a .dockerignore file: comments and blanks dropped, paths cleaned, leading `/` removed. */
export function readIgnoreFile(text: string): string[] {
  const out: string[] = [];
  for (let line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (!line) continue;
    const invert = line.startsWith('!');
    let p = invert ? line.slice(1).trim() : line;
    if (p) {
      p = path.posix.normalize(p).replace(/(.)\/$/, '$1');
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? `!${p}` : p);
  }
  return out;
}

interface Pattern {
  exclusion: boolean;
  text: string;
  test: (p: string) => boolean;
}

/** Compiles one cleaned pattern to a predicate on slash-separated relative paths. */
function compile(p: string): (file: string) => boolean {
  if (!/[*?[\]\\]/.test(p)) return (f) => f === p;
  let re = '^';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') i++;
        // `**` at the end matches everything below; elsewhere any number of directories.
        re += i + 1 >= p.length ? '.*' : '(.*/)?';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      re += i + 1 < p.length ? `\\${p[++i]}` : '\\\\';
    } else if (ch === '[' || ch === ']') re += ch;
    else re += ch.replace(/[.+()|{}$^]/g, '\\$&');
  }
  const rx = new RegExp(`${re}$`, 's');
  return (f) => rx.test(f);
}

/** A list of .dockerignore patterns. */
export class IgnoreMatcher {
  private readonly patterns: Pattern[] = [];
  /** True when some pattern re-includes (`!…`): ignored directories must still be walked. */
  readonly hasExclusions: boolean;

  constructor(patterns: string[]) {
    for (let p of patterns) {
      p = p.trim();
      if (!p) continue;
      p = path.posix.normalize(p);
      const exclusion = p.startsWith('!');
      if (exclusion) {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        p = p.slice(1);
      }
      this.patterns.push({ exclusion, text: p, test: compile(p) });
    }
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** True when `file` (relative, slash-separated) or one of its parents is ignored. */
  matches(file: string): boolean {
    const f = path.posix.normalize(file).replace(/^\.\//, '').replace(/\/$/, '');
    if (f === '.' || f === '') return false;
    const parents = f.split('/').slice(0, -1);
    let matched = false;
    for (const p of this.patterns) {
      // An include can only change an ignored file, an ignore only a kept one.
      if (p.exclusion !== matched) continue;
      let hit = p.test(f);
      for (let i = 0; !hit && i < parents.length; i++) hit = p.test(parents.slice(0, i + 1).join('/'));
      if (hit) matched = !p.exclusion;
    }
    return matched;
  }
}
