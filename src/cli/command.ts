/**
 * The command framework of the `berth` CLI: commander, made to behave like docker's
 * cobra/pflag where users can tell the difference — flag errors worded by pflag with a
 * usage block and exit 125, `--bool=false`, docker's argument-count messages, option
 * parsing that stops at the image name for `run`/`create`, and one `Cli` per invocation.
 */
import { Command, Option } from 'commander';
import type { Readable, Writable } from 'node:stream';
import { API_VERSION, ApiClient, DEFAULT_HOST } from './client.js';
import { FlagValueError, StatusError, invalidFlagValue } from './errors.js';

/** Standard streams as the commands use them (`isTTY` decides tables vs. refusals). */
export interface Streams {
  in: Readable & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  out: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  err: Writable;
}

/** Everything a command needs: the API client, the streams and the global flags. */
export interface Cli extends Streams {
  client: ApiClient;
  /** `--trace`: print the daemon's stage timeline after run/create/start. */
  trace: boolean;
}

/** The full command path for messages, e.g. `berth container ls`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** cobra's UseLine: `berth run [OPTIONS] IMAGE [COMMAND] [ARG...]`. */
export function useLine(cmd: Command): string {
  const usage = cmd.usage();
  return usage ? `${commandPath(cmd)} ${usage}` : commandPath(cmd);
}

/** A flag error: pflag's message, the usage line, and exit 125 (cli.FlagErrorFunc). */
export function flagError(cmd: Command, message: string): StatusError {
  return new StatusError(
    `${message}\n\nUsage:  ${useLine(cmd)}\n\nRun '${commandPath(cmd)} --help' for more information`,
    125,
  );
}

/** The label pflag uses in messages: `-m, --memory` or `--cpus`. */
export function flagLabel(flags: string): string {
  return flags.replace(/\s*[<[].*$/, '').trim();
}

/** Parses a boolean the way Go's strconv.ParseBool does. */
function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** A commander Command with docker's parsing conventions (see file header). */
export class BerthCommand extends Command {
  /** Stop option parsing at the first operand (`run IMAGE cmd --flags-for-cmd`). */
  stopAtOperand = false;

  override createCommand(name?: string): BerthCommand {
    return new BerthCommand(name);
  }

  /** Handles `--flag=true|false` (and `-f=false`) for boolean flags, which commander alone rejects. */
  override parseOptions(argv: string[]): { operands: string[]; unknown: string[] } {
    const out: string[] = [];
    let rest: string[] = [];
    // Leaf commands take flags anywhere (`rm web -f`), like pflag; the root, groups and
    // `run`-like commands stop at their first operand (a subcommand or the image).
    const interspersed = !this.stopAtOperand && this.commands.length === 0;
    const find = (pred: (o: Option) => boolean) => this.options.find(pred);
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') {
        out.push(...argv.slice(i));
        break;
      }
      const eq = /^(--[^=]+|-[^-=])=(.*)$/s.exec(a);
      if (eq) {
        const opt = find((o) => o.long === eq[1] || o.short === eq[1]);
        if (opt?.required && !eq[1]!.startsWith('--')) {
          // pflag reads `-m=512m` as `-m 512m`.
          out.push(eq[1]!, eq[2]!);
          continue;
        }
        if (opt && !opt.required && !opt.optional) {
          const v = parseBool(eq[2]!);
          if (v === undefined) {
            throw flagError(this, invalidFlagValue(flagLabel(opt.flags), eq[2]!, `strconv.ParseBool: parsing "${eq[2]}": invalid syntax`).message);
          }
          this.setOptionValueWithSource(opt.attributeName(), v, 'cli');
          continue;
        }
        out.push(a);
        continue;
      }
      if (a.length > 1 && a.startsWith('-')) {
        out.push(a);
        if (a.startsWith('--')) {
          if (find((o) => o.long === a)?.required && i + 1 < argv.length) out.push(argv[++i]!);
        } else {
          // A short cluster such as `-dp 80:80`: a value-taking flag at the end eats the next word.
          for (let k = 1; k < a.length; k++) {
            const o = find((x) => x.short === `-${a[k]}`);
            if (!o) break;
            if (o.required) {
              if (k === a.length - 1 && i + 1 < argv.length) out.push(argv[++i]!);
              break;
            }
          }
        }
        continue;
      }
      if (!interspersed) {
        // Past the first operand nothing is ours to rewrite; for `run` nothing is ours at all.
        if (this.stopAtOperand) rest = argv.slice(i);
        else out.push(...argv.slice(i));
        break;
      }
      out.push(a);
    }
    let res: { operands: string[]; unknown: string[] };
    try {
      res = super.parseOptions(out);
    } catch (e) {
      if (e instanceof FlagValueError) throw flagError(this, e.message);
      throw e;
    }
    if (rest.length) (res.unknown.length ? res.unknown : res.operands).push(...rest);
    return res;
  }

  /** Commander's own errors, reworded as pflag/cobra word them. */
  override error(message: string, errorOptions?: { code?: string; exitCode?: number }): never {
    const code = errorOptions?.code ?? '';
    const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
    if (code === 'commander.unknownOption') {
      if (quoted.startsWith('--')) throw flagError(this, `unknown flag: ${quoted.replace(/=.*$/s, '')}`);
      const bad = [...quoted.slice(1)].find((ch) => !this.options.some((o) => o.short === `-${ch}`)) ?? quoted[1];
      throw flagError(this, `unknown shorthand flag: '${bad}' in ${quoted}`);
    }
    if (code === 'commander.optionMissingArgument') {
      const opt = this.options.find((o) => o.flags === quoted);
      const name = opt?.long ?? opt?.short ?? flagLabel(quoted);
      throw flagError(this, `flag needs an argument: ${name}`);
    }
    throw new StatusError(message.replace(/^error: /, ''), errorOptions?.exitCode ?? 1);
  }
}

/** Argument-count checks with cobra's wording (exit 1). */
export function requireArgs(cmd: Command, args: readonly string[], rule: { min?: number; max?: number }): void {
  const { min, max } = rule;
  const plural = (n: number) => (n === 1 ? 'argument' : 'arguments');
  const path = commandPath(cmd);
  const bin = path.split(' ')[0];
  const tail = (verb: string) => `\n\nUsage:  ${useLine(cmd)}\n\n${verb} '${path} --help' for more information`;
  if (min !== undefined && max !== undefined && min === max && args.length !== min) {
    throw new StatusError(`${bin}: '${path}' requires ${min} ${plural(min)}${tail('Run')}`, 1);
  }
  if (min !== undefined && max !== undefined && min !== max && (args.length < min || args.length > max)) {
    // cobra's RequiresRangeArgs.
    throw new StatusError(`${bin}: '${path}' requires at least ${min} and at most ${max} ${plural(max)}${tail('Run')}`, 1);
  }
  if (max === 0 && args.length > 0) throw new StatusError(`${bin}: '${path}' accepts no arguments${tail('Run')}`, 1);
  if (min !== undefined && args.length < min) {
    throw new StatusError(`${bin}: '${path}' requires at least ${min} ${plural(min)}${tail('See')}`, 1);
  }
  if (max !== undefined && args.length > max) {
    throw new StatusError(`${bin}: '${path}' requires at most ${max} ${plural(max)}${tail('Run')}`, 1);
  }
}

/** Option parser for repeatable flags (`-e A -e B`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Option parser factory for Go `int` flags (`-t 5`, `-n 3`). */
export function intFlag(flags: string): (value: string) => number {
  return (value) => {
    if (!/^[+-]?\d+$/.test(value)) {
      throw invalidFlagValue(flagLabel(flags), value, `strconv.ParseInt: parsing "${value}": invalid syntax`);
    }
    return Number(value);
  };
}

/** Builds the per-invocation Cli from the root command's global options and the environment. */
export function cliFor(cmd: Command, streams?: Streams): Cli {
  const g = cmd.optsWithGlobals() as { host?: string; trace?: boolean };
  const host = g.host ?? (process.env['BERTH_HOST'] || DEFAULT_HOST);
  // BERTH_API_VERSION pins the API version, like DOCKER_API_VERSION does for docker.
  const version = process.env['BERTH_API_VERSION'] || API_VERSION;
  let client: ApiClient;
  try {
    client = new ApiClient(host, version);
  } catch (e) {
    throw new StatusError((e as Error).message, 1);
  }
  const s = streams ?? { in: process.stdin, out: process.stdout, err: process.stderr };
  return { ...s, client, trace: g.trace ?? false };
}
