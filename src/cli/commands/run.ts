/**
 * `berth run`: create, attach, wait and start, in the docker CLI's order — the attach is
 * hijacked before start so no early output is lost, and the `wait` request's headers are
 * received before start so the exit code cannot be missed. Exit codes follow docker: the
 * container's own, 125 for run's own failures, 126/127 when the command cannot be invoked.
 */
import type { Command } from 'commander';
import { BerthCommand, cliFor, requireArgs, type Cli } from '../command.js';
import { StatusError } from '../errors.js';
import { readAll } from '../client.js';
import { attachContainer, monitorTtySize, proxySignals, type AttachSession } from '../stream/attach.js';
import { addContainerFlags, type ContainerFlags, type CreateBody } from './container-opts.js';
import { createBodyFrom, createContainer, withHelp } from './create.js';
import { printTrace } from './trace.js';

/** docker's toStatusError: the exit code for a failed create/start of `run`. */
export function runExitCode(message: string): number {
  if (message.includes('executable file not found') || message.includes('no such file or directory')) return 127;
  if (message.includes('permission denied') || message.includes('is a directory')) return 126;
  return 125;
}

function toStatusError(cmd: Command, e: unknown): StatusError {
  const message = e instanceof Error ? e.message : String(e);
  return new StatusError(withHelp(cmd, message), runExitCode(message));
}

/**
 * Sends `POST /containers/{id}/wait` and resolves once its headers arrived; `status` then
 * gives the exit status (125 when waiting itself failed), as waitExitOrRemoved does.
 * (The promise is wrapped in an object: an async function would otherwise flatten it and
 * only resolve at container exit — before start, that is a deadlock.)
 */
export async function waitExitOrRemoved(cli: Cli, id: string, removed: boolean): Promise<{ status: Promise<number> }> {
  const fail = (msg: string) => {
    cli.err.write(`error waiting for container: ${msg}\n`);
    return 125;
  };
  let res;
  try {
    res = await cli.client.stream('POST', `/containers/${encodeURIComponent(id)}/wait`, {
      query: { condition: removed ? 'removed' : 'next-exit' },
    });
  } catch (e) {
    return { status: Promise.resolve(fail((e as Error).message)) };
  }
  const status = readAll(res).then(
    (buf) => {
      const r = JSON.parse(buf.toString('utf8')) as { StatusCode: number; Error?: { Message?: string } | null };
      if (r.Error?.Message) return fail(r.Error.Message);
      return r.StatusCode;
    },
    (e: Error) => fail(e.message),
  );
  return { status };
}

/** Run-only flags on top of the container flags. */
interface RunFlags extends ContainerFlags {
  detach?: boolean;
  sigProxy?: boolean;
  detachKeys?: string;
}

/** Runs a container as `berth run` does; resolves with the process exit code. */
export async function runContainer(cli: Cli, cmd: Command, flags: RunFlags, body: CreateBody): Promise<number> {
  if (!flags.detach) {
    if (body.AttachStdin && body.Tty && !cli.in.isTTY) throw new StatusError('the input device is not a TTY', 1);
  } else {
    if ((flags.attach ?? []).length) throw new StatusError('conflicting options: cannot specify both --attach and --detach', 1);
    body.AttachStdin = body.AttachStdout = body.AttachStderr = body.StdinOnce = false;
  }
  let id: string;
  try {
    id = await createContainer(cli, body, { name: flags.name, pull: flags.pull, quiet: flags.quiet });
  } catch (e) {
    throw toStatusError(cmd, e);
  }
  const attach = body.AttachStdin || body.AttachStdout || body.AttachStderr;
  if (!attach) {
    // Detached: the ID is printed before start, so it is known even when start fails.
    cli.out.write(`${id}\n`);
    try {
      await cli.client.request('POST', `/containers/${encodeURIComponent(id)}/start`);
    } catch (e) {
      throw toStatusError(cmd, e);
    }
    if (cli.trace) await printTrace(cli, id);
    return 0;
  }
  const session: AttachSession = await attachContainer(cli, id, {
    stdin: body.AttachStdin,
    stdout: body.AttachStdout,
    stderr: body.AttachStderr,
    tty: body.Tty,
    detachKeys: flags.detachKeys,
  });
  const { status } = await waitExitOrRemoved(cli, id, body.HostConfig.AutoRemove);
  const stopProxy = flags.sigProxy === false ? () => {} : proxySignals(cli, id);
  try {
    return await startAndFollow(cli, id, session, status, { tty: !!body.Tty, autoRemove: !!body.HostConfig.AutoRemove, startError: (e) => toStatusError(cmd, e) });
  } finally {
    stopProxy();
  }
}

/**
 * Starts an attached container and follows it as docker does: start (on failure close the
 * attach and, for --rm, wait for the removal), keep the terminal size in sync, wait for the
 * output to end, then return the exit code (0 when the user detached).
 */
export async function startAndFollow(
  cli: Cli,
  id: string,
  session: AttachSession,
  status: Promise<number>,
  opts: { tty: boolean; autoRemove: boolean; startError: (e: unknown) => unknown },
): Promise<number> {
  try {
    await cli.client.request('POST', `/containers/${encodeURIComponent(id)}/start`);
  } catch (e) {
    session.close();
    await session.done.catch(() => {});
    if (opts.autoRemove) await status;
    throw opts.startError(e);
  }
  const stopResize = opts.tty && cli.out.isTTY ? monitorTtySize(cli, id) : () => {};
  try {
    await session.done;
  } finally {
    stopResize();
  }
  if (session.detached) return 0;
  const code = await status;
  if (cli.trace) await printTrace(cli, id);
  return code;
}

/** Registers `run` on `parent` (top-level or under `container`). */
export function registerRun(parent: Command): void {
  const cmd = parent
    .command('run')
    .description('Create and run a new container from an image')
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .helpOption('--help', 'Print usage')
    .argument('[image-and-args...]')
    .allowExcessArguments() as BerthCommand;
  cmd.stopAtOperand = true;
  addContainerFlags(cmd);
  cmd.option('-d, --detach', 'Run container in background and print container ID');
  cmd.option('--sig-proxy', 'Proxy received signals to the process', true);
  cmd.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  cmd.action(async (operands: string[], flags: RunFlags, self: Command) => {
    requireArgs(self, operands, { min: 1 });
    const cli = cliFor(self);
    const size: [number, number] = cli.out.isTTY ? [cli.out.rows ?? 0, cli.out.columns ?? 0] : [0, 0];
    const body = createBodyFrom(self, flags, operands, { consoleSize: size });
    const code = await runContainer(cli, self, flags, body);
    if (code !== 0) throw new StatusError('', code);
  });
}
