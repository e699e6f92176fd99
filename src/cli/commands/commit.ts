/**
 * `berth commit [-a] [-m] [-c] [-p] CONTAINER [REPO[:TAG]]` (`POST /commit`): a container's
 * changes as a new image, printed as its full ID like docker prints it.
 */
import type { Command } from 'commander';
import { cliFor, collect, requireArgs } from '../command.js';
import { StatusError } from '../errors.js';
import { familiarName, parseNormalizedNamed, tagNameOnly } from '../reference.js';

interface CommitFlags {
  author?: string;
  change?: string[];
  message?: string;
  pause: boolean;
}

/** The `repo`/`tag` query for REPO[:TAG], refusing digests as docker does. */
export function commitTarget(ref: string | undefined): { repo?: string; tag?: string } {
  if (!ref) return {};
  let parsed;
  try {
    parsed = parseNormalizedNamed(ref);
  } catch (e) {
    throw new StatusError((e as Error).message, 1);
  }
  if (parsed.digest !== undefined) throw new StatusError('refusing to create a tag with a digest reference', 1);
  const tagged = tagNameOnly(parsed);
  return { repo: familiarName(tagged), tag: tagged.tag };
}

/** Registers `commit` on `parent` (top-level or under `container`). */
export function registerCommit(parent: Command): void {
  parent
    .command('commit')
    .description("Create a new image from a container's changes")
    .usage('[OPTIONS] CONTAINER [REPOSITORY[:TAG]]')
    .argument('[container-and-repo...]')
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause', 'Pause container during commit', true)
    .action(async (args: string[], flags: CommitFlags, self: Command) => {
      requireArgs(self, args, { min: 1, max: 2 });
      const cli = cliFor(self);
      const res = await cli.client.request('POST', '/commit', {
        query: {
          container: args[0],
          ...commitTarget(args[1]),
          comment: flags.message,
          author: flags.author,
          changes: flags.change ?? [],
          // Sent either way: the daemon's default is to pause.
          pause: flags.pause ? '1' : '0',
        },
        body: {},
      });
      cli.out.write(`${res.json<{ Id: string }>().Id}\n`);
    });
}
