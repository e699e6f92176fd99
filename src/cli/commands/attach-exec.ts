/**
 * `berth attach` and `berth exec`, the interactive verbs of the lecture: re-attaching the
 * terminal to a running container, and running another process (often a shell) in it.
 * Both end with the process's exit code, or 0 after detaching with the detach keys.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BerthCommand, cliFor, collect, requireArgs, type Cli } from '../command.js';
import { detachKeysFor } from '../config.js';
import { StatusError } from '../errors.js';
import { attachContainer, monitorTtySize, proxySignals, streamSession } from '../stream/attach.js';
import { parseKvFile, validateEnv } from './container-parse.js';
import { waitExitOrRemoved } from './run.js';

interface AttachFlags {
  detachKeys?: string;
  stdin?: boolean; // --no-stdin
  sigProxy?: boolean;
}

interface InspectForAttach {
  Id: string;
  State: { Running: boolean; Paused: boolean; Restarting: boolean };
  Config: { Tty?: boolean; OpenStdin?: boolean };
  HostConfig: { AutoRemove?: boolean };
}

async function attach(cli: Cli, ref: string, flags: AttachFlags): Promise<number> {
  const c = (await cli.client.request('GET', `/containers/${encodeURIComponent(ref)}/json`)).json<InspectForAttach>();
  if (!c.State.Running) throw new StatusError('You cannot attach to a stopped container, start it first', 1);
  if (c.State.Paused) throw new StatusError('You cannot attach to a paused container, unpause it first', 1);
  if (c.State.Restarting) throw new StatusError('You cannot attach to a restarting container, wait until it is running', 1);
  const tty = c.Config.Tty ?? false;
  const stdin = flags.stdin !== false && (c.Config.OpenStdin ?? false);
  if (stdin && tty && !cli.in.isTTY) throw new StatusError('the input device is not a TTY', 1);
  const { status } = await waitExitOrRemoved(cli, c.Id, c.HostConfig.AutoRemove ?? false);
  const session = await attachContainer(cli, c.Id, { stdin, stdout: true, stderr: true, tty, detachKeys: flags.detachKeys });
  const stopProxy = flags.sigProxy !== false && !tty ? proxySignals(cli, c.Id) : () => {};
  const stopResize = tty && cli.out.isTTY ? monitorTtySize(cli, c.Id, undefined, true) : () => {};
  try {
    await session.done;
  } finally {
    stopResize();
    stopProxy();
  }
  return session.detached ? 0 : await status;
}

export interface ExecFlags {
  detach?: boolean;
  detachKeys?: string;
  env?: string[];
  envFile?: string[];
  interactive?: boolean;
  privileged?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
}

function readEnvFile(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StatusError(code === 'ENOENT' ? `open ${p}: no such file or directory` : (e as Error).message, 1);
  }
}

export async function exec(cli: Cli, ref: string, cmdArgs: string[], f: ExecFlags): Promise<number> {
  const tty = !!f.tty;
  const interactive = !!f.interactive;
  if (tty && interactive && !f.detach && !cli.in.isTTY) throw new StatusError('the input device is not a TTY', 1);
  const env = [...(f.envFile ?? []).flatMap((p) => parseKvFile(readEnvFile(p), (k) => process.env[k])), ...(f.env ?? []).map((e) => validateEnv(e, process.env))];
  const size = tty && cli.out.isTTY && cli.out.rows ? [cli.out.rows, cli.out.columns ?? 80] : undefined;
  const created = await cli.client.request('POST', `/containers/${encodeURIComponent(ref)}/exec`, {
    body: {
      User: f.user ?? '', Privileged: !!f.privileged, Tty: tty, ConsoleSize: size ?? null,
      AttachStdin: interactive && !f.detach, AttachStdout: !f.detach, AttachStderr: !f.detach,
      DetachKeys: detachKeysFor(f.detachKeys) ?? '', Env: env, WorkingDir: f.workdir ?? '', Cmd: cmdArgs,
    },
  });
  const id = created.json<{ Id: string }>().Id;
  const start = `/exec/${encodeURIComponent(id)}/start`;
  if (f.detach) {
    await cli.client.request('POST', start, { body: { Detach: true, Tty: tty, ConsoleSize: size ?? null } });
    return 0;
  }
  const socket = await cli.client.hijack('POST', start, { body: { Detach: false, Tty: tty, ConsoleSize: size ?? null } });
  const session = streamSession(cli, socket, { stdin: interactive, stdout: true, stderr: true, tty, detachKeys: f.detachKeys });
  const stopResize = tty && cli.out.isTTY ? monitorTtySize(cli, id, `/exec/${encodeURIComponent(id)}/resize`) : () => {};
  try {
    await session.done;
  } finally {
    stopResize();
  }
  if (session.detached) return 0;
  const info = (await cli.client.request('GET', `/exec/${encodeURIComponent(id)}/json`)).json<{ ExitCode: number | null }>();
  return info.ExitCode ?? 0;
}

function exitWith(code: number): void {
  if (code !== 0) throw new StatusError('', code);
}

/** Registers `attach` and `exec` on `parent` (top-level or under `container`). */
export function registerAttachExec(parent: Command): void {
  parent
    .command('attach')
    .description('Attach local standard input, output, and error streams to a running container')
    .usage('[OPTIONS] CONTAINER')
    .argument('[container...]')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy', 'Proxy all received signals to the process (default true)')
    .action(async (args: string[], flags: AttachFlags, self: Command) => {
      requireArgs(self, args, { min: 1, max: 1 });
      exitWith(await attach(cliFor(self), args[0]!, flags));
    });
  const cmd = parent
    .command('exec')
    .description('Execute a command in a running container')
    .usage('[OPTIONS] CONTAINER COMMAND [ARG...]')
    .argument('[args...]')
    .allowExcessArguments() as BerthCommand;
  cmd
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-e, --env <list>', 'Set environment variables', collect)
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .action(async (args: string[], flags: ExecFlags, self: Command) => {
      requireArgs(self, args, { min: 2 });
      exitWith(await exec(cliFor(self), args[0]!, args.slice(1), flags));
    });
  // Flags after the container name belong to the command (`exec c ls -l`).
  cmd.stopAtOperand = true;
}
