/**
 * `berth start`: start one or more stopped containers; with `-a`/`-i`, attach to one of them
 * first (hijack before start, wait headers before start, as `run` does) and exit with its code.
 */
import type { Command } from 'commander';
import { cliFor, requireArgs, type Cli } from '../command.js';
import { StatusError } from '../errors.js';
import { attachContainer, proxySignals } from '../stream/attach.js';
import { startAndFollow, waitExitOrRemoved } from './run.js';
import { printTrace } from './trace.js';

interface StartFlags {
  attach?: boolean;
  interactive?: boolean;
  detachKeys?: string;
}

interface InspectForStart {
  Id: string;
  Config: { Tty?: boolean; OpenStdin?: boolean };
  HostConfig: { AutoRemove?: boolean };
}

async function startAttached(cli: Cli, ref: string, flags: StartFlags): Promise<number> {
  const c = (await cli.client.request('GET', `/containers/${encodeURIComponent(ref)}/json`)).json<InspectForStart>();
  const tty = c.Config.Tty ?? false;
  const stdin = (flags.interactive ?? false) && (c.Config.OpenStdin ?? false);
  const session = await attachContainer(cli, c.Id, { stdin, stdout: true, stderr: true, tty, detachKeys: flags.detachKeys });
  const { status } = await waitExitOrRemoved(cli, c.Id, c.HostConfig.AutoRemove ?? false);
  // docker proxies signals only without a TTY; with one, Ctrl-C travels as a byte.
  const stopProxy = tty ? () => {} : proxySignals(cli, c.Id);
  try {
    return await startAndFollow(cli, c.Id, session, status, { tty, autoRemove: c.HostConfig.AutoRemove ?? false, startError: (e) => e });
  } finally {
    stopProxy();
  }
}

/** Registers `start` on `parent` (top-level or under `container`). */
export function registerStart(parent: Command): void {
  parent
    .command('start')
    .description('Start one or more stopped containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('[containers...]')
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('-i, --interactive', "Attach container's STDIN")
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .action(async (refs: string[], flags: StartFlags, self: Command) => {
      requireArgs(self, refs, { min: 1 });
      const cli = cliFor(self);
      if (flags.attach || flags.interactive) {
        if (refs.length > 1) throw new StatusError('you cannot start and attach multiple containers at once', 1);
        const code = await startAttached(cli, refs[0]!, flags);
        if (code !== 0) throw new StatusError('', code);
        return;
      }
      const failed: string[] = [];
      for (const ref of refs) {
        try {
          await cli.client.request('POST', `/containers/${encodeURIComponent(ref)}/start`);
          cli.out.write(`${ref}\n`);
          if (cli.trace) {
            // Traces are kept by container ID; the user may have typed a name or a prefix.
            const info = await cli.client.request('GET', `/containers/${encodeURIComponent(ref)}/json`);
            await printTrace(cli, info.json<{ Id: string }>().Id);
          }
        } catch (e) {
          cli.err.write(`${(e as Error).message}\n`);
          failed.push(ref);
        }
      }
      if (failed.length) throw new StatusError(`Error: failed to start containers: ${failed.join(', ')}`, 1);
    });
}
