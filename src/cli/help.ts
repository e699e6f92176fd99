/**
 * `--help` text laid out like the docker CLI's (cobra templates): a `Usage:` line, the
 * description, `Commands:` for groups, `Options:` with pflag-style value types, and the
 * closing hint. Plus the handlers for a group called without (or with an unknown) command.
 */
import type { Command, Help, Option } from 'commander';
import { commandPath, useLine } from './command.js';
import { StatusError } from './errors.js';

function optionTerm(o: Option): string {
  // pflag prints the value type after the flag (`-m, --memory bytes`), long-only flags indented.
  const names = o.short ? `${o.short}, ${o.long ?? ''}` : `    ${o.long ?? ''}`;
  const type = /<([^>]+)>/.exec(o.flags)?.[1];
  return `  ${names}${type ? ` ${type}` : ''}`;
}

function columns(rows: [string, string][], indent = ''): string {
  const width = Math.max(0, ...rows.map(([t]) => t.length));
  return rows.map(([t, d]) => `${indent}${t.padEnd(width)}   ${d}`.trimEnd()).join('\n');
}

/** Renders help for `cmd` in docker's layout. */
export function formatHelp(cmd: Command, helper: Help): string {
  const parts: string[] = [];
  const isGroup = cmd.commands.length > 0;
  parts.push(`Usage:  ${useLine(cmd)}`);
  if (cmd.description()) parts.push(cmd.description());
  if (cmd.aliases().length) parts.push(`Aliases:\n  ${[cmd.name(), ...cmd.aliases()].join(', ')}`);
  const subs = helper.visibleCommands(cmd).filter((c) => c.name() !== 'help');
  if (subs.length) {
    parts.push(`Commands:\n${columns(subs.map((c) => [c.name(), c.description()]), '  ')}`);
  }
  const opts = helper.visibleOptions(cmd).filter((o) => !(o.long === '--help' && isGroup));
  if (opts.length) {
    const rows = opts.map((o): [string, string] => {
      const dflt = o.defaultValue;
      const shown = typeof dflt === 'string' && dflt !== '' ? ` (default "${dflt}")` : typeof dflt === 'number' && dflt !== 0 && dflt !== -1 ? ` (default ${dflt})` : '';
      return [optionTerm(o), `${o.description}${shown}`];
    });
    parts.push(`${cmd.parent ? 'Options' : 'Global Options'}:\n${columns(rows)}`);
  }
  parts.push(
    isGroup
      ? `Run '${commandPath(cmd)} COMMAND --help' for more information on a command.`
      : '',
  );
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

/**
 * Action for the root and for groups: help on stdout without a command (exit 0, like
 * docker), docker's `unknown command` error otherwise.
 */
export function groupAction(args: string[], _opts: unknown, self: Command): void {
  if (args.length === 0) {
    self.outputHelp();
    return;
  }
  const path = commandPath(self);
  const bin = path.split(' ')[0];
  const usage = self.parent ? `\n\nUsage:  ${path}` : '';
  throw new StatusError(`${bin}: unknown command: ${path} ${args[0]}${usage}\n\nRun '${path} --help' for more information`, 1);
}
