/**
 * sh wildcard patterns in `${V#p}`, `${V%p}` and `${V/p/r}` (Docker's shell lexer: `*`, `?` and
 * `\` escapes, no brackets), turned into regular expressions.
 */

/** A substitution error; the caller words it as Docker does (`failed to process "…": …`). */
export class LexError extends Error {}

/** A sh wildcard pattern (`*`, `?`, `\` escapes; no brackets) as a regular expression. */
export function shellPattern(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  let out = anchored ? '^' : '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') out += greedy ? '.*' : '.*?';
    else if (c === '?') out += '.';
    else if (c === '\\') {
      const n = chars[i + 1];
      if (n === '}' || n === '/') continue; // escaped only for the ${} syntax around it
      if (n !== '*' && n !== '?' && n !== '\\') throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${n ?? ''}'`);
      out += `\\${n}`;
      i++;
    } else out += c.replace(/[[\]{}.+()|^$]/g, '\\$&');
  }
  return new RegExp(out, global ? 'gsu' : 'su');
}

export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPattern(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverses a pattern keeping escape pairs in order (`a\*c` → `c\*a`). */
function reversePattern(pattern: string): string {
  const chars = [...pattern];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\' && i + 1 < chars.length) {
      out.unshift(chars[i]!, chars[i + 1]!);
      i++;
    } else out.unshift(chars[i]!);
  }
  return out.join('');
}

export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // The shortest match at the end is the shortest match at the start of the reversed string.
  const rev = (s: string) => [...s].reverse().join('');
  return rev(trimPrefix(reversePattern(pattern), rev(value), greedy));
}
