/**
 * Image listing verbs: `berth images` / `image ls` (from `GET /images/json`) and
 * `image history` / `history` (from `GET /images/{name}/history`), with docker's tables.
 */
import type { Command } from 'commander';
import { cliFor, requireArgs } from '../command.js';
import { escapePath } from '../client.js';
import { formatHistory, formatImages, type HistoryItem, type ImageSummary } from '../format/images.js';
import { filterFlag, filtersJson } from './ps.js';

interface ImagesFlags {
  all?: boolean;
  quiet?: boolean;
  trunc?: boolean;
  digests?: boolean;
  format?: string;
  filter?: string[];
}

/** Registers the image list command as `name` on `parent` (`images`, or `ls` under `image`). */
export function registerImages(parent: Command, name = 'images', aliases: string[] = []): void {
  parent
    .command(name)
    .aliases(aliases)
    .description('List images')
    .usage('[OPTIONS] [REPOSITORY[:TAG]]')
    .argument('[repository...]')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', filterFlag)
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (args: string[], flags: ImagesFlags, self: Command) => {
      requireArgs(self, args, { max: 1 });
      const cli = cliFor(self);
      const filters = [...(flags.filter ?? [])];
      // `images busybox` is a reference filter, as in docker.
      if (args[0]) filters.push(`reference=${args[0]}`);
      const res = await cli.client.request('GET', '/images/json', {
        query: { all: flags.all, filters: filtersJson(filters) },
      });
      const images = res.json<ImageSummary[] | null>() ?? [];
      cli.out.write(
        formatImages(images, { format: flags.format, quiet: flags.quiet, digests: flags.digests, trunc: flags.trunc !== false }),
      );
      if (args[0] && images.length === 0 && name === 'images' && IMAGE_VERBS.has(args[0])) {
        cli.err.write(`\nNo images found matching "${args[0]}": did you mean "berth image ${args[0]}"?\n`);
      }
    });
}

// `berth images ls` usually means `berth image ls`; docker prints a hint for these words.
const IMAGE_VERBS = new Set(['build', 'history', 'import', 'inspect', 'list', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']);

interface HistoryFlags {
  human: boolean;
  quiet?: boolean;
  trunc?: boolean;
  format?: string;
}

/** Registers `history` on `parent` (top-level or under `image`). */
export function registerHistory(parent: Command): void {
  parent
    .command('history')
    .description('Show the history of an image')
    .usage('[OPTIONS] IMAGE')
    .argument('[image...]')
    .option('--format <string>', 'Format output using a custom template')
    .option('-H, --human', 'Print sizes and dates in human readable format', true)
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (args: string[], flags: HistoryFlags, self: Command) => {
      requireArgs(self, args, { min: 1, max: 1 });
      const cli = cliFor(self);
      const res = await cli.client.request('GET', `/images/${escapePath(args[0]!)}/history`);
      const items = res.json<HistoryItem[] | null>() ?? [];
      cli.out.write(
        formatHistory(items, { format: flags.format, quiet: flags.quiet, human: flags.human, trunc: flags.trunc !== false }),
      );
    });
}
