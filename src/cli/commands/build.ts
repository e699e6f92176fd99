/**
 * `berth build [OPTIONS] PATH | -` (`POST /build` with `version=1`): sends the context and prints
 * the legacy builder's stream the way docker's CLI does (`Sending build context…`, the steps,
 * `Successfully built …`). A failed RUN makes the command exit with that step's code, as docker's
 * does; `-q` prints only the image ID.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import type { Command } from 'commander';
import { cliFor, collect, requireArgs } from '../command.js';
import { StatusError } from '../errors.js';
import { contextIgnores, dockerfileOnly, packContext } from '../build/context.js';
import { readJsonMessages, renderMessage } from '../format/jsonmessage.js';
import { humanSize } from '../format/units.js';
import { readAll } from '../client.js';
import { registryConfigHeader } from '../credentials.js';

export interface BuildFlags {
  tag?: string[];
  file?: string;
  buildArg?: string[];
  target?: string;
  cache: boolean;
  label?: string[];
  quiet?: boolean;
  rm: boolean;
  forceRm?: boolean;
  pull?: boolean;
  network?: string;
  addHost?: string[];
  iidfile?: string;
}

/** `--build-arg K=V`, or `K` alone: the value of K in the environment, or null when unset. */
export function buildArgsOf(list: string[] = [], env = process.env): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq >= 0) out[a.slice(0, eq)] = a.slice(eq + 1);
    else out[a] = env[a] ?? null;
  }
  return out;
}

/** `--label k=v` (or `k` for an empty value). */
export function labelsOf(list: string[] = []): Record<string, string> {
  return Object.fromEntries(list.map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));
}

const isArchive = (b: Buffer) => (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) || (b.length >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar');

/** The context tar and the Dockerfile name inside it. */
export async function prepareContext(ctx: string, flags: BuildFlags, stdin: Readable): Promise<{ body: Readable; dockerfile: string }> {
  if (ctx === '-') {
    if (flags.file === '-') throw new StatusError("invalid argument: can't use stdin for both build context and dockerfile", 1);
    const data = await readAll(stdin);
    if (isArchive(data)) return { body: Readable.from([data]), dockerfile: flags.file ?? 'Dockerfile' };
    return { body: dockerfileOnly('Dockerfile', data), dockerfile: 'Dockerfile' };
  }
  const st = await fs.stat(ctx).catch(() => undefined);
  if (!st?.isDirectory()) throw new StatusError(`unable to prepare context: path "${ctx}" not found`, 1);
  const extra: Array<{ name: string; data: Buffer }> = [];
  let dockerfile = 'Dockerfile';
  if (flags.file === '-' || (flags.file && path.relative(ctx, path.resolve(flags.file)).startsWith('..'))) {
    // A Dockerfile from stdin or from outside the context travels inside the context tar.
    const data = flags.file === '-' ? await readAll(stdin) : await fs.readFile(flags.file).catch(() => {
      throw new StatusError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${path.resolve(flags.file!)}: no such file or directory`, 1);
    });
    dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
    extra.push({ name: dockerfile, data });
  } else {
    const file = flags.file ? path.resolve(flags.file) : path.join(ctx, 'Dockerfile');
    const exists = await fs.lstat(file).then(() => true, () => false);
    const lower = !flags.file && !exists && (await fs.lstat(path.join(ctx, 'dockerfile')).then(() => true, () => false));
    if (!exists && !lower) throw new StatusError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${file}: no such file or directory`, 1);
    dockerfile = lower ? 'dockerfile' : path.relative(path.resolve(ctx), file).split(path.sep).join('/');
  }
  const ignore = await contextIgnores(ctx, dockerfile);
  return { body: packContext(ctx, ignore, extra), dockerfile };
}

/** Registers `build` on `parent` (top-level or under `image`). */
export function registerBuild(parent: Command): void {
  parent
    .command('build')
    .description('Build an image from a Dockerfile')
    .usage('[OPTIONS] PATH | URL | -')
    .argument('[context...]')
    .option('-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format', collect)
    .option('-f, --file <string>', 'Name of the Dockerfile (Default is "PATH/Dockerfile")')
    .option('--build-arg <list>', 'Set build-time variables', collect)
    .option('--target <string>', 'Set the target build stage to build.')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--label <list>', 'Set metadata for an image', collect)
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--rm', 'Remove intermediate containers after a successful build', true)
    .option('--force-rm', 'Always remove intermediate containers')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build')
    .option('--add-host <list>', 'Add a custom host-to-IP mapping ("host:ip")', collect)
    .option('--iidfile <string>', 'Write the image ID to the file')
    .action(async (args: string[], flags: BuildFlags, self: Command) => {
      requireArgs(self, args, { min: 1, max: 1 });
      const cli = cliFor(self);
      if (flags.iidfile) await fs.rm(flags.iidfile, { force: true });
      const { body, dockerfile } = await prepareContext(args[0]!, flags, cli.in);
      let sent = 0;
      const counted = body.pipe(new Transform({ transform: (c: Buffer, _e, cb) => ((sent += c.length), cb(null, c)) }));
      const uploaded = new Promise<void>((resolve) => counted.once('end', resolve));
      const res = await cli.client.stream('POST', '/build', {
        query: {
          t: flags.tag ?? [],
          dockerfile,
          buildargs: JSON.stringify(buildArgsOf(flags.buildArg)),
          labels: JSON.stringify(labelsOf(flags.label)),
          target: flags.target,
          nocache: !flags.cache,
          q: flags.quiet,
          rm: flags.rm ? '1' : '0',
          forcerm: flags.forceRm,
          pull: flags.pull,
          networkmode: flags.network,
          extrahosts: flags.addHost ?? [],
          version: '1',
        },
        body: counted,
        headers: { 'Content-Type': 'application/x-tar', ...registryConfigHeader() },
      });
      await uploaded;
      // With -q everything is held back and shown only if the build fails.
      const shown = flags.quiet ? new PassThrough() : cli.out;
      const held: string[] = [];
      const print = (s: string) => (flags.quiet ? held.push(s) : shown.write(s));
      print(`Sending build context to Docker daemon  ${humanSize(sent)}\n`);
      let imageId = '';
      for await (const jm of readJsonMessages(res)) {
        if (jm.errorDetail || jm.error) {
          if (flags.quiet) cli.err.write(held.join(''));
          throw new StatusError(jm.errorDetail?.message || jm.error || 'unknown error', jm.errorDetail?.code || 1);
        }
        if (jm.aux !== undefined) {
          imageId = (jm.aux as { ID?: string }).ID ?? imageId;
          continue;
        }
        if (flags.quiet && jm.stream?.startsWith('sha256:')) imageId = jm.stream.trim();
        print(renderMessage(jm));
      }
      if (flags.quiet) cli.out.write(`${imageId}\n`);
      if (flags.iidfile) await fs.writeFile(flags.iidfile, imageId);
    });
}
