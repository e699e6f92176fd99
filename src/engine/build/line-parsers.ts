/**
 * How each Dockerfile instruction's arguments are split (lecture concept: a Dockerfile is a list
 * of instructions, each with its own argument syntax). These follow the rules of Docker's parser
 * (moby/buildkit frontend/dockerfile/parser): quotes and escapes are KEPT here and removed later by
 * variable substitution (shell-lex.ts), JSON arrays mark the exec form, `ENV`/`LABEL` accept the
 * legacy `KEY value` form, and `--flag=value` words right after the instruction are builder flags.
 */

/** A syntax error found while splitting a line; the parser adds the line number. */
export class LineSyntaxError extends Error {}

/** The arguments of one instruction as the line parser leaves them. */
export interface LineArgs {
  args: string[];
  /** True when the arguments were a JSON array (exec form). */
  json: boolean;
  /** ONBUILD: the instruction it carries, parsed like a line of its own. */
  sub?: { cmd: string; flags: string[]; args: LineArgs };
}

const WHITESPACE = /[\t\v\f\r ]+/;
const isSpace = (ch: string) => /\s/.test(ch);

/** Splits `FROM --platform=x busybox AS b` into the instruction, its flags and the rest. */
export function splitCommand(line: string, escape: string): { cmd: string; flags: string[]; rest: string } {
  const trimmed = line.trim();
  const m = WHITESPACE.exec(trimmed);
  if (!m) return { cmd: trimmed, flags: [], rest: '' };
  const cmd = trimmed.slice(0, m.index);
  const { rest, flags } = builderFlags(trimmed.slice(m.index + m[0].length), escape);
  return { cmd, flags, rest: rest.trim() };
}

/**
 * Reads leading `--name[=value]` words (quotes and escapes removed) and returns them with the
 * rest of the line. A bare `--` ends the flags.
 */
export function builderFlags(line: string, escape: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && isSpace(line[pos]!)) pos++;
    if (pos >= line.length) return { rest: '', flags };
    if (!line.startsWith('--', pos) || pos + 1 >= line.length) return { rest: line.slice(pos), flags };
    let word = '';
    let quote = '';
    let quoted = false;
    for (; pos < line.length; pos++) {
      const ch = line[pos]!;
      if (!quote && isSpace(ch)) break;
      if (!quote && (ch === '"' || ch === "'")) {
        quote = ch;
        quoted = true;
        continue;
      }
      if (quote && ch === quote) {
        quote = '';
        continue;
      }
      if (ch === escape) {
        if (pos + 1 >= line.length) continue; // an escape at the very end is dropped
        word += line[++pos];
        continue;
      }
      word += ch;
    }
    if (word === '--') return { rest: line.slice(pos), flags };
    if (word || quoted) flags.push(word);
  }
}

/**
 * Splits on unquoted whitespace, keeping quotes and escapes in the words (they are data for the
 * later substitution). Inside single quotes the escape character is literal.
 */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let blankOk = false;
  let quote = '';
  for (let pos = 0; pos < rest.length; pos++) {
    let ch = rest[pos]!;
    if (!inWord) {
      if (isSpace(ch)) continue;
      inWord = true;
    }
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === escape && quote !== "'") {
        if (pos + 1 >= rest.length) continue;
        word += ch;
        ch = rest[++pos]!;
      }
      word += ch;
      continue;
    }
    if (isSpace(ch)) {
      if (blankOk || word) words.push(word);
      word = '';
      inWord = false;
      blankOk = false;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      blankOk = true;
    }
    if (ch === escape) {
      if (pos + 1 >= rest.length) continue;
      word += ch;
      ch = rest[++pos]!;
    }
    word += ch;
  }
  if (inWord && (blankOk || word)) words.push(word);
  return words;
}

/** Go's %q for the common cases of a message. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** ENV and LABEL: `K=v K2="v 2"` (triples key, value, "=") or the legacy `K the value` (separator ""). */
function nameVal(rest: string, what: string, escape: string): LineArgs {
  const words = parseWords(rest, escape);
  if (words.length === 0) return { args: [], json: false };
  if (!words[0]!.includes('=')) {
    const m = WHITESPACE.exec(rest);
    if (!m) throw new LineSyntaxError(`${what} must have two arguments`);
    return { args: [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''], json: false };
  }
  const args: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) throw new LineSyntaxError(`Syntax error - can't find = in ${goQuote(w)}. Must be of the form: name=value`);
    args.push(w.slice(0, eq), w.slice(eq + 1), '=');
  }
  return { args, json: false };
}

function whitespaceList(rest: string): LineArgs {
  return { args: rest ? rest.split(WHITESPACE) : [], json: false };
}

/** A JSON array of strings, or undefined when `rest` is not JSON (then it is the shell form). */
function jsonArray(rest: string): string[] | undefined {
  const t = rest.trimStart();
  if (!t.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  if (!v.every((x) => typeof x === 'string')) throw new LineSyntaxError('when using JSON array syntax, arrays must be comprised of strings only');
  return v as string[];
}

function maybeJson(rest: string): LineArgs {
  if (!rest) return { args: [], json: false };
  const arr = jsonArray(rest);
  return arr ? { args: arr, json: true } : { args: [rest], json: false };
}

function maybeJsonList(rest: string): LineArgs {
  const arr = jsonArray(rest);
  return arr ? { args: arr, json: true } : whitespaceList(rest);
}

/** HEALTHCHECK: the type word, then a command in JSON or shell form. */
function healthConfig(rest: string): LineArgs {
  const m = /\s/.exec(rest);
  const sep = m ? m.index : rest.length;
  if (sep === 0) return { args: [], json: false };
  const cmd = maybeJson(rest.slice(sep).trimStart());
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json };
}

/** Splits the arguments of instruction `cmd` (any case); unknown instructions keep none. */
export function parseArgs(cmd: string, rest: string, escape: string): LineArgs {
  switch (cmd.toLowerCase()) {
    case 'add':
    case 'copy':
    case 'volume':
      return maybeJsonList(rest);
    case 'arg':
      return { args: parseWords(rest, escape), json: false };
    case 'cmd':
    case 'entrypoint':
    case 'run':
    case 'shell':
      return maybeJson(rest);
    case 'env':
      return nameVal(rest, 'ENV', escape);
    case 'label':
      return nameVal(rest, 'LABEL', escape);
    case 'expose':
    case 'from':
      return whitespaceList(rest);
    case 'healthcheck':
      return healthConfig(rest);
    case 'maintainer':
    case 'stopsignal':
    case 'user':
    case 'workdir':
      return { args: rest ? [rest] : [], json: false };
    case 'onbuild': {
      if (!rest) return { args: [], json: false };
      const sub = splitCommand(rest, escape);
      const subArgs = parseArgs(sub.cmd, sub.rest, escape);
      return { args: [sub.cmd, ...subArgs.args], json: subArgs.json, sub: { cmd: sub.cmd, flags: sub.flags, args: subArgs } };
    }
    default:
      return { args: [], json: false };
  }
}
