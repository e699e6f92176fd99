/**
 * `berth ps` (also `container ls|list|ps`): list containers from `GET /containers/json`
 * and print them with docker's table, `-q`, `--format` templates or `--format json`.
 */
import type { Command } from 'commander';
import { cliFor, collect, intFlag, requireArgs } from '../command.js';
import type { QueryValue } from '../client.js';
import { StatusError, invalidFlagValue } from '../errors.js';
import { ContainerRow, formatContainers, type ContainerSummary } from '../format/containers.js';
import { Template } from '../format/template.js';

/** Option parser for repeatable `-f, --filter name=value` flags (opts.FilterOpt). */
export function filterFlag(value: string, previous: string[] | undefined): string[] {
  if (!value.includes('=')) throw invalidFlagValue('-f, --filter', value, 'bad format of filter (expected name=value)');
  return collect(value, previous);
}

/** `--filter key=value` flags to the filters JSON the API takes (`{"status":["running"]}`). */
export function filtersJson(filters: readonly string[] | undefined): string | undefined {
  if (!filters || filters.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = f.slice(0, eq).trim().toLowerCase();
    const value = f.slice(eq + 1).trim();
    (out[key] ??= []).push(value);
  }
  return JSON.stringify(out);
}

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  last?: number;
  latest?: boolean;
  filter?: string[];
  noTrunc?: boolean;
  size?: boolean;
  format?: string;
}

/** The list query for `ps` flags (docker's buildContainerListOptions). */
export function psQuery(flags: PsFlags): Record<string, QueryValue> {
  let limit = flags.last ?? -1;
  if (flags.latest && limit === -1) limit = 1;
  const format = flags.format ?? '';
  // A template that shows .Size needs the daemon to compute sizes.
  const size = (flags.size ?? false) || (!flags.quiet && format.includes('.Size'));
  return {
    all: flags.all,
    limit: limit > 0 ? limit : undefined,
    size,
    filters: filtersJson(flags.filter),
  };
}

/**
 * docker validates a `--format` before listing, by running it on an empty row; errors are
 * `failed to parse template: …` / `failed to execute template: …` (exit 1).
 */
export function validateFormat(format: string): void {
  let tmpl: Template;
  try {
    tmpl = Template.parse(format);
  } catch (e) {
    throw new StatusError(`failed to parse template: ${(e as Error).message}`, 1);
  }
  try {
    tmpl.execute(new ContainerRow({ Id: '' }, true));
  } catch (e) {
    throw new StatusError(`failed to execute template: ${(e as Error).message}`, 1);
  }
}

/** Registers `ps` under `name` on `parent` (`ps`, or `ls` under `container`). */
export function registerPs(parent: Command, name = 'ps', aliases: string[] = []): void {
  parent
    .command(name)
    .aliases(aliases)
    .description('List containers')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', filterFlag)
    .option('--format <string>', 'Format output using a custom template')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)', intFlag('-n, --last <int>'), -1)
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs')
    .option('-s, --size', 'Display total file sizes')
    .action(async (args: string[], flags: PsFlags & { trunc?: boolean }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      if (flags.format) validateFormat(flags.format);
      const cli = cliFor(self);
      const list = (await cli.client.request('GET', '/containers/json', { query: psQuery(flags) })).json<ContainerSummary[]>();
      cli.out.write(
        formatContainers(list ?? [], {
          format: flags.format,
          quiet: flags.quiet,
          size: flags.size,
          trunc: flags.trunc !== false,
        }),
      );
    });
}
