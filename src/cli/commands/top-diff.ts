/**
 * Two read-only views of a running container: `berth top` (its processes, as the daemon's
 * `ps` reports them) and `berth diff` (files changed in its writable layer: `C`, `A`, `D`).
 */
import type { Command } from 'commander';
import { BerthCommand, cliFor, requireArgs } from '../command.js';
import { RowContext, TABLE, renderRows } from '../format/formatter.js';
import { tabwrite } from '../format/tabwriter.js';
import { STRUCT_NAME } from '../format/template.js';

/** `GET /containers/{id}/top` answer. */
export interface TopResult {
  Titles: string[];
  Processes: string[][] | null;
}

/** Renders a top result as docker does (tab writer, minimum column width 20). */
export function formatTop(top: TopResult): string {
  const lines = [top.Titles, ...(top.Processes ?? [])].map((cells) => `${cells.join('\t')}\n`);
  return tabwrite(lines.join(''), { minwidth: 20, padding: 3 });
}

/** One filesystem change (`GET /containers/{id}/changes`): Kind 0 = C, 1 = A, 2 = D. */
export interface Change {
  Kind: number;
  Path: string;
}

const KIND = ['C', 'A', 'D'];

class DiffRow extends RowContext {
  protected readonly jsonFields = ['Path', 'Type'] as const;
  constructor(private readonly c: Change) {
    super();
  }
  get [STRUCT_NAME](): string {
    return '*container.diffContext';
  }
  get Type(): string {
    return KIND[this.c.Kind] ?? String(this.c.Kind);
  }
  get Path(): string {
    return this.c.Path;
  }
}

/** Renders changes as `diff` prints them (docker's format `{{.Type}} {{.Path}}`): `C /etc`. */
export function formatDiff(changes: readonly Change[], format = '{{.Type}} {{.Path}}'): string {
  const f = format === TABLE ? 'table {{.Type}}\t{{.Path}}' : format;
  return renderRows(f, changes.map((c) => new DiffRow(c)), { Type: 'CHANGE TYPE', Path: 'PATH' });
}

/** Registers `top` and `diff` on `parent` (top-level or under `container`). */
export function registerTopDiff(parent: Command): void {
  const top = parent
    .command('top')
    .description('Display the running processes of a container')
    .usage('CONTAINER [ps OPTIONS]')
    .argument('[container-and-ps-args...]')
    .allowExcessArguments() as BerthCommand;
  // Everything after the container name belongs to ps (`top web -eo pid,comm`).
  top.stopAtOperand = true;
  top.action(async (args: string[], _flags: unknown, self: Command) => {
    requireArgs(self, args, { min: 1 });
    const cli = cliFor(self);
    const psArgs = args.slice(1).join(' ');
    const res = await cli.client.request('GET', `/containers/${encodeURIComponent(args[0]!)}/top`, {
      query: { ps_args: psArgs || undefined },
    });
    cli.out.write(formatTop(res.json<TopResult>()));
  });

  parent
    .command('diff')
    .description("Inspect changes to files or directories on a container's filesystem")
    .usage('CONTAINER')
    .argument('[container...]')
    .action(async (args: string[], _flags: unknown, self: Command) => {
      requireArgs(self, args, { min: 1, max: 1 });
      const cli = cliFor(self);
      if (args[0]!.trim() === '') throw new Error('Container name cannot be empty');
      const res = await cli.client.request('GET', `/containers/${encodeURIComponent(args[0]!)}/changes`);
      cli.out.write(formatDiff(res.json<Change[] | null>() ?? []));
    });
}
