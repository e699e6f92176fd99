/**
 * `berth compose`: the Compose verbs, a client of the engine API like Docker Compose. The
 * group's own flags (`-f`, `-p`, `--project-directory`, `--env-file`, `--profile`) come
 * before the verb; each verb loads the project, then calls src/compose.
 */
import type { Command } from 'commander';
import { BerthCommand, cliFor, collect, type Cli } from '../command.js';
import { StatusError } from '../errors.js';
import { groupAction } from '../help.js';
import type { ComposeContext } from '../../compose/context.js';
import { Engine } from '../../compose/engine.js';
import { loadProject, NO_CONFIG } from '../../compose/load.js';
import { messageOf } from '../../lib/errors.js';
import { registerComposeImages } from './compose-images.js';
import { registerComposeInfo } from './compose-info.js';
import { registerComposeLifecycle } from './compose-lifecycle.js';
import { registerComposeRun } from './compose-run.js';
import { registerComposeUp } from './compose-up.js';

interface GroupFlags {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile?: string;
  profile?: string[];
}

/** The group command of `self` (the `compose` command itself). */
function group(self: Command): Command {
  let c: Command | null = self;
  while (c && c.name() !== 'compose') c = c.parent;
  return c ?? self;
}

/** Loads the project for a verb; model errors become exit 1 with their message. */
export function composeContext(self: Command): ComposeContext & { cli: Cli } {
  const cli = cliFor(self);
  const g = group(self).opts<GroupFlags>();
  try {
    const project = loadProject({
      files: g.file, projectName: g.projectName, projectDirectory: g.projectDirectory, envFile: g.envFile, profiles: g.profile,
      warn: (m) => cli.err.write(`${m}\n`),
    });
    return { cli, project, engine: new Engine(cli.client), out: cli.out, err: cli.err };
  } catch (e) {
    // As with Compose, `-p NAME down|ps|logs|stop…` works without the files: the project's
    // objects are found by their labels.
    if (g.projectName && messageOf(e) === NO_CONFIG && /^[a-z0-9][a-z0-9_-]*$/.test(g.projectName)) {
      const project = { name: g.projectName, workingDir: process.cwd(), configFiles: [], model: { name: g.projectName, services: {}, networks: {}, volumes: {} }, profiles: [], environment: process.env };
      return { cli, project, engine: new Engine(cli.client), out: cli.out, err: cli.err };
    }
    throw new StatusError(messageOf(e), 1);
  }
}

/** Runs a verb body, turning any failure into Compose's exit 1 with the message. */
export async function composeAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw new StatusError(messageOf(e), 1);
  }
}

/** Registers `compose` and its verbs on the root program. */
export function registerCompose(program: Command): void {
  const compose = (program as BerthCommand)
    .command('compose')
    .description('Define and run multi-container applications')
    .usage('[OPTIONS] COMMAND')
    .option('-f, --file <stringArray>', 'Compose configuration files', collect)
    .option('-p, --project-name <string>', 'Project name')
    .option('--project-directory <string>', 'Specify an alternate working directory (default: the path of the first specified Compose file)')
    .option('--env-file <string>', 'Specify an alternate environment file')
    .option('--profile <stringArray>', 'Specify a profile to enable', collect)
    .argument('[command...]')
    .action(groupAction);
  registerComposeUp(compose);
  registerComposeLifecycle(compose);
  registerComposeInfo(compose);
  registerComposeImages(compose);
  registerComposeRun(compose);
}
