/**
 * `berth create`: create a container without starting it, and the create-with-pull step
 * that `run` shares — on a 404 for the image, print `Unable to find image '…' locally`,
 * pull it (`POST /images/create?fromImage=…&tag=…`) and retry, as the docker CLI does.
 */
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { BerthCommand, cliFor, commandPath, requireArgs, type Cli } from '../command.js';
import { DaemonError } from '../client.js';
import { registryAuthHeader } from '../credentials.js';
import { StatusError } from '../errors.js';
import { displayJsonMessages } from '../format/jsonmessage.js';
import { familiarString, fullName, parseNormalizedNamed, tagNameOnly } from '../reference.js';
import { localhostDnsWarning } from './container-net.js';
import { addContainerFlags, buildCreateBody, validatePull, type BuildEnv, type ContainerFlags, type CreateBody } from './container-opts.js';
import { printTrace } from './trace.js';

/** Options of the create step. */
export interface CreateOptions {
  name?: string;
  pull?: string;
  quiet?: boolean;
}

/**
 * Pulls `image` (`POST /images/create`, stored credentials in X-Registry-Auth), printing
 * progress to stderr unless `quiet` — with bars when stderr is a terminal.
 */
export async function pullImage(cli: Cli, image: string, quiet = false): Promise<void> {
  const ref = parseNormalizedNamed(image);
  const query = { fromImage: fullName(ref), tag: ref.digest ?? ref.tag ?? 'latest' };
  const res = await cli.client.stream('POST', '/images/create', { query, headers: registryAuthHeader(ref.domain) });
  const err = cli.err as typeof cli.err & { isTTY?: boolean; columns?: number };
  await displayJsonMessages(res, quiet ? new PassThrough().resume() : cli.err, undefined, { terminal: !quiet && !!err.isTTY, width: err.columns });
}

/**
 * Creates a container from `body`, pulling the image first with `--pull=always` or on a 404
 * with `--pull=missing`. Prints the daemon's warnings and returns the container ID.
 */
export async function createContainer(cli: Cli, body: CreateBody, opts: CreateOptions): Promise<string> {
  const pull = opts.pull || 'missing';
  let named: ReturnType<typeof parseNormalizedNamed> | undefined;
  try {
    named = tagNameOnly(parseNormalizedNamed(body.Image));
  } catch {
    // An image ID or digest-only reference: nothing to pull by name.
  }
  if (pull === 'always' && named) await pullImage(cli, familiarString(named), opts.quiet);
  const send = () =>
    cli.client.request('POST', '/containers/create', { query: { name: opts.name }, body });
  let res;
  try {
    res = await send();
  } catch (e) {
    if (!(e instanceof DaemonError && e.status === 404 && named && pull === 'missing')) throw e;
    if (!opts.quiet) cli.err.write(`Unable to find image '${familiarString(named)}' locally\n`);
    await pullImage(cli, familiarString(named), opts.quiet);
    res = await send();
  }
  const created = res.json<{ Id: string; Warnings?: string[] | null }>();
  const dnsWarning = localhostDnsWarning(body.HostConfig.Dns);
  for (const w of [...(created.Warnings ?? []), ...(dnsWarning ? [dnsWarning] : [])]) cli.err.write(`WARNING: ${w}\n`);
  return created.Id;
}

/** Splits `IMAGE [COMMAND] [ARG...]` operands. */
export function splitImageArgs(operands: readonly string[]): { image: string; args: string[] } {
  return { image: operands[0] ?? '', args: operands.slice(1) };
}

/** docker's `withHelp`: `berth: <err>\n\nRun 'berth run --help' for more information`. */
export function withHelp(cmd: Command, message: string): string {
  const path = commandPath(cmd);
  return `${path.split(' ')[0]}: ${message}\n\nRun '${path} --help' for more information`;
}

/** Registers `create` on `parent` (top-level or under `container`). */
/**
 * The create request for `create`/`run` from their flags and operands; a bad flag value or
 * image name is a usage error (exit 125, with docker's help hint).
 */
export function createBodyFrom(self: Command, flags: ContainerFlags, operands: readonly string[], be?: BuildEnv): CreateBody {
  try {
    validatePull(flags.pull ?? 'missing');
    const { image, args } = splitImageArgs(operands);
    return buildCreateBody(flags, image, args, be);
  } catch (e) {
    throw new StatusError(withHelp(self, (e as Error).message), 125);
  }
}

export function registerCreate(parent: Command): void {
  const cmd = parent
    .command('create')
    .description('Create a new container')
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .helpOption('--help', 'Print usage')
    .argument('[image-and-args...]')
    .allowExcessArguments();
  (cmd as BerthCommand).stopAtOperand = true;
  addContainerFlags(cmd);
  cmd.action(async (operands: string[], flags: ContainerFlags, self: Command) => {
    requireArgs(self, operands, { min: 1 });
    const cli = cliFor(self);
    const body = createBodyFrom(self, flags, operands);
    const id = await createContainer(cli, body, { name: flags.name, pull: flags.pull, quiet: flags.quiet });
    cli.out.write(`${id}\n`);
    if (cli.trace) await printTrace(cli, id);
  });
}
