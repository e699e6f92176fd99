/**
 * Typed Dockerfile instructions and build stages (lecture concept: `FROM` starts a stage, the
 * other instructions add to it; `ARG`s before the first `FROM` are shared by every `FROM`).
 * Each node from the parser is checked here with Docker's rules and messages; an error names its
 * line as Docker's legacy builder does: `dockerfile parse error on line 7: unknown instruction: FOO`.
 */
import { BerthError } from '../../lib/errors.js';
import { Fail, fail, Flags, parseDuration, suggestion } from './instruction-checks.js';
import { goQuote } from './line-parsers.js';
import { parseHeredocWord, type Heredoc, type Node } from './parser.js';

export interface KeyValue {
  key: string;
  value: string;
}

/** A file written from a heredoc (`COPY <<EOF /dest`). */
export interface SourceContent {
  path: string;
  data: string;
  expand: boolean;
}

export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

interface Base {
  /** Lower-case instruction name. */
  name: string;
  /** The instruction as written (for `Step N/M : …`). */
  code: string;
  line: number;
}

export interface CopyLike extends Base {
  name: 'add' | 'copy';
  sources: string[];
  contents: SourceContent[];
  dest: string;
  chown: string;
  chmod: string;
  from: string;
  link: boolean;
  checksum: string;
}

export interface ShellDependent {
  /** The command line: one string in shell form, the argv in exec form; null when none given. */
  cmdLine: string[] | null;
  /** Shell form: the stage's SHELL goes in front. */
  prependShell: boolean;
}

export type Instruction =
  | (Base & { name: 'env'; pairs: KeyValue[] })
  | (Base & { name: 'label'; pairs: KeyValue[]; noExpand?: boolean })
  | (Base & { name: 'maintainer'; maintainer: string })
  | CopyLike
  | (Base & { name: 'onbuild'; expression: string })
  | (Base & { name: 'workdir'; path: string })
  | (Base & ShellDependent & { name: 'run'; files: Heredoc[]; flagsUsed: string[] })
  | (Base & ShellDependent & { name: 'cmd' | 'entrypoint' })
  | (Base & { name: 'healthcheck'; health: HealthConfig })
  | (Base & { name: 'expose'; ports: string[] })
  | (Base & { name: 'user'; user: string })
  | (Base & { name: 'volume'; volumes: string[] })
  | (Base & { name: 'stopsignal'; signal: string })
  | (Base & { name: 'arg'; args: Array<{ key: string; value?: string }> })
  | (Base & { name: 'shell'; shell: string[] });

export interface Stage {
  /** Lower-case stage name (`AS x`), '' when unnamed. */
  name: string;
  baseName: string;
  platform: string;
  code: string;
  line: number;
  commands: Instruction[];
}

export const INSTRUCTIONS = ['add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir'];

/** An instruction Docker would reject; `line` is where it starts. */
export class InstructionError extends BerthError {
  constructor(
    readonly detail: string,
    readonly line: number,
  ) {
    super('InvalidArgument', `dockerfile parse error on line ${line}: ${detail}`);
  }
}

const argsAtLeastOne = (cmd: string) => `${cmd} requires at least one argument`;
const exactlyOne = (cmd: string) => `${cmd} requires exactly one argument`;
const noDestination = (cmd: string) => `${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`;

function keyValues(args: string[], cmd: string): KeyValue[] {
  if (args.length === 0) fail(argsAtLeastOne(cmd));
  if (args.length % 3 !== 0) fail(`Bad input to ${cmd}, too many arguments`);
  const out: KeyValue[] = [];
  for (let i = 0; i < args.length; i += 3) {
    if (!args[i]) fail(`${cmd} names can not be blank`);
    out.push({ key: args[i]!, value: args[i + 1]! });
  }
  return out;
}

/** CMD/ENTRYPOINT/RUN arguments: the argv in exec form, one joined string in shell form. */
function shellDependent(n: Node, emptyAsNil: boolean): ShellDependent {
  let cmdLine: string[] | null = n.json ? n.args : n.args.length ? [n.args.join(' ')] : [];
  if (emptyAsNil && cmdLine.length === 0) cmdLine = null;
  return { cmdLine, prependShell: !n.json };
}

function copyLike(n: Node, base: Base, name: 'add' | 'copy'): CopyLike {
  const cmd = name.toUpperCase();
  if (n.args.length < 2) fail(noDestination(cmd));
  const f = name === 'add' ? new Flags(n.flags, ['link', 'keep-git-dir'], ['chown', 'chmod', 'checksum']) : new Flags(n.flags, ['link'], ['chown', 'from', 'chmod']);
  const dest = n.args[n.args.length - 1]!;
  if (parseHeredocWord(dest)) fail(`${cmd} cannot accept a heredoc as a destination`);
  const sources: string[] = [];
  const contents: SourceContent[] = [];
  for (const src of n.args.slice(0, -1)) {
    const h = parseHeredocWord(src);
    if (!h) {
      sources.push(src);
      continue;
    }
    const doc = n.heredocs.find((d) => d.name === h.name);
    let data = doc?.content ?? '';
    if (h.chomp) data = data.replace(/^\t+/gm, '');
    contents.push({ path: h.name, data, expand: h.expand });
  }
  return { ...base, name, sources, contents, dest, chown: f.get('chown'), chmod: f.get('chmod'), from: f.get('from'), link: f.get('link') === 'true', checksum: f.get('checksum') };
}

function healthcheck(n: Node): HealthConfig {
  if (n.args.length === 0) fail(argsAtLeastOne('HEALTHCHECK'));
  const typ = n.args[0]!.toUpperCase();
  const rest = n.args.slice(1);
  if (typ === 'NONE') {
    if (rest.length) fail('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  const f = new Flags(n.flags, [], ['interval', 'timeout', 'start-period', 'start-interval', 'retries']);
  if (typ !== 'CMD') fail(`Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = n.json ? rest : rest.length ? [rest.join(' ')] : [];
  if (cmd.length === 0) fail('Missing command after HEALTHCHECK CMD');
  const hc: HealthConfig = { Test: [n.json ? 'CMD' : 'CMD-SHELL', ...cmd] };
  const interval = (flag: string) => {
    const v = f.get(flag);
    if (!v) return 0;
    const d = parseDuration(v);
    if (d !== 0 && d < 1e6) fail(`Interval ${goQuote(flag)} cannot be less than 1ms`);
    return d;
  };
  const fields: Array<[keyof HealthConfig, string]> = [['Interval', 'interval'], ['Timeout', 'timeout'], ['StartPeriod', 'start-period'], ['StartInterval', 'start-interval']];
  for (const [k, flag] of fields) {
    const d = interval(flag);
    if (d) (hc as unknown as Record<string, number>)[k] = d;
  }
  const retries = f.get('retries');
  if (retries) {
    if (!/^[+-]?\d+$/.test(retries)) fail(`strconv.ParseInt: parsing ${goQuote(retries)}: invalid syntax`);
    if (Number(retries) < 0) fail(`--retries cannot be negative (${Number(retries)})`);
    if (Number(retries)) hc.Retries = Number(retries);
  }
  return hc;
}

/** One node as an instruction, or a stage for FROM. Throws Fail with Docker's message. */
function parseNode(n: Node): Instruction | Stage {
  const name = n.cmd.toLowerCase();
  const base: Base = { name, code: n.original.trim(), line: n.startLine };
  const noFlags = () => new Flags(n.flags, [], []);
  switch (name) {
    case 'env':
      noFlags();
      return { ...base, name, pairs: keyValues(n.args, 'ENV') };
    case 'label':
      noFlags();
      return { ...base, name, pairs: keyValues(n.args, 'LABEL') };
    case 'maintainer':
      if (n.args.length !== 1) fail(exactlyOne('MAINTAINER'));
      noFlags();
      return { ...base, name, maintainer: n.args[0]! };
    case 'add':
    case 'copy':
      return copyLike(n, base, name);
    case 'from': {
      const a = n.args;
      let stage = '';
      if (a.length === 3 && a[1]!.toLowerCase() === 'as') {
        stage = a[2]!.toLowerCase();
        if (!/^[a-z][a-z0-9-_.]*$/.test(stage)) fail(`invalid name for build stage: ${goQuote(a[2]!)}, name can't start with a number or contain symbols`);
      } else if (a.length !== 1) fail('FROM requires either one or three arguments');
      const f = new Flags(n.flags, [], ['platform']);
      return { name: stage, baseName: a[0]!, platform: f.get('platform'), code: base.code, line: base.line, commands: [] };
    }
    case 'onbuild': {
      if (n.args.length === 0) fail(argsAtLeastOne('ONBUILD'));
      noFlags();
      const trigger = n.args[0]!.trim().toUpperCase();
      if (trigger === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'MAINTAINER' || trigger === 'FROM') fail(`${trigger} isn't allowed as an ONBUILD trigger`);
      let expression = n.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of n.heredocs) expression += `\n${h.content}${h.name}`;
      return { ...base, name, expression };
    }
    case 'workdir':
      if (n.args.length !== 1) fail(exactlyOne('WORKDIR'));
      noFlags();
      return { ...base, name, path: n.args[0]! };
    case 'run': {
      // BuildKit's RUN flags are known words, but the legacy builder refuses them when dispatched.
      const f = new Flags(n.flags, [], ['mount', 'network', 'security', 'device']);
      return { ...base, name, ...shellDependent(n, false), files: n.heredocs, flagsUsed: f.used };
    }
    case 'cmd':
    case 'entrypoint':
      noFlags();
      return { ...base, name, ...shellDependent(n, name === 'entrypoint') };
    case 'healthcheck':
      return { ...base, name, health: healthcheck(n) };
    case 'expose':
      if (n.args.length === 0) fail(argsAtLeastOne('EXPOSE'));
      noFlags();
      return { ...base, name, ports: [...n.args].sort() };
    case 'user':
      if (n.args.length !== 1) fail(exactlyOne('USER'));
      noFlags();
      return { ...base, name, user: n.args[0]! };
    case 'volume': {
      if (n.args.length === 0) fail(argsAtLeastOne('VOLUME'));
      noFlags();
      const volumes = n.args.map((v) => v.trim());
      if (volumes.some((v) => v === '')) fail('VOLUME specified can not be an empty string');
      return { ...base, name, volumes };
    }
    case 'stopsignal':
      if (n.args.length !== 1) fail(exactlyOne('STOPSIGNAL'));
      return { ...base, name, signal: n.args[0]! };
    case 'arg': {
      if (n.args.length === 0) fail(argsAtLeastOne('ARG'));
      const args = n.args.map((a) => {
        const eq = a.indexOf('=');
        if (eq < 0) return { key: a };
        if (eq === 0) fail('ARG names can not be blank');
        return { key: a.slice(0, eq), value: a.slice(eq + 1) };
      });
      return { ...base, name, args };
    }
    case 'shell': {
      noFlags();
      if (n.args.length === 0) fail(argsAtLeastOne('SHELL'));
      if (!n.json) fail('SHELL requires the arguments to be in JSON form');
      return { ...base, name, shell: n.args };
    }
    default:
      return fail(`unknown instruction: ${n.cmd}${suggestion(n.cmd, INSTRUCTIONS, false)}`);
  }
}

/** One node as an instruction (FROM is refused: ONBUILD triggers and commit changes use this). */
export function parseCommand(n: Node): Instruction {
  let r: Instruction | Stage;
  try {
    r = parseNode(n);
  } catch (err) {
    if (err instanceof Fail) throw new InstructionError(err.message, n.startLine);
    throw err;
  }
  if ('commands' in r) throw new InstructionError(`FROM is not a command type`, n.startLine);
  return r;
}

/** The stages of a Dockerfile and the ARGs before its first FROM. */
export function parseStages(nodes: Node[]): { stages: Stage[]; metaArgs: Array<Instruction & { name: 'arg' }> } {
  const stages: Stage[] = [];
  const metaArgs: Array<Instruction & { name: 'arg' }> = [];
  for (const n of nodes) {
    let r: Instruction | Stage;
    try {
      r = parseNode(n);
    } catch (err) {
      if (err instanceof Fail) throw new InstructionError(err.message, n.startLine);
      throw err;
    }
    if ('commands' in r) {
      stages.push(r);
      continue;
    }
    if (stages.length === 0 && r.name === 'arg') {
      metaArgs.push(r);
      continue;
    }
    const current = stages[stages.length - 1];
    if (!current) throw new InstructionError('no build stage in current context', n.startLine);
    current.commands.push(r);
  }
  return { stages, metaArgs };
}
