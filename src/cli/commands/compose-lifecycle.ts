/** `berth compose down|stop|start|restart` (src/compose/lifecycle.ts does the work). */
import type { Command } from 'commander';
import { intFlag } from '../command.js';
import { StatusError } from '../errors.js';
import { down, restart, start, stop } from '../../compose/lifecycle.js';
import { composeAction, composeContext } from './compose.js';

const timeoutFlag = ['-t, --timeout <int>', 'Specify a shutdown timeout in seconds', intFlag('-t, --timeout <int>')] as const;

export function registerComposeLifecycle(compose: Command): void {
  compose
    .command('down')
    .description('Stop and remove containers, networks')
    .usage('[OPTIONS] [SERVICES]')
    .argument('[services...]')
    .option('-v, --volumes', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers')
    .option('--rmi <string>', 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option(...timeoutFlag)
    .action(async (_services: string[], flags: { volumes?: boolean; rmi?: string; removeOrphans?: boolean; timeout?: number }, self: Command) =>
      composeAction(async () => {
        if (flags.rmi !== undefined && flags.rmi !== 'local' && flags.rmi !== 'all') throw new StatusError(`invalid value for --rmi: "${flags.rmi}"`, 1);
        await down(composeContext(self), { volumes: flags.volumes, rmi: flags.rmi as 'local' | 'all' | undefined, removeOrphans: flags.removeOrphans, timeout: flags.timeout });
      }),
    );
  compose
    .command('stop')
    .description('Stop services')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[services...]')
    .option(...timeoutFlag)
    .action(async (services: string[], flags: { timeout?: number }, self: Command) => composeAction(() => stop(composeContext(self), services, flags.timeout)));
  compose
    .command('start')
    .description('Start services')
    .usage('[SERVICE...]')
    .argument('[services...]')
    .action(async (services: string[], _f: unknown, self: Command) => composeAction(() => start(composeContext(self), services)));
  compose
    .command('restart')
    .description('Restart service containers')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[services...]')
    .option(...timeoutFlag)
    .action(async (services: string[], flags: { timeout?: number }, self: Command) => composeAction(() => restart(composeContext(self), services, flags.timeout)));
}
