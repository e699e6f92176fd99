/**
 * A subset of Go's text/template, enough for docker's `--format` flags:
 * `{{.Field.Sub}}`, `{{.}}`, functions and pipelines (`{{json .Config}}`, `{{.Names | upper}}`,
 * `{{join .Args ","}}`, `{{index .Labels "k"}}`, `{{.Label "k"}}`), `if`/`else`/`end`,
 * `range`/`with`, string/number literals, parentheses and `{{-`/`-}}` trim markers.
 *
 * The parser lives in template-parse.ts; this file executes the tree. Values print as Go's
 * fmt `%v` would for JSON-shaped data (nil as `<no value>`, slices as `[a b]`, maps as `map[k:v]`).
 */
import { parseTemplate, type Arg, type Cmd, type Node, type Pipeline } from './template-parse.js';

/** A template function: receives evaluated arguments, returns a value. */
export type TemplateFunc = (...args: unknown[]) => unknown;

/**
 * An error raised while parsing or executing a template, worded as Go's text/template words
 * it (`template: :1:2: executing "" at <.Foo>: …`); callers add `template parsing error: `.
 */
export class TemplateError extends Error {}

/** A lookup failure not yet tied to a position in the source. */
class LookupError extends Error {}

/**
 * Objects that stand for Go structs (table row contexts) implement this marker so that an
 * unknown field is reported like Go does for structs rather than for maps.
 */
export const STRUCT_NAME = Symbol('berth.template.structName');

/** docker's basic template functions (templates.basicFunctions) plus Go's builtins. */
export const BASIC_FUNCS: Record<string, TemplateFunc> = {
  json: (v) => {
    const text = JSON.stringify(v === undefined ? null : v) ?? 'null';
    // Row contexts marshal through Go's json.Marshal, which escapes <, > and & (`\u003cnone\u003e`).
    return v !== null && typeof v === 'object' && STRUCT_NAME in v ? escapeHtml(text) : text;
  },
  split: (s, sep) => String(s).split(String(sep)),
  join: (a, sep) => (Array.isArray(a) ? a.map((x) => printValue(x)).join(String(sep)) : printValue(a)),
  title: (s) => String(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, p: string, c: string) => p + c.toUpperCase()),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  pad: (s, prefix, suffix) => {
    const str = printValue(s);
    return str === '' ? str : ' '.repeat(Number(prefix)) + str + ' '.repeat(Number(suffix));
  },
  truncate: (s, n) => {
    const str = String(s);
    return str.length < Number(n) ? str : str.slice(0, Number(n));
  },
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  index: (v, ...keys) => {
    let cur: unknown = v;
    for (const k of keys) cur = cur == null ? undefined : (cur as Record<string, unknown>)[String(k)];
    return cur;
  },
  print: (...a) => a.map((x) => printValue(x)).join(''),
  println: (...a) => a.map((x) => printValue(x)).join(' ') + '\n',
  printf: (fmt, ...a) => sprintf(String(fmt), a),
  not: (v) => !truth(v),
  and: (...a) => a.find((x) => !truth(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truth(x)) ?? a[a.length - 1],
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  lt: (a, b) => (a as number) < (b as number),
  le: (a, b) => (a as number) <= (b as number),
  gt: (a, b) => (a as number) > (b as number),
  ge: (a, b) => (a as number) >= (b as number),
};

/** templates.HeaderFunctions: when rendering a table header, these leave the header intact. */
export const HEADER_FUNCS: Record<string, TemplateFunc> = {
  ...BASIC_FUNCS,
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};

function escapeHtml(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Go's truth rule for `if`: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && !(STRUCT_NAME in v)) return Object.keys(v).length > 0;
  return true;
}

/** Prints a value like Go's `%v` does for decoded JSON. */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${printValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function sprintf(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%([-0 +#]*)(\d*)(?:\.(\d+))?([svdqtg%])/g, (_m, flags: string, width: string, _prec, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    let s = verb === 'q' ? JSON.stringify(printValue(a)) : verb === 'd' ? String(Math.trunc(Number(a))) : printValue(a);
    const w = Number(width || 0);
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') ? '0' : ' ');
    return s;
  });
}

/** A parsed template, ready to run against any number of data values. */
export class Template {
  private constructor(
    private readonly nodes: Node[],
    readonly source: string,
  ) {}

  /** Parses `source`; throws TemplateError. */
  static parse(source: string): Template {
    try {
      return new Template(parseTemplate(source), source);
    } catch (e) {
      throw new TemplateError(`template: :1: ${(e as Error).message}`);
    }
  }

  /** Runs the template against `data`; `funcs` replaces the function table (header mode). */
  execute(data: unknown, funcs: Record<string, TemplateFunc> = BASIC_FUNCS): string {
    const exec = new Executor(funcs, data, this.source);
    try {
      return exec.nodes(this.nodes, data);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      throw new TemplateError(`template: :1: ${(e as Error).message}`);
    }
  }
}

class Executor {
  constructor(
    private readonly funcs: Record<string, TemplateFunc>,
    private readonly root: unknown,
    private readonly source: string,
  ) {}

  /** Runs `fn`, tying lookup failures to the source position `pos` (`:line:col`). */
  private at<T>(pos: number, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof LookupError)) throw e;
      const before = this.source.slice(0, pos);
      const line = 1 + (before.match(/\n/g)?.length ?? 0);
      const col = pos - (before.lastIndexOf('\n') + 1);
      throw new TemplateError(`template: :${line}:${col}: ${e.message}`);
    }
  }

  nodes(list: Node[], dot: unknown): string {
    let out = '';
    for (const n of list) out += this.node(n, dot);
    return out;
  }

  private node(n: Node, dot: unknown): string {
    switch (n.kind) {
      case 'text':
        return n.text;
      case 'action': {
        const v = this.pipeline(n.pipe, dot);
        return n.pipe.decl ? '' : printValue(v);
      }
      case 'if':
        return truth(this.pipeline(n.pipe, dot)) ? this.nodes(n.then, dot) : this.nodes(n.else, dot);
      case 'with': {
        const v = this.pipeline(n.pipe, dot);
        return truth(v) ? this.nodes(n.then, v) : this.nodes(n.else, dot);
      }
      case 'range': {
        const v = this.pipeline(n.pipe, dot);
        const items = Array.isArray(v)
          ? v
          : v && typeof v === 'object'
            ? Object.keys(v)
                .sort()
                .map((k) => (v as Record<string, unknown>)[k])
            : [];
        if (items.length === 0) return this.nodes(n.else, dot);
        return items.map((item) => this.nodes(n.then, item)).join('');
      }
    }
  }

  private pipeline(p: Pipeline, dot: unknown): unknown {
    let val: unknown = undefined;
    let first = true;
    for (const cmd of p.cmds) {
      val = this.command(cmd, dot, first ? undefined : { value: val });
      first = false;
    }
    return val;
  }

  private command(cmd: Cmd, dot: unknown, piped?: { value: unknown }): unknown {
    const [head, ...rest] = cmd.args;
    if (!head) throw new Error('empty command');
    const extra = piped ? [piped.value] : [];
    if (head.kind === 'ident') {
      const fn = this.funcs[head.name];
      if (!fn) throw new Error(`function "${head.name}" not defined`);
      return fn(...rest.map((a) => this.arg(a, dot)), ...extra);
    }
    if ((head.kind === 'field' || head.kind === 'var') && (rest.length > 0 || piped)) {
      // A method call such as `.Label "com.example"`: the last field names a function.
      const base = head.kind === 'var' ? this.root : dot;
      const { parent, fn } = this.at(head.pos, () => {
        const parent = this.walk(base, head.chain.slice(0, -1), head.chain);
        const name = head.chain[head.chain.length - 1];
        return { parent, fn: name === undefined ? undefined : this.lookup(parent, name, head.chain) };
      });
      if (typeof fn !== 'function') throw new Error(`can't give argument to non-function ${describe(head)}`);
      return (fn as TemplateFunc).call(parent, ...rest.map((a) => this.arg(a, dot)), ...extra);
    }
    if (rest.length > 0 || piped) throw new Error(`can't give argument to non-function ${describe(head)}`);
    return this.arg(head, dot);
  }

  private arg(a: Arg, dot: unknown): unknown {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return a.value;
      case 'field':
        return this.at(a.pos, () => this.callIfMethod(dot, a.chain));
      case 'var':
        return this.at(a.pos, () => this.callIfMethod(this.root, a.chain));
      case 'paren': {
        const v = this.pipeline(a.pipe, dot);
        return a.chain.length ? this.callIfMethod(v, a.chain) : v;
      }
      case 'ident': {
        const fn = this.funcs[a.name];
        if (!fn) throw new Error(`function "${a.name}" not defined`);
        return fn();
      }
    }
  }

  /** Resolves a field chain; a final function-valued field is called without arguments. */
  private callIfMethod(base: unknown, chain: string[]): unknown {
    if (chain.length === 0) return base;
    const parent = this.walk(base, chain.slice(0, -1), chain);
    const v = this.lookup(parent, chain[chain.length - 1]!, chain);
    return typeof v === 'function' ? (v as TemplateFunc).call(parent) : v;
  }

  private walk(base: unknown, chain: string[], full: string[]): unknown {
    let cur = base;
    for (const name of chain) {
      const v = this.lookup(cur, name, full);
      cur = typeof v === 'function' ? (v as TemplateFunc).call(cur) : v;
    }
    return cur;
  }

  private lookup(obj: unknown, name: string, chain: string[]): unknown {
    const at = `<.${chain.join('.')}>`;
    if (obj === null || obj === undefined) throw new LookupError(`executing "" at ${at}: nil pointer evaluating interface {}.${name}`);
    if (typeof obj !== 'object') throw new LookupError(`executing "" at ${at}: can't evaluate field ${name} in type ${typeof obj}`);
    const rec = obj as Record<string | symbol, unknown>;
    if (STRUCT_NAME in rec) {
      if (!(name in rec)) throw new LookupError(`executing "" at ${at}: can't evaluate field ${name} in type ${String(rec[STRUCT_NAME])}`);
      return rec[name];
    }
    if (!Object.prototype.hasOwnProperty.call(rec, name)) {
      throw new LookupError(`executing "" at ${at}: map has no entry for key "${name}"`);
    }
    return rec[name];
  }
}

function describe(a: Arg): string {
  if (a.kind === 'field') return `.${a.chain.join('.')}`;
  if (a.kind === 'var') return `$.${a.chain.join('.')}`;
  return a.kind;
}
