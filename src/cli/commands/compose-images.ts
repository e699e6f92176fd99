/** `berth compose build|pull`: images of the project's services (src/compose/images.ts). */
import type { Command } from 'commander';
import { buildService, pullService } from '../../compose/images.js';
import { checkServices } from '../../compose/up.js';
import { composeAction, composeContext } from './compose.js';

export function registerComposeImages(compose: Command): void {
  compose
    .command('build')
    .description('Build or rebuild services')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[services...]')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('-q, --quiet', "Don't print anything to STDOUT")
    .action(async (services: string[], flags: { cache: boolean; quiet?: boolean }, self: Command) =>
      composeAction(async () => {
        const ctx = composeContext(self);
        checkServices(ctx, services);
        const names = services.length ? services : Object.keys(ctx.project.model.services).sort();
        for (const s of names) if (ctx.project.model.services[s]!.build) await buildService(ctx, s, { noCache: !flags.cache, quiet: flags.quiet });
      }),
    );
  compose
    .command('pull')
    .description('Pull service images')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[services...]')
    .option('--ignore-buildable', 'Ignore images that can be built')
    .option('-q, --quiet', 'Pull without printing progress information')
    .action(async (services: string[], flags: { ignoreBuildable?: boolean }, self: Command) =>
      composeAction(async () => {
        const ctx = composeContext(self);
        checkServices(ctx, services);
        const names = services.length ? services : Object.keys(ctx.project.model.services).sort();
        for (const s of names) {
          const svc = ctx.project.model.services[s]!;
          // A service built here with no image name has nothing to pull.
          if (!svc.image || (svc.build && flags.ignoreBuildable)) continue;
          await pullService(ctx, s);
        }
      }),
    );
}
