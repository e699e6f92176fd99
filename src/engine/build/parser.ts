/**
 * The Dockerfile parser (lecture concept: a Dockerfile is the recipe an image is built from, one
 * instruction per line). It turns the text into instruction nodes the way Docker's parser does:
 * parser directives (`# escape=`, `# syntax=`, `# check=`) only at the very top, comments dropped
 * even inside continued lines, the escape character at a line's end continuing it, and heredocs
 * (`RUN <<EOF … EOF`) for RUN, COPY and ADD. Errors carry the line they were found on.
 */
import { BerthError, invalidArgument } from '../../lib/errors.js';
import { LineSyntaxError, parseArgs, splitCommand, type LineArgs } from './line-parsers.js';
import { ShellLex } from './shell-lex.js';

export interface Heredoc {
  name: string;
  /** The file descriptor before `<<` (`3<<EOF`), 0 when none. */
  fd: number;
  /** `<<-`: leading tabs are removed from the content and the terminator. */
  chomp: boolean;
  /** False when the word was quoted (`<<"EOF"`): the content is taken literally. */
  expand: boolean;
  content: string;
}

/** One instruction as written. */
export interface Node {
  /** The instruction as spelled (`run`, `RUN`, `Run`). */
  cmd: string;
  /** The whole logical line, continuations joined, comments removed. */
  original: string;
  flags: string[];
  args: string[];
  json: boolean;
  sub?: LineArgs['sub'];
  heredocs: Heredoc[];
  startLine: number;
  endLine: number;
}

export interface ParseResult {
  nodes: Node[];
  escape: string;
  warnings: string[];
}

/** A parse error with the lines it concerns; the message is Docker's, without location. */
export class DockerfileError extends BerthError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super('InvalidArgument', message);
  }
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_WORD = /^(\d*)<<(-?)\s*([^<]*)$/;

/** Parser directives: read from the first lines until anything else appears. */
class Directives {
  escape = '\\';
  continuation = continuationRegex('\\');
  private done = false;
  private seen = new Set<string>();

  /** Looks at one line; true when it was a directive. */
  take(line: string): boolean {
    if (this.done) return false;
    const m = DIRECTIVE.exec(line);
    const key = m?.[1]!.toLowerCase();
    if (!m || !DIRECTIVES.has(key!)) {
      this.done = true;
      return false;
    }
    if (this.seen.has(key!)) throw invalidArgument(`only one ${key} parser directive can be used`);
    this.seen.add(key!);
    if (key === 'escape') {
      const v = m[2]!;
      if (v !== '`' && v !== '\\') throw invalidArgument(`invalid escape token '${v}' does not match \` or \\`);
      this.escape = v;
      this.continuation = continuationRegex(v);
    }
    return true;
  }
}

/** The escape character as the last non-blank character, not itself escaped, or alone on its line. */
function continuationRegex(esc: string): RegExp {
  const e = `\\${esc}`;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

const trimNewline = (s: string) => s.replace(/[\r\n]+$/, '');
const isComment = (s: string) => /^\s*#/.test(s);

/** Lines with their endings, as Go's scanner with a newline-keeping split function yields them. */
function scanLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

/** Finds the heredocs a RUN/COPY/ADD line opens (`<<EOF`, `<<-EOT`, `3<<"END"`). */
export function heredocsOf(line: string): Array<Omit<Heredoc, 'content'>> {
  const lex = new ShellLex('\\', { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  const out: Array<Omit<Heredoc, 'content'>> = [];
  for (const word of lex.processWords(line, () => undefined)) {
    const h = parseHeredocWord(word);
    if (h) out.push(h);
  }
  return out;
}

/** One word as a heredoc opener, or undefined. */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = HEREDOC_WORD.exec(word);
  if (!m || !m[3]) return undefined;
  const none = () => undefined;
  const words = new ShellLex('\\', { skipUnsetEnv: true }).processWords(m[3], none);
  if (words.length !== 1) return undefined;
  const raw = new ShellLex('\\', { skipUnsetEnv: true, rawQuotes: true }).processWords(m[3], none);
  const quotes = (s: string) => (s.match(/["']/g) ?? []).length;
  // Quotes around the word (`<<"EOF"`) switch expansion of the content off.
  return { name: words[0]!, fd: m[1] ? Number(m[1]) : 0, chomp: m[2] === '-', expand: quotes(words[0]!) === quotes(raw[0] ?? '') };
}

function canHaveHeredoc(cmd: string, args: LineArgs): boolean {
  let c = cmd.toLowerCase();
  let json = args.json;
  if (c === 'onbuild' && args.sub) {
    c = args.sub.cmd.toLowerCase();
    json = args.sub.args.json;
  }
  return ['add', 'copy', 'run'].includes(c) && !json;
}

/** Parses a whole Dockerfile. Errors are InvalidArgument DockerfileErrors naming their line. */
export function parseDockerfile(text: string): ParseResult {
  const d = new Directives();
  const lines = scanLines(text.replace(/^\uFEFF/, ''));
  const nodes: Node[] = [];
  const warnings: string[] = [];
  let i = 0;
  let current = 0;
  const at = (fn: () => void, line: number) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof DockerfileError) throw err;
      if (err instanceof BerthError || err instanceof LineSyntaxError) throw new DockerfileError(err.message, line);
      throw err;
    }
  };
  /** Newline trimmed, optionally left-trimmed, directive noted, comment lines emptied. */
  const processLine = (raw: string, stripLeft: boolean): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = token.trimStart();
    at(() => d.take(token), current + 1);
    return isComment(token) ? '' : token;
  };
  const trimContinuation = (s: string): [string, boolean] => (d.continuation.test(s) ? [s.replace(d.continuation, '$1'), false] : [s, true]);

  while (i < lines.length) {
    const first = processLine(lines[i++]!, true);
    current++;
    const start = current;
    let [buf, eol] = trimContinuation(first);
    if (eol && buf === '') continue;
    let emptyContinuation = false;
    while (!eol && i < lines.length) {
      const raw = lines[i++]!;
      const token = processLine(raw, false);
      current++;
      if (isComment(raw)) continue;
      if (token.trim() === '') {
        emptyContinuation = true;
        continue;
      }
      let part: string;
      [part, eol] = trimContinuation(token);
      buf += part;
    }
    if (emptyContinuation) warnings.push(`Empty continuation line found in: ${buf}`);
    let node!: Node;
    at(() => {
      const { cmd, flags, rest } = splitCommand(buf, d.escape);
      const a = parseArgs(cmd, rest, d.escape);
      node = { cmd, original: buf, flags, args: a.args, json: a.json, ...(a.sub ? { sub: a.sub } : {}), heredocs: [], startLine: start, endLine: current };
    }, start);
    if (canHaveHeredoc(node.cmd, { args: node.args, json: node.json, sub: node.sub }) && buf.includes('<<')) {
      let docs: Array<Omit<Heredoc, 'content'>> = [];
      at(() => (docs = heredocsOf(buf)), start);
      for (const h of docs) {
        let content = '';
        let terminated = false;
        while (i < lines.length) {
          const raw = lines[i++]!;
          current++;
          let candidate = trimNewline(raw);
          if (h.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === h.name) {
            terminated = true;
            break;
          }
          content += raw;
        }
        if (!terminated) throw new DockerfileError('unterminated heredoc', start);
        node.heredocs.push({ ...h, content });
      }
      node.endLine = current;
    }
    nodes.push(node);
  }
  if (nodes.length === 0) throw new DockerfileError('file with no instructions', current);
  return { nodes, escape: d.escape, warnings };
}
