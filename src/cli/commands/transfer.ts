/**
 * Moving images in and out as tar streams: `berth import` (a rootfs tarball → one-layer
 * image), `berth save` (docker-archive to `-o FILE` or a non-terminal stdout) and
 * `berth load` (from `-i FILE` or stdin, printing `Loaded image: …` from the JSON stream).
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { cliFor, collect, requireArgs } from '../command.js';
import { StatusError } from '../errors.js';
import { displayJsonMessages } from '../format/jsonmessage.js';
import { parseNormalizedNamed } from '../reference.js';
import { copyRaw } from '../stream/demux.js';

/** Opens a file for reading, failing with Go's wording (`open x: no such file or directory`). */
async function openInput(file: string): Promise<Readable> {
  try {
    const fh = await fsp.open(file, 'r');
    return fh.createReadStream();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new StatusError(`open ${file}: ${why}`, 1);
  }
}

/** Registers `import` on `parent` (top-level or under `image`). */
export function registerImport(parent: Command): void {
  parent
    .command('import')
    .description('Import the contents from a tarball to create a filesystem image')
    .usage('[OPTIONS] file|URL|- [REPOSITORY[:TAG]]')
    .argument('[source-and-repo...]')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .action(async (args: string[], flags: { change?: string[]; message?: string; platform?: string }, self: Command) => {
      requireArgs(self, args, { min: 1, max: 2 });
      const cli = cliFor(self);
      const [source, repo] = args as [string, string | undefined];
      if (repo) {
        try {
          parseNormalizedNamed(repo);
        } catch (e) {
          throw new StatusError((e as Error).message, 1);
        }
      }
      let body: Readable | undefined;
      let fromSrc = '-';
      if (source === '-') body = cli.in;
      else if (/^https?:\/\//.test(source)) fromSrc = source; // the daemon downloads URLs itself
      else body = await openInput(source);
      const res = await cli.client.stream('POST', '/images/create', {
        query: { fromSrc, repo, message: flags.message, platform: flags.platform?.toLowerCase(), changes: flags.change ?? [] },
        body,
      });
      await displayJsonMessages(res, cli.out);
    });
}

/** Writes a stream to `file` atomically (temporary file, then rename), mode 0600 like docker. */
async function writeAtomic(file: string, data: Readable): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const st = await fsp.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new StatusError(`failed to save image: invalid output path: directory "${dir}" does not exist`, 1);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await pipeline(data, createWriteStream(tmp, { mode: 0o600 }));
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Registers `save` on `parent` (top-level or under `image`). */
export function registerSave(parent: Command): void {
  parent
    .command('save')
    .description('Save one or more images to a tar archive (streamed to STDOUT by default)')
    .usage('[OPTIONS] IMAGE [IMAGE...]')
    .argument('[images...]')
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .action(async (images: string[], flags: { output?: string }, self: Command) => {
      requireArgs(self, images, { min: 1 });
      const cli = cliFor(self);
      if (!flags.output && cli.out.isTTY) {
        throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
      }
      const res = await cli.client.stream('GET', '/images/get', { query: { names: images } });
      if (flags.output) await writeAtomic(flags.output, res);
      else await copyRaw(res, cli.out);
    });
}

/** Registers `load` on `parent` (top-level or under `image`). */
export function registerLoad(parent: Command): void {
  parent
    .command('load')
    .description('Load an image from a tar archive or STDIN')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output')
    .action(async (args: string[], flags: { input?: string; quiet?: boolean }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      let input: Readable;
      if (!flags.input) {
        // Reading a terminal would just hang: docker refuses instead.
        if (cli.in.isTTY) throw new StatusError('requested load from stdin, but stdin is empty', 1);
        input = cli.in;
      } else {
        input = flags.input === '-' ? cli.in : await openInput(flags.input);
      }
      const quiet = (flags.quiet ?? false) || !cli.out.isTTY;
      const res = await cli.client.stream('POST', '/images/load', {
        query: { quiet: quiet ? '1' : '0' },
        body: input,
        headers: { 'Content-Type': 'application/x-tar' },
      });
      if ((res.headers['content-type'] ?? '').startsWith('application/json')) await displayJsonMessages(res, cli.out);
      else await copyRaw(res, cli.out);
    });
}
