/**
 * `container prune` and `image prune`: confirm (unless `-f`), call the prune endpoint, then
 * list what went and the reclaimed space in docker's words.
 */
import type { Command } from 'commander';
import { cliFor, requireArgs, type Cli } from '../command.js';
import { humanSize } from '../format/units.js';
import { filterFlag, filtersJson } from './ps.js';

/** prompt.Confirm: asks on stdout, reads one line; only `y`/`Y` says yes. */
export async function confirm(cli: Cli, message: string): Promise<boolean> {
  cli.out.write(`${message} [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(buf.slice(0, nl));
    };
    const finish = (s: string) => {
      cli.in.removeListener('data', onData);
      cli.in.removeListener('end', onEnd);
      cli.in.pause();
      resolve(s);
    };
    const onEnd = () => finish(buf);
    cli.in.on('data', onData);
    cli.in.on('end', onEnd);
    cli.in.resume();
  });
  return line.trim().toLowerCase() === 'y';
}

/** Prints what a prune deleted and the space it reclaimed, in docker's words. */
export function report(cli: Cli, title: string, lines: string[], reclaimed: number): void {
  if (lines.length) cli.out.write(`${title}\n${lines.join('\n')}\n\n`);
  cli.out.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
}

/** Registers `prune` under the `container` group. */
export function registerContainerPrune(group: Command): void {
  group
    .command('prune')
    .description('Remove all stopped containers')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', filterFlag)
    .action(async (args: string[], flags: { force?: boolean; filter?: string[] }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      const warning = 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?';
      // A declined prompt is a cancellation: docker exits 0 without a message.
      if (!flags.force && !(await confirm(cli, warning))) return;
      const res = await cli.client.request('POST', '/containers/prune', { query: { filters: filtersJson(flags.filter) } });
      const r = res.json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>();
      const deleted = r.ContainersDeleted ?? [];
      report(cli, 'Deleted Containers:', deleted, deleted.length ? (r.SpaceReclaimed ?? 0) : 0);
    });
}

/** Registers `prune` under the `image` group. */
export function registerImagePrune(group: Command): void {
  group
    .command('prune')
    .description('Remove unused images')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', filterFlag)
    .action(async (args: string[], flags: { all?: boolean; force?: boolean; filter?: string[] }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      const warning = flags.all
        ? 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?'
        : 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
      if (!flags.force && !(await confirm(cli, warning))) return;
      const filters = [...(flags.filter ?? []), `dangling=${!flags.all}`];
      const res = await cli.client.request('POST', '/images/prune', { query: { filters: filtersJson(filters) } });
      const r = res.json<{ ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number }>();
      const lines = (r.ImagesDeleted ?? []).map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted ?? ''}`));
      report(cli, 'Deleted Images:', lines, lines.length ? (r.SpaceReclaimed ?? 0) : 0);
    });
}
