/**
 * `berth compose up`: converge the project (src/compose/up.ts), then, without `-d`, follow
 * the containers' logs with per-service prefixes until they all exit or Ctrl-C, which stops
 * them, as Compose's attached mode does.
 */
import type { Command } from 'commander';
import { collect, intFlag } from '../command.js';
import { StatusError } from '../errors.js';
import { streamLogs } from '../../compose/logs.js';
import { stop } from '../../compose/lifecycle.js';
import { L } from '../../compose/naming.js';
import { serviceContainers, up } from '../../compose/up.js';
import { composeAction, composeContext } from './compose.js';

interface UpFlags {
  detach?: boolean;
  build?: boolean;
  scale?: string[];
  deps: boolean;
  forceRecreate?: boolean;
  recreate: boolean;
  removeOrphans?: boolean;
  timeout?: number;
}

/** `--scale web=3` flags as a map. */
export function parseScale(list: string[] = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of list) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw new StatusError(`invalid --scale value "${s}": expected SERVICE=NUM`, 1);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export function registerComposeUp(compose: Command): void {
  compose
    .command('up')
    .description('Create and start containers')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[services...]')
    .option('-d, --detach', 'Detached mode: Run containers in the background')
    .option('--build', 'Build images before starting containers')
    .option('--scale <scale>', 'Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.', collect)
    .option('--no-deps', "Don't start linked services")
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them")
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('-t, --timeout <int>', 'Use this timeout in seconds for container shutdown', intFlag('-t, --timeout <int>'))
    .action(async (services: string[], flags: UpFlags, self: Command) =>
      composeAction(async () => {
        const ctx = composeContext(self);
        if (flags.forceRecreate && !flags.recreate) throw new StatusError('--force-recreate and --no-recreate are incompatible', 1);
        const order = await up(ctx, {
          services, build: flags.build, noDeps: !flags.deps, forceRecreate: flags.forceRecreate, noRecreate: !flags.recreate,
          removeOrphans: flags.removeOrphans, scale: parseScale(flags.scale),
        });
        if (flags.detach) return;
        const containers = (await serviceContainers(ctx)).filter((c) => order.includes(c.Labels[L.service] ?? ''));
        ctx.err.write(`Attaching to ${containers.map((c) => c.Names[0]!.slice(1)).sort().join(', ')}\n`);
        let stopping: Promise<void> | undefined;
        const onSignal = () => {
          if (stopping) process.exit(130);
          ctx.err.write('Gracefully stopping... (press Ctrl+C again to force)\n');
          stopping = stop(ctx, order, flags.timeout);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          await streamLogs(ctx, containers, { follow: true, exits: true });
          await stopping;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }),
    );
}
