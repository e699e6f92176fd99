/**
 * `berth volume create|ls|inspect|rm|prune`: docker's volume verbs, flags, output and errors,
 * over `/volumes` of the Engine API.
 */
import { Option, type Command } from 'commander';
import { cliFor, collect, requireArgs } from '../command.js';
import { StatusError, invalidFlagValue } from '../errors.js';
import { groupAction } from '../help.js';
import { formatVolumes, type VolumeSummary } from '../format/volumes.js';
import { inspectEach } from './inspect.js';
import { kvToMap } from './container-parse.js';
import { filterFlag, filtersJson } from './ps.js';
import { confirm, report } from './prune.js';

const WHITESPACE = /[ \t\n\v\f\r]/;

/** opts.ValidateLabel: `key[=value]`, the key non-empty and without whitespace. */
function labelFlag(value: string, prev: string[] | undefined): string[] {
  const key = value.split('=')[0]!.replace(/^[ \t\n\v\f\r]+/, '');
  if (key === '') throw invalidFlagValue('--label', value, `invalid label '${value}': empty name`);
  if (WHITESPACE.test(key)) throw invalidFlagValue('--label', value, `label '${key}' contains whitespaces`);
  return collect(value, prev);
}

/** opts.MapOpts: `-o key=value` (a bare key maps to ""). */
function optFlag(value: string, prev: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  return { ...(prev ?? {}), [eq < 0 ? value : value.slice(0, eq)]: eq < 0 ? '' : value.slice(eq + 1) };
}

function registerCreate(group: Command): void {
  group
    .command('create')
    .description('Create a volume')
    .usage('[OPTIONS] [VOLUME]')
    .argument('[name...]')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', labelFlag)
    .option('-o, --opt <map>', 'Set driver specific options', optFlag)
    .addOption(new Option('--name <string>', 'Specify volume name').hideHelp())
    .action(async (args: string[], flags: { driver: string; label?: string[]; opt?: Record<string, string>; name?: string }, self: Command) => {
      requireArgs(self, args, { max: 1 });
      let name = flags.name ?? '';
      if (args.length === 1) {
        if (name !== '') throw new StatusError('conflicting options: either specify --name or provide positional arg, not both', 1);
        name = args[0]!;
      }
      const cli = cliFor(self);
      const labels = kvToMap(flags.label ?? []);
      // The docker CLI leaves empty fields out of the request (omitempty).
      const body = {
        Driver: flags.driver,
        ...(flags.opt && Object.keys(flags.opt).length ? { DriverOpts: flags.opt } : {}),
        ...(Object.keys(labels).length ? { Labels: labels } : {}),
        ...(name ? { Name: name } : {}),
      };
      const res = await cli.client.request('POST', '/volumes/create', { body });
      cli.out.write(`${res.json<{ Name: string }>().Name}\n`);
    });
}

function registerLs(group: Command): void {
  group
    .command('ls')
    .aliases(['list'])
    .description('List volumes')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "dangling=true")', filterFlag)
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only display volume names')
    .action(async (args: string[], flags: { filter?: string[]; format?: string; quiet?: boolean }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      const res = await cli.client.request('GET', '/volumes', { query: { filters: filtersJson(flags.filter) } });
      const volumes = res.json<{ Volumes?: VolumeSummary[] | null }>().Volumes ?? [];
      cli.out.write(formatVolumes(volumes, { format: flags.format, quiet: flags.quiet }));
    });
}

function registerInspect(group: Command): void {
  group
    .command('inspect')
    .description('Display detailed information on one or more volumes')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .argument('[names...]')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (names: string[], flags: { format?: string }, self: Command) => {
      requireArgs(self, names, { min: 1 });
      const cli = cliFor(self);
      await inspectEach(cli, names, flags.format, async (n) => (await cli.client.request('GET', `/volumes/${encodeURIComponent(n)}`)).body.toString('utf8'));
    });
}

function registerRm(group: Command): void {
  group
    .command('rm')
    .aliases(['remove'])
    .description('Remove one or more volumes')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .argument('[names...]')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action(async (names: string[], flags: { force?: boolean }, self: Command) => {
      requireArgs(self, names, { min: 1 });
      const cli = cliFor(self);
      const errors: string[] = [];
      for (const n of names) {
        try {
          await cli.client.request('DELETE', `/volumes/${encodeURIComponent(n)}`, { query: { force: flags.force ? true : undefined } });
          cli.out.write(`${n}\n`);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
      if (errors.length) throw new StatusError(errors.join('\n'), 1);
    });
}

function registerPrune(group: Command): void {
  group
    .command('prune')
    .description('Remove unused local volumes')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', filterFlag)
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (args: string[], flags: { all?: boolean; filter?: string[]; force?: boolean }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      const filters = [...(flags.filter ?? [])];
      if (flags.all) {
        if (filters.some((f) => f.split('=')[0]!.trim().toLowerCase() === 'all')) {
          throw new StatusError('conflicting options: cannot specify both --all and --filter all=1', 1);
        }
        filters.push('all=true');
      }
      const warning = flags.all
        ? 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?'
        : 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
      // A declined prompt is a cancellation: docker exits 0 without a message.
      if (!flags.force && !(await confirm(cli, warning))) return;
      const res = await cli.client.request('POST', '/volumes/prune', { query: { filters: filtersJson(filters) } });
      const r = res.json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>();
      const deleted = r.VolumesDeleted ?? [];
      report(cli, 'Deleted Volumes:', deleted, deleted.length ? (r.SpaceReclaimed ?? 0) : 0);
    });
}

/** Registers the `volume` group and its verbs on `program`. */
export function registerVolume(program: Command): void {
  const group = program.command('volume').description('Manage volumes').usage('COMMAND').argument('[command...]').action(groupAction);
  registerCreate(group);
  registerInspect(group);
  registerLs(group);
  registerPrune(group);
  registerRm(group);
}
