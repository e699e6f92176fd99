/**
 * `berth cp` (also `berth container cp`): copies between a container and the local file system
 * with docker's syntax, rules and messages (docker/cli cli/command/container/cp.go, 28.x).
 *
 *   cp [-a] [-L] [-q] CONTAINER:SRC DEST|-     GET /containers/{id}/archive, extracted locally
 *   cp [-a] [-L] [-q] SRC|- CONTAINER:DEST     local tar, PUT /containers/{id}/archive
 *
 * `-` is a tar stream on stdout or stdin. Unless quiet (the default when stdout is not a
 * terminal), a `Successfully copied <size> to <dest>` line follows on stderr, the size being the
 * tar bytes transferred.
 */
import type { Command } from 'commander';
import { Readable } from 'node:stream';
import * as gopath from '../../lib/gopath.js';
import { packTree } from '../../lib/tar-tree.js';
import { type Cli, cliFor, requireArgs } from '../command.js';
import { copyInfoDestinationPath, copyInfoSourcePath, type CopyInfo, getRebaseName, outputModeProblem, prepareArchiveCopy, rebase, type Rename, resolveLocalPath, splitCpArg, validateOutputPath } from '../copy/paths.js';
import { untarLocal } from '../copy/untar.js';
import { StatusError } from '../errors.js';
import { humanSize } from '../format/units.js';
import { copyRaw } from '../stream/demux.js';

/** Docker's container.PathStat, from the `X-Docker-Container-Path-Stat` header. */
interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const bit = (mode: number, n: number) => Math.floor(mode / 2 ** n) % 2 === 1;
const isDirMode = (mode: number) => bit(mode, 31);
const isSymlinkMode = (mode: number) => bit(mode, 27);

interface CopyConfig {
  container: string;
  source: string;
  dest: string;
  followLink: boolean;
  copyUIDGID: boolean;
  quiet: boolean;
}

const archiveUrl = (container: string) => `/containers/${encodeURIComponent(container)}/archive`;

function decodeStat(header: string | string[] | undefined): PathStat {
  try {
    return JSON.parse(Buffer.from(String(header ?? ''), 'base64').toString('utf8')) as PathStat;
  } catch {
    throw new Error('unable to get resource stat from response: unable to decode container path stat header: EOF');
  }
}

async function statPath(cli: Cli, container: string, p: string): Promise<PathStat> {
  const res = await cli.client.request('HEAD', archiveUrl(container), { query: { path: p } });
  return decodeStat(res.headers['x-docker-container-path-stat']);
}

/** A symlink's target as docker reads the stat: relative targets are joined to the link's directory. */
function linkTargetOf(p: string, stat: PathStat): string {
  return gopath.isAbs(stat.linkTarget) ? stat.linkTarget : gopath.join(gopath.splitPathDirEntry(p)[0], stat.linkTarget);
}

/** Passes `src` through, adding each chunk's length to `count.n`. */
function counted(src: AsyncIterable<Uint8Array>, count: { n: number }): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of src) {
        count.n += chunk.length;
        yield chunk;
      }
    })(),
  );
}

/**
 * Runs `copy`, then prints docker's summary unless quiet — even after a failure, as docker 28
 * does. docker 28 has a progress line too, but its terminal check is made on a wrapped stream
 * and never succeeds, so it is never shown; neither is ours.
 */
async function withSummary(cli: Cli, cfg: CopyConfig, count: { n: number }, shownDest: string, copy: () => Promise<void>): Promise<void> {
  if (cfg.quiet) return copy();
  let failure: unknown;
  try {
    await copy();
  } catch (e) {
    failure = e;
  }
  cli.err.write(`Successfully copied ${humanSize(count.n, 3)} to ${shownDest}\n`);
  if (failure) throw failure;
}

async function copyFromContainer(cli: Cli, cfg: CopyConfig): Promise<void> {
  const dst = cfg.dest === '-' ? '-' : resolveLocalPath(cfg.dest);
  await validateOutputPath(dst);
  let src = cfg.source;
  let rebaseName = '';
  if (cfg.followLink) {
    const st = await statPath(cli, cfg.container, src).catch(() => undefined);
    if (st && isSymlinkMode(st.mode)) [src, rebaseName] = getRebaseName(src, linkTargetOf(src, st));
  }
  const res = await cli.client.stream('GET', archiveUrl(cfg.container), { query: { path: src } });
  try {
    const stat = decodeStat(res.headers['x-docker-container-path-stat']);
    if (dst === '-') return await copyRaw(res, cli.out);
    const srcInfo: CopyInfo = { path: src, exists: true, isDir: isDirMode(stat.mode), rebaseName };
    // `-L` renames the link target's entries back to the link's name first.
    const followRename: Rename | undefined = rebaseName ? [gopath.splitPathDirEntry(src)[1], rebaseName] : undefined;
    const count = { n: 0 };
    await withSummary(cli, cfg, count, dst, async () => {
      const dstInfo = await copyInfoDestinationPath(dst);
      const { dstDir, rename } = prepareArchiveCopy(srcInfo, dstInfo);
      const renameAll = (name: string) => {
        const once = followRename ? rebase(name, followRename) : name;
        return rename ? rebase(once, rename) : once;
      };
      await untarLocal(counted(res, count), dstDir, renameAll);
    });
  } finally {
    res.destroy();
  }
}

async function copyToContainer(cli: Cli, cfg: CopyConfig): Promise<void> {
  const src = cfg.source === '-' ? '-' : resolveLocalPath(cfg.source);
  const dst = cfg.dest;
  const dstInfo: CopyInfo = { path: dst, exists: false, isDir: false, rebaseName: '' };
  // The destination's stat decides how the archive is shaped; if there is none, the parent must exist.
  let st = await statPath(cli, cfg.container, dst).catch(() => undefined);
  if (st && isSymlinkMode(st.mode)) {
    dstInfo.path = linkTargetOf(dst, st);
    st = await statPath(cli, cfg.container, dstInfo.path).catch(() => undefined);
  }
  const problem = outputModeProblem(st?.mode ?? 0);
  if (problem) throw new Error(`destination "${cfg.container}:${dst}" must be a directory or a regular file: ${problem}`);
  if (st) [dstInfo.exists, dstInfo.isDir] = [true, isDirMode(st.mode)];

  const count = { n: 0 };
  let body: Readable;
  let resolvedDst: string;
  if (src === '-') {
    if (!dstInfo.isDir) throw new Error(`destination "${cfg.container}:${dst}" must be a directory`);
    // docker does not count a stream from stdin: its summary says 0B.
    body = cli.in;
    resolvedDst = dstInfo.path;
  } else {
    const srcInfo = await copyInfoSourcePath(src, cfg.followLink);
    const [sourceDir, sourceBase] = gopath.splitPathDirEntry(srcInfo.path);
    const { dstDir, rename } = prepareArchiveCopy(srcInfo, dstInfo);
    // go-archive names entries after the source (or its rebase name), then renames them for the destination.
    const named = srcInfo.rebaseName || sourceBase;
    const prefix = rename ? rebase(named, rename) : named;
    body = counted(packTree(sourceBase === '.' ? sourceDir : gopath.join(sourceDir, sourceBase), prefix === '/' ? '' : prefix), count);
    resolvedDst = dstDir;
  }
  await withSummary(cli, cfg, count, `${cfg.container}:${dstInfo.path}`, async () => {
    await cli.client.request('PUT', archiveUrl(cfg.container), {
      query: { path: resolvedDst, noOverwriteDirNonDir: 'true', copyUIDGID: cfg.copyUIDGID ? 'true' : undefined },
      body,
    });
  });
}

interface CpFlags {
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

/** Registers `cp` on `parent` (top-level or under `container`). */
export function registerCp(parent: Command): void {
  parent
    .command('cp')
    .description('Copy files/folders between a container and the local filesystem')
    .usage('[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH')
    .argument('[paths...]')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symlinks in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached')
    .action(async (args: string[], flags: CpFlags, self: Command) => {
      requireArgs(self, args, { min: 2, max: 2 });
      if (args[0] === '') throw new StatusError('source can not be empty', 1);
      if (args[1] === '') throw new StatusError('destination can not be empty', 1);
      const cli = cliFor(self);
      const from = splitCpArg(args[0]!);
      const to = splitCpArg(args[1]!);
      // Without -q given, the summary is printed only when stdout is a terminal.
      const quiet = self.getOptionValueSource('quiet') === 'cli' ? !!flags.quiet : !cli.out.isTTY;
      const cfg: CopyConfig = { container: from.container || to.container, source: from.path, dest: to.path, followLink: !!flags.followLink, copyUIDGID: !!flags.archive, quiet };
      if (from.container && to.container) throw new StatusError('copying between containers is not supported', 1);
      if (from.container) await copyFromContainer(cli, cfg);
      else if (to.container) await copyToContainer(cli, cfg);
      else throw new StatusError('must specify at least one container source', 1);
    });
}
