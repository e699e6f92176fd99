/**
 * Entry point of the `berth` binary. One binary, many roles: `berth daemon …` runs the
 * engine (src/engine/daemon/main.ts, loaded only when asked for), every other verb is the
 * Docker-compatible client, which only talks HTTP to a daemon. Other roles register their
 * commands through `registerCommand`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { BerthCommand } from './command.js';
import { StatusError } from './errors.js';
import { formatHelp, groupAction } from './help.js';
import { registerAttachExec } from './commands/attach-exec.js';
import { registerBuild } from './commands/build.js';
import { registerCommit } from './commands/commit.js';
import { registerCompose } from './commands/compose.js';
import { registerCp } from './commands/cp.js';
import { registerCreate } from './commands/create.js';
import { registerImageOps } from './commands/image-ops.js';
import { registerHistory, registerImages } from './commands/images.js';
import { registerInspect, registerKindInspect } from './commands/inspect.js';
import { registerLifecycle } from './commands/lifecycle.js';
import { registerLogs } from './commands/logs.js';
import { registerNetwork } from './commands/network.js';
import { registerPort } from './commands/port.js';
import { registerContainerPrune, registerImagePrune } from './commands/prune.js';
import { registerPs } from './commands/ps.js';
import { registerLogin } from './commands/registry.js';
import { registerRun } from './commands/run.js';
import { registerStart } from './commands/start.js';
import { CLI_VERSION, registerSystem } from './commands/system.js';
import { registerTopDiff } from './commands/top-diff.js';
import { registerImport, registerLoad, registerSave } from './commands/transfer.js';
import { registerVolume } from './commands/volume.js';

/** A function that adds commands to the root program (e.g. `server`, `agent`, `compose`). */
export type CommandRegistrar = (program: Command) => void;

const registrars: CommandRegistrar[] = [];

/** Adds commands to every program built afterwards; the hook for roles beyond the client. */
export function registerCommand(fn: CommandRegistrar): void {
  registrars.push(fn);
}

// Kept in a variable so that the client builds even before the daemon module exists.
const DAEMON_MODULE = '../engine/daemon/main.js';

/** Runs `berth registry serve ARGS` (src/registry/main.ts, loaded only when asked for). */
export async function runRegistryRole(argv: string[]): Promise<number> {
  const { runRegistryServe } = await import('../registry/main.js');
  return runRegistryServe(argv);
}

/**
 * Runs `berth daemon ARGS`: resolves with an exit code, or `undefined` when the daemon is
 * left running (its servers keep the process alive; nobody may call process.exit then).
 */
export async function runDaemonRole(argv: string[]): Promise<number | undefined> {
  let mod: { runDaemon?: (argv: string[]) => unknown };
  try {
    mod = (await import(DAEMON_MODULE)) as typeof mod;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new StatusError('berth: the daemon is not part of this build (src/engine/daemon/main.ts is missing)', 1);
  }
  if (typeof mod.runDaemon !== 'function') throw new StatusError('berth: src/engine/daemon/main.ts exports no runDaemon', 1);
  const result = await mod.runDaemon(argv);
  return typeof result === 'number' ? result : undefined;
}

/** The client verbs shared by the root and the `container` group. */
function containerVerbs(parent: Command, grouped: boolean): void {
  registerRun(parent);
  registerCreate(parent);
  registerStart(parent);
  registerAttachExec(parent);
  registerLifecycle(parent);
  registerLogs(parent);
  registerTopDiff(parent);
  registerCp(parent);
  registerPort(parent);
  registerCommit(parent);
  if (grouped) {
    registerPs(parent, 'ls', ['list', 'ps']);
    registerKindInspect(parent, 'container');
    registerContainerPrune(parent);
  } else {
    registerPs(parent);
  }
}

/** Builds the whole command tree. */
export function buildProgram(): BerthCommand {
  const program = new BerthCommand('berth');
  program
    .usage('[OPTIONS] COMMAND')
    .description('A container engine with Docker\'s interface (daemon and client in one binary)')
    .option('-H, --host <string>', 'Daemon socket to connect to (default "unix:///run/berth/berth.sock", or $BERTH_HOST)')
    .option('--trace', 'After run/create/start, print the timeline of the container\'s lifecycle stages')
    .version(`Berth version ${CLI_VERSION}`, '-v, --version', 'Print version information and quit')
    .helpOption('-h, --help', 'Print usage')
    .helpCommand(false)
    .configureHelp({ formatHelp })
    .enablePositionalOptions()
    .exitOverride()
    .argument('[command...]')
    .action(groupAction);

  program
    .command('daemon')
    .description('Run the Berth engine daemon')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (_args: string[], _opts: unknown, self: Command) => {
      const code = await runDaemonRole(self.args);
      if (code) throw new StatusError('', code);
    });

  // Help entry only: main() hands `registry serve` to the registry role before parsing.
  program.command('registry').description('Run a registry server (registry serve)').usage('COMMAND').argument('[command...]').action(groupAction)
    .command('serve').description('Run an OCI Distribution registry server').helpOption(false).allowUnknownOption().allowExcessArguments().argument('[args...]')
    .action(async (_args: string[], _opts: unknown, self: Command) => {
      const code = await runRegistryRole(self.args);
      if (code) throw new StatusError('', code);
    });

  containerVerbs(program, false);
  registerInspect(program);
  registerImages(program);
  registerHistory(program);
  registerBuild(program);
  registerImageOps(program, false);
  registerImport(program);
  registerSave(program);
  registerLoad(program);
  registerLogin(program);
  registerSystem(program);
  registerNetwork(program);

  const container = program
    .command('container')
    .description('Manage containers')
    .usage('COMMAND')
    .argument('[command...]')
    .action(groupAction);
  containerVerbs(container, true);

  const image = program.command('image').description('Manage images').usage('COMMAND').argument('[command...]').action(groupAction);
  registerImages(image, 'ls', ['list']);
  registerKindInspect(image, 'image');
  registerBuild(image);
  registerHistory(image);
  registerImageOps(image, true);
  registerImport(image);
  registerSave(image);
  registerLoad(image);
  registerImagePrune(image);

  registerVolume(program);
  registerCompose(program);

  for (const r of registrars) r(program);
  return program;
}

/**
 * Runs the CLI with `argv` (without node and script). Resolves with the exit code, or
 * `undefined` when a long-running role (the daemon) owns the process from now on.
 */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number | undefined> {
  try {
    // `berth daemon` skips the client's option parsing: every flag belongs to the daemon.
    if (argv[0] === 'daemon') return await runDaemonRole(argv.slice(1));
    if (argv[0] === 'registry' && argv[1] === 'serve') return await runRegistryRole(argv.slice(2));
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof StatusError) {
      if (e.message) process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/**
 * A closed stdout (`berth logs web | head -1`) ends the command the way docker's does:
 * `write /dev/stdout: broken pipe`, exit 1, instead of an unhandled EPIPE crash.
 */
export function handleBrokenPipes(): void {
  for (const [stream, name] of [[process.stdout, 'stdout'], [process.stderr, 'stderr']] as const) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      if (name === 'stdout') process.stderr.write(`write /dev/stdout: broken pipe\n`, () => process.exit(1));
      else process.exit(1);
    });
  }
}

/** Flushes stdout and stderr, then exits: output written just before exit is never lost. */
export async function exit(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((r) => s.write('', () => r()))));
  process.exit(code);
}

// Run when executed directly (`node dist/src/cli/main.js daemon`, as `npm start` does);
// bin/berth and tests import this module instead and call main() themselves.
const entry = process.argv[1];
if (entry && realpathOrSelf(entry) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] !== 'daemon') handleBrokenPipes();
  const code = await main();
  if (code !== undefined) await exit(code);
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
