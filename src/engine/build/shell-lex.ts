/**
 * Variable substitution in Dockerfile arguments (lecture concept: ENV and ARG values are used in
 * later instructions as `$VAR` / `${VAR}`). The rules are those of Docker's shell lexer, a small
 * subset of sh: single quotes are literal, double quotes allow `$` expansion and escape only
 * `"`, `$` and the escape character, and the modifiers are
 *
 *   ${V:-w} ${V-w}  default        ${V:+w} ${V+w}  alternative     ${V:?m} ${V?m}  required
 *   ${V#p} ${V##p}  strip prefix   ${V%p} ${V%%p}  strip suffix    ${V/p/r} ${V//p/r} replace
 *
 * (the colon forms treat an empty value like an unset one). `processWord` yields one string with
 * quotes removed; `processWords` also splits it into words after substitution, as EXPOSE and the
 * heredoc scanner need.
 */
import { LexError, shellPattern, trimPrefix, trimSuffix } from './shell-pattern.js';

export { LexError };

/** Looks a variable up; undefined when it is not set. */
export type EnvLookup = (name: string) => string | undefined;

export interface LexOptions {
  /** Keep quote characters in the result (the heredoc scanner needs to see them). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
}

const EOF = '';
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const isSpace = (ch: string) => /\s/.test(ch);

class Words {
  words: string[] = [];
  buf = '';
  inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buf) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }
  addRaw(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  result(): string[] {
    if (this.buf) this.words.push(this.buf);
    this.buf = '';
    return this.words;
  }
}

export class ShellLex {
  private chars: string[] = [];
  private pos = 0;
  private env: EnvLookup = () => undefined;
  private rawEscapes = false;

  constructor(
    readonly escape = '\\',
    readonly opts: LexOptions = {},
  ) {}

  /** Substitutes variables in `word` and removes quotes; one string. */
  processWord(word: string, env: EnvLookup): string {
    return this.run(word, env).word;
  }

  /** Like processWord, then split into words on unquoted whitespace. */
  processWords(word: string, env: EnvLookup): string[] {
    return this.run(word, env).words;
  }

  private run(source: string, env: EnvLookup): { word: string; words: string[] } {
    this.chars = [...source];
    this.pos = 0;
    this.env = env;
    this.rawEscapes = !!this.opts.rawEscapes;
    try {
      return this.until(EOF, this.rawEscapes);
    } catch (err) {
      if (err instanceof LexError) throw new LexError(`failed to process ${JSON.stringify(source)}: ${err.message}`);
      throw err;
    }
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  private next(): string {
    return this.chars[this.pos++] ?? EOF;
  }

  /** Processes until `stop` (consumed) or the end; a missing `stop` is an error. */
  private until(stop: string, rawEscapes: boolean): { word: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new Words();
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return { word: result, words: words.result() };
        }
        if (ch === '$') {
          const v = this.dollar();
          result += v;
          words.addString(v);
        } else if (ch === '<') {
          const v = this.possibleHeredoc();
          result += v;
          words.addRaw(v);
        } else if (ch === "'" || ch === '"') {
          const v = ch === "'" ? this.singleQuoted() : this.doubleQuoted();
          result += v;
          words.addRaw(v);
        } else {
          let c = this.next();
          if (c === this.escape) {
            if (this.rawEscapes) {
              words.addRaw(c);
              result += c;
            }
            c = this.next();
            if (c === EOF) break; // an escape at the end of the word is dropped
            words.addRaw(c);
          } else words.addChar(c);
          result += c;
        }
      }
      if (stop !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
      return { word: result, words: words.result() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private singleQuoted(): string {
    let out = this.opts.rawQuotes ? this.next() : (this.next(), '');
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return this.opts.rawQuotes ? out + ch : out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    let out = this.opts.rawQuotes ? this.next() : (this.next(), '');
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        const ch = this.next();
        return this.opts.rawQuotes ? out + ch : out;
      }
      if (p === '$') {
        out += this.dollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.escape) {
        if (this.rawEscapes) out += ch;
        const n = this.peek();
        if (n === EOF) continue;
        // Only these can be escaped inside double quotes; any other escape stays as written.
        if (n === '"' || n === '$' || n === this.escape) ch = this.next();
      }
      out += ch;
    }
  }

  private possibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let space = '';
    while (['\t', '\r', ' '].includes(this.peek())) space += this.next();
    return `<<${space}`;
  }

  private name(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name === '' && /\d/.test(ch)) {
        while (/\d/.test(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) return this.next();
      if (!/[\p{L}\p{N}_]/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }

  private lookup(name: string): string | undefined {
    return this.env(name);
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      const v = this.lookup(name);
      if (v === undefined && this.opts.skipUnsetEnv) return `$${name}`;
      return v ?? '';
    }
    this.next();
    const p = this.peek();
    if (p === EOF) throw new LexError("syntax error: missing '}'");
    if (p === '{' || p === '}' || p === ':') throw new LexError('syntax error: bad substitution');
    const name = this.name();
    let ch = this.next();
    let mod = ch;
    if (ch === '}') {
      const v = this.lookup(name);
      if (v === undefined && this.opts.skipUnsetEnv) return `\${${name}}`;
      return v ?? '';
    }
    if (ch === EOF) throw new LexError("syntax error: missing '}'");
    if (ch === '/') return this.replace(name);
    let colon = false;
    if (ch === ':') {
      colon = true;
      ch = this.next();
      mod += ch;
    }
    if (!['+', '-', '?', '#', '%'].includes(ch)) throw new LexError(`unsupported modifier (${mod}) in substitution`);
    const patternMod = ch === '#' || ch === '%';
    if (colon && patternMod) throw new LexError(`unsupported modifier (${mod}) in substitution`);
    let word: string;
    try {
      word = this.until('}', patternMod).word;
    } catch (err) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw err;
    }
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}${mod}${word}}`;
    const unsetLike = value === undefined || (colon && value === '');
    switch (ch) {
      case '-':
        return unsetLike ? word : value!;
      case '+':
        return unsetLike ? '' : word;
      case '?':
        if (value === undefined) throw new LexError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (colon && value === '') throw new LexError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      default: {
        // `##`/`%%` take the longest match, `#`/`%` the shortest.
        const greedy = word.startsWith(ch);
        const pattern = greedy ? word.slice(1) : word;
        return ch === '#' ? trimPrefix(pattern, value ?? '', greedy) : trimSuffix(pattern, value ?? '', greedy);
      }
    }
  }

  private replace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    let pattern: string;
    let replacement: string;
    try {
      pattern = this.until('/', true).word;
    } catch (err) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '/' in ${}");
      throw err;
    }
    try {
      replacement = this.until('}', true).word;
    } catch (err) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw err;
    }
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    const re = shellPattern(pattern, true, false, all);
    return (value ?? '').replace(re, () => replacement);
  }
}
