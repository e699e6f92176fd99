/**
 * Container lifecycle verbs that act on a list of containers and print each name that
 * succeeded: `stop`, `kill`, `restart`, `pause`, `unpause`, `rm`, `wait`, plus `rename`.
 * Failures are collected and printed together, exit 1, as docker's errors.Join does.
 */
import type { Command } from 'commander';
import { cliFor, intFlag, requireArgs, type Cli } from '../command.js';
import { DaemonError, type QueryValue } from '../client.js';
import { StatusError } from '../errors.js';

const path = (ref: string, verb = '') => `/containers/${encodeURIComponent(ref)}${verb ? `/${verb}` : ''}`;

/**
 * Applies `op` to each container in turn; prints the reference on success, gathers errors.
 * `tolerate` decides which errors are only printed (e.g. not-found with `rm -f`).
 */
async function forEach(
  cli: Cli,
  refs: readonly string[],
  op: (ref: string) => Promise<string | void>,
  tolerate: (e: unknown) => boolean = () => false,
): Promise<void> {
  const errs: string[] = [];
  for (const ref of refs) {
    try {
      const shown = await op(ref);
      cli.out.write(`${shown ?? ref}\n`);
    } catch (e) {
      if (tolerate(e)) cli.err.write(`${(e as Error).message}\n`);
      else errs.push((e as Error).message);
    }
  }
  if (errs.length) throw new StatusError(errs.join('\n'), 1);
}

interface StopFlags {
  timeout?: number;
  time?: number;
  signal?: string;
}

function stopQuery(flags: StopFlags): Record<string, QueryValue> {
  if (flags.time !== undefined && flags.timeout !== undefined) {
    throw new StatusError('conflicting options: cannot specify both --timeout and --time', 1);
  }
  return { t: flags.timeout ?? flags.time, signal: flags.signal };
}

/** Registers stop, kill, restart, pause, unpause, rm, wait and rename on `parent`. */
export function registerLifecycle(parent: Command): void {
  for (const verb of ['stop', 'restart'] as const) {
    parent
      .command(verb)
      .description(verb === 'stop' ? 'Stop one or more running containers' : 'Restart one or more containers')
      .usage('[OPTIONS] CONTAINER [CONTAINER...]')
      .argument('[containers...]')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .option('-t, --timeout <int>', 'Seconds to wait before killing the container', intFlag('-t, --timeout <int>'))
      .option('--time <int>', 'Seconds to wait before killing the container (deprecated: use --timeout)', intFlag('--time <int>'))
      .action(async (refs: string[], flags: StopFlags, self: Command) => {
        requireArgs(self, refs, { min: 1 });
        const cli = cliFor(self);
        const query = stopQuery(flags);
        await forEach(cli, refs, async (ref) => {
          await cli.client.request('POST', path(ref, verb), { query });
        });
      });
  }

  parent
    .command('kill')
    .description('Kill one or more running containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('[containers...]')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .action(async (refs: string[], flags: { signal?: string }, self: Command) => {
      requireArgs(self, refs, { min: 1 });
      const cli = cliFor(self);
      await forEach(cli, refs, async (ref) => {
        await cli.client.request('POST', path(ref, 'kill'), { query: { signal: flags.signal } });
      });
    });

  for (const verb of ['pause', 'unpause'] as const) {
    parent
      .command(verb)
      .description(`${verb === 'pause' ? 'Pause' : 'Unpause'} all processes within one or more containers`)
      .usage('CONTAINER [CONTAINER...]')
      .argument('[containers...]')
      .action(async (refs: string[], _flags: unknown, self: Command) => {
        requireArgs(self, refs, { min: 1 });
        const cli = cliFor(self);
        await forEach(cli, refs, async (ref) => {
          await cli.client.request('POST', path(ref, verb));
        });
      });
  }

  parent
    .command('rm')
    .alias('remove')
    .description('Remove one or more containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('[containers...]')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-l, --link', 'Remove the specified link')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action(async (refs: string[], flags: { force?: boolean; link?: boolean; volumes?: boolean }, self: Command) => {
      requireArgs(self, refs, { min: 1 });
      const cli = cliFor(self);
      const query = { v: flags.volumes, force: flags.force, link: flags.link };
      await forEach(
        cli,
        refs,
        async (ref) => {
          const id = ref.replace(/^\/+|\/+$/g, '');
          if (id === '') throw new Error('container name cannot be empty');
          await cli.client.request('DELETE', path(id), { query });
        },
        // With -f a container that is already gone is not a failure (docker prints and goes on).
        (e) => (flags.force ?? false) && e instanceof DaemonError && e.status === 404,
      );
    });

  parent
    .command('wait')
    .description('Block until one or more containers stop, then print their exit codes')
    .usage('CONTAINER [CONTAINER...]')
    .argument('[containers...]')
    .action(async (refs: string[], _flags: unknown, self: Command) => {
      requireArgs(self, refs, { min: 1 });
      const cli = cliFor(self);
      await forEach(cli, refs, async (ref) => {
        const res = await cli.client.request('POST', path(ref, 'wait'), { query: { condition: 'not-running' } });
        const r = res.json<{ StatusCode: number; Error?: { Message?: string } | null }>();
        if (r.Error?.Message) throw new Error(r.Error.Message);
        return String(r.StatusCode);
      });
    });

  parent
    .command('rename')
    .description('Rename a container')
    .usage('CONTAINER NEW_NAME')
    .argument('[names...]')
    .action(async (names: string[], _flags: unknown, self: Command) => {
      requireArgs(self, names, { min: 2, max: 2 });
      const cli = cliFor(self);
      const oldName = names[0]!.trim();
      const newName = names[1]!.trim();
      if (!oldName || !newName) throw new StatusError('Error: Neither old nor new names may be empty', 1);
      try {
        await cli.client.request('POST', path(oldName, 'rename'), { query: { name: newName } });
      } catch (e) {
        cli.err.write(`${(e as Error).message}\n`);
        throw new StatusError(`Error: failed to rename container named ${oldName}`, 1);
      }
    });
}
