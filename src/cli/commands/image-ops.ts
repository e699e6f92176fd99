/**
 * Image naming, fetching and removal: `berth tag` / `image tag` (`POST /images/{name}/tag`),
 * `berth pull` (`POST /images/create?fromImage=…`; `push` is in registry.ts) and `berth rmi` / `image rm`
 * (`DELETE /images/{name}`, printing `Untagged:`/`Deleted:` lines).
 */
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { cliFor, requireArgs } from '../command.js';
import { DaemonError, escapePath } from '../client.js';
import { registryAuthHeader } from '../credentials.js';
import { StatusError } from '../errors.js';
import { displayJsonMessages } from '../format/jsonmessage.js';
import { fullName, parseNormalizedNamed, tagNameOnly } from '../reference.js';
import { registerPush, transferRef } from './registry.js';

/** The `repo`/`tag` query for tagging as `target` (client.ImageTag), or docker's error. */
export function tagQuery(target: string): { repo: string; tag: string } {
  let ref;
  try {
    ref = parseNormalizedNamed(target);
  } catch (e) {
    throw new Error(`Error parsing reference: "${target}" is not a valid repository/tag: ${(e as Error).message}`);
  }
  if (ref.digest !== undefined) throw new Error('refusing to create a tag with a digest reference');
  const tagged = tagNameOnly(ref);
  return { repo: fullName(tagged), tag: tagged.tag ?? 'latest' };
}

/** Registers `tag` on `parent` (top-level or under `image`). */
export function registerTag(parent: Command): void {
  parent
    .command('tag')
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .usage('SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]')
    .argument('[images...]')
    .action(async (args: string[], _flags: unknown, self: Command) => {
      requireArgs(self, args, { min: 2, max: 2 });
      const cli = cliFor(self);
      let query;
      try {
        query = tagQuery(args[1]!);
      } catch (e) {
        throw new StatusError((e as Error).message, 1);
      }
      await cli.client.request('POST', `/images/${escapePath(args[0]!)}/tag`, { query });
    });
}

/** Registers image removal as `name` on `parent` (`rmi`, or `rm` under `image`). */
export function registerRmi(parent: Command, name = 'rmi', aliases: string[] = []): void {
  parent
    .command(name)
    .aliases(aliases)
    .description('Remove one or more images')
    .usage('[OPTIONS] IMAGE [IMAGE...]')
    .argument('[images...]')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .action(async (images: string[], flags: { force?: boolean; prune: boolean }, self: Command) => {
      requireArgs(self, images, { min: 1 });
      const cli = cliFor(self);
      const errs: string[] = [];
      let fatal = false;
      for (const img of images) {
        try {
          const res = await cli.client.request('DELETE', `/images/${escapePath(img)}`, {
            query: { force: flags.force, noprune: !flags.prune },
          });
          for (const d of res.json<{ Untagged?: string; Deleted?: string }[] | null>() ?? []) {
            cli.out.write(d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged ?? ''}\n`);
          }
        } catch (e) {
          if (!(e instanceof DaemonError && e.status === 404)) fatal = true;
          errs.push((e as Error).message);
        }
      }
      if (errs.length === 0) return;
      // With -f, images that were already gone are reported but do not fail the command.
      if (!flags.force || fatal) throw new StatusError(errs.join('\n'), 1);
      cli.err.write(`${errs.join('\n')}\n`);
    });
}

/**
 * Registers `pull` on `parent`: stored credentials go along in X-Registry-Auth; progress goes
 * to stdout (bars on a terminal), then the full reference, as docker does.
 */
export function registerPull(parent: Command): void {
  parent
    .command('pull')
    .description('Download an image from a registry')
    .usage('[OPTIONS] NAME[:TAG|@DIGEST]')
    .argument('[image...]')
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output')
    .action(async (args: string[], flags: { quiet?: boolean; allTags?: boolean; platform?: string }, self: Command) => {
      requireArgs(self, args, { min: 1, max: 1 });
      const cli = cliFor(self);
      const ref = transferRef(cli, args[0]!, flags);
      const res = await cli.client.stream('POST', '/images/create', {
        query: { fromImage: fullName(ref), tag: ref.digest ?? ref.tag, platform: flags.platform?.toLowerCase() },
        headers: registryAuthHeader(ref.domain),
      });
      const out = flags.quiet ? new PassThrough().resume() : cli.out;
      await displayJsonMessages(res, out, undefined, { terminal: !flags.quiet && !!cli.out.isTTY, width: cli.out.columns });
      cli.out.write(`${fullName(ref)}${ref.digest ? `@${ref.digest}` : ref.tag !== undefined ? `:${ref.tag}` : ''}\n`);
    });
}

/** Registers tag, pull, push and removal on `parent`: `rmi` at the top level, `rm`/`remove` under `image`. */
export function registerImageOps(parent: Command, grouped: boolean): void {
  registerTag(parent);
  registerPull(parent);
  registerPush(parent);
  if (grouped) registerRmi(parent, 'rm', ['remove']);
  else registerRmi(parent);
}
