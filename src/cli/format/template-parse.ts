/**
 * Parser for the Go text/template subset used by `--format` (see template.ts for execution).
 *
 * Grammar: text and `{{ action }}` blocks; actions are pipelines (`cmd | cmd`) of operands
 * (`.`, `.A.B`, `$`, `$.A`, "strings", `raw`, numbers, true/false/nil, idents, `( … )`),
 * or the control words `if`, `else`, `else if`, `with`, `range`, `end`, and comments.
 */

/** One operand of a command. */
export type Arg =
  | { kind: 'dot' }
  | { kind: 'field'; chain: string[]; pos: number }
  | { kind: 'var'; chain: string[]; pos: number }
  | { kind: 'literal'; value: unknown }
  | { kind: 'ident'; name: string }
  | { kind: 'paren'; pipe: Pipeline; chain: string[] };

/** A command: a function or field followed by its arguments. */
export interface Cmd {
  args: Arg[];
}

/** Commands joined by `|`; `decl` marks a `$x := …` declaration (parsed, not printed). */
export interface Pipeline {
  cmds: Cmd[];
  decl?: boolean;
}

/** A node of the parsed tree. */
export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipe: Pipeline; then: Node[]; else: Node[] };

type Tok =
  | { t: 'pipe' }
  | { t: 'lparen' }
  | { t: 'rparen' }
  | { t: 'field'; chain: string[]; pos: number }
  | { t: 'var'; chain: string[]; pos: number }
  | { t: 'dot' }
  | { t: 'lit'; value: unknown }
  | { t: 'ident'; name: string }
  | { t: 'decl' };

/** Lexes one action body; `base` is its offset in the template (for error positions). */
function lexAction(src: string, base: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  // Go reports a field chain at the position of its last element (`.State.Foo` → `.Foo`).
  let lastPos = 0;
  const fieldChain = (): string[] => {
    const chain: string[] = [];
    while (src[i] === '.' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
      lastPos = base + i;
      i++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      chain.push(m[0]);
      i += m[0].length;
    }
    return chain;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|') {
      toks.push({ t: 'pipe' });
      i++;
    } else if (c === '(') {
      toks.push({ t: 'lparen' });
      i++;
    } else if (c === ')') {
      i++;
      toks.push({ t: 'rparen' });
      const chain = fieldChain();
      if (chain.length) toks.push({ t: 'field', chain, pos: lastPos });
    } else if (c === ':' && src[i + 1] === '=') {
      toks.push({ t: 'decl' });
      i += 2;
    } else if (c === '.') {
      const chain = fieldChain();
      if (chain.length) toks.push({ t: 'field', chain, pos: lastPos });
      else {
        toks.push({ t: 'dot' });
        i++;
      }
    } else if (c === '$') {
      const at = base + i;
      i++;
      const m = /^[A-Za-z0-9_]*/.exec(src.slice(i))!;
      i += m[0].length;
      lastPos = at;
      const chain = fieldChain();
      toks.push({ t: 'var', chain, pos: lastPos });
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new Error('unterminated quoted string');
      toks.push({ t: 'lit', value: JSON.parse(src.slice(i, j + 1)) });
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new Error('unterminated raw quoted string');
      toks.push({ t: 'lit', value: src.slice(i + 1, j) });
      i = j + 1;
    } else if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?(0x[0-9a-fA-F]+|\d+(\.\d*)?([eE][-+]?\d+)?)/.exec(src.slice(i));
      if (!m) throw new Error(`bad number syntax: ${src.slice(i)}`);
      toks.push({ t: 'lit', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      i += m[0].length;
      const w = m[0];
      if (w === 'true' || w === 'false') toks.push({ t: 'lit', value: w === 'true' });
      else if (w === 'nil') toks.push({ t: 'lit', value: null });
      else toks.push({ t: 'ident', name: w });
    } else {
      throw new Error(`unexpected "${c}" in command`);
    }
  }
  return toks;
}

function parsePipeline(toks: Tok[]): Pipeline {
  let pos = 0;
  let decl = false;
  // `$x := pipeline` — variables are accepted for compatibility but only `$` is readable.
  if (toks[0]?.t === 'var' && toks[1]?.t === 'decl') {
    pos = 2;
    decl = true;
  }
  const parse = (): Pipeline => {
    const cmds: Cmd[] = [];
    let args: Arg[] = [];
    while (pos < toks.length) {
      const tk = toks[pos++]!;
      if (tk.t === 'rparen') {
        pos--;
        break;
      }
      if (tk.t === 'pipe') {
        if (!args.length) throw new Error('missing command');
        cmds.push({ args });
        args = [];
        continue;
      }
      if (tk.t === 'lparen') {
        const inner = parse();
        if (toks[pos]?.t !== 'rparen') throw new Error('unclosed left paren');
        pos++;
        let chain: string[] = [];
        const next = toks[pos];
        if (next?.t === 'field') {
          chain = next.chain;
          pos++;
        }
        args.push({ kind: 'paren', pipe: inner, chain });
        continue;
      }
      if (tk.t === 'dot') args.push({ kind: 'dot' });
      else if (tk.t === 'field') args.push({ kind: 'field', chain: tk.chain, pos: tk.pos });
      else if (tk.t === 'var') args.push({ kind: 'var', chain: tk.chain, pos: tk.pos });
      else if (tk.t === 'lit') args.push({ kind: 'literal', value: tk.value });
      else if (tk.t === 'ident') args.push({ kind: 'ident', name: tk.name });
      else throw new Error('unexpected ":=" in operand');
    }
    if (!args.length) throw new Error('missing value for command');
    cmds.push({ args });
    return { cmds };
  };
  const pipe = parse();
  if (pos < toks.length) throw new Error('unexpected ")" in operand');
  return { ...pipe, decl };
}

interface RawAction {
  body: string;
  /** Offset of `body` in the template source. */
  offset: number;
}

/** Splits source into text and action pieces, applying `{{-` and `-}}` trimming. */
function split(src: string): (string | RawAction)[] {
  const parts: (string | RawAction)[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text) parts.push(text);
      break;
    }
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 2;
    }
    if (text) parts.push(text);
    const close = src.indexOf('}}', start);
    if (close < 0) throw new Error('unclosed action');
    let end = close;
    trimNext = false;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '') && close - 2 >= start) {
      end = close - 2;
      trimNext = true;
    }
    const raw = src.slice(start, end);
    parts.push({ body: raw.trim(), offset: start + (raw.length - raw.trimStart().length) });
    i = close + 2;
  }
  return parts;
}

/** Parses a template source into a tree; throws Error with Go-like wording on bad input. */
export function parseTemplate(src: string): Node[] {
  const parts = split(src);
  let idx = 0;
  // Parses nodes until `end`/`else`; returns the list and the terminator seen.
  const block = (): { nodes: Node[]; term: 'end' | 'else' | 'eof'; elseBody?: string; elseOffset?: number } => {
    const nodes: Node[] = [];
    while (idx < parts.length) {
      const p = parts[idx++]!;
      if (typeof p === 'string') {
        nodes.push({ kind: 'text', text: p });
        continue;
      }
      const { body, offset } = p;
      if (body.startsWith('/*')) continue;
      const word = /^[a-z]+/.exec(body)?.[0];
      if (word === 'end' && body === 'end') return { nodes, term: 'end' };
      if (word === 'else') {
        const rest = body.slice(4);
        return { nodes, term: 'else', elseBody: rest.trim(), elseOffset: offset + 4 + (rest.length - rest.trimStart().length) };
      }
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(control(word, body.slice(word.length), offset + word.length));
        continue;
      }
      nodes.push({ kind: 'action', pipe: parsePipeline(lexAction(body, offset)) });
    }
    return { nodes, term: 'eof' };
  };
  const control = (kind: 'if' | 'with' | 'range', rest: string, offset: number): Node => {
    const pipe = parsePipeline(lexAction(rest, offset));
    const first = block();
    if (first.term === 'eof') throw new Error(`unexpected EOF`);
    let elseNodes: Node[] = [];
    if (first.term === 'else') {
      if (first.elseBody && first.elseBody.startsWith('if')) {
        // `else if X` is sugar for `else` + nested `if X … end` sharing this block's `end`.
        elseNodes = [control('if', first.elseBody.slice(2), (first.elseOffset ?? 0) + 2)];
      } else {
        const second = block();
        if (second.term !== 'end') throw new Error(`expected end; found ${second.term}`);
        elseNodes = second.nodes;
      }
    }
    return { kind, pipe, then: first.nodes, else: elseNodes };
  };
  const top = block();
  if (top.term !== 'eof') throw new Error(`unexpected {{${top.term}}}`);
  return top.nodes;
}
