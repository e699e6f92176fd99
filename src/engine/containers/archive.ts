/**
 * `docker cp` in the engine: stat (HEAD), archive (GET) and extract (PUT) of a path inside a
 * container's root file system, for running, paused, created and exited containers.
 *
 * The CVE class of notes/security.md §4a — CVE-2018-15664, where the container swaps a path
 * component for a symlink between the daemon's check and its use, and CVE-2019-10152, where a
 * symlink was resolved on the host — is closed three ways:
 * - every path is resolved scoped to the container's root (snapshots/scoped.ts): a symlink means
 *   what it means inside the container, `..` and absolute targets never leave the root;
 * - writes never follow the final component, reads never follow a symlink inside the tree
 *   (snapshots/unpack.ts, lib/tar-tree.ts);
 * - a running container is frozen for the whole operation, stream included, and thawed even on
 *   error, so nothing in it can change between our checks and our reads or writes. A stopped
 *   container has no process; its root is mounted only for the operation.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError, conflict, internal, invalidArgument, isKind, messageOf } from '../../lib/errors.js';
import * as gopath from '../../lib/gopath.js';
import { packTree } from '../../lib/tar-tree.js';
import { resolveUser } from '../runtime/user.js';
import { hostPath, resolveInRoot } from '../snapshots/scoped.js';
import { extractArchive } from '../snapshots/unpack.js';
import { fileNotFound, statInRoot, type PathStat } from './path-stat.js';
import type { ContainerRecord } from './record.js';
import { mountRootfs, prepareSandbox } from './sandbox.js';
import type { ContainerService } from './service.js';

/**
 * Runs `fn` on the container's root file system with the container held still: its lock taken,
 * its root mounted (only for the call when it is stopped), its processes frozen when it runs.
 * Errors naming host paths are reworded with container paths.
 */
async function withStillRoot<T>(svc: ContainerService, rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
  const { host, runtime } = svc.opts;
  return svc.withLock(rec.Id, async () => {
    const status = rec.State.Status;
    if (status === 'removing' || status === 'dead' || status === 'restarting') throw conflict(`Container ${rec.Id} is ${status}`);
    const root = svc.rootfsDir(rec.Id);
    const temporary = status === 'exited';
    if (status === 'created') await prepareSandbox(svc, rec);
    if (temporary) await mountRootfs(svc, rec);
    try {
      // A paused container is already frozen, and stays paused afterwards.
      const freeze = status === 'running';
      if (freeze) await runtime.pause(rec.Id);
      try {
        return await fn(root);
      } finally {
        if (freeze) await runtime.resume(rec.Id);
      }
    } catch (err) {
      throw containerPaths(err, root);
    } finally {
      if (temporary) await host.unmount(root);
    }
  });
}

/** The same error with the host location of the root removed from its message. */
function containerPaths(err: unknown, root: string): unknown {
  const msg = messageOf(err);
  if (!msg.includes(root)) return err;
  const clean = msg.split(root).join('');
  return err instanceof BerthError ? new BerthError(err.kind, clean, { cause: err }) : internal(clean, err);
}

/** `HEAD /containers/{id}/archive?path=`: the stat of `p` (a symlink is not followed). */
export async function statContainerPath(svc: ContainerService, rec: ContainerRecord, ref: string, p: string): Promise<PathStat> {
  return withStillRoot(svc, rec, async (root) => (await statInRoot(root, p, ref)).stat);
}

/**
 * `GET /containers/{id}/archive?path=`: a tar of `p` written to the stream `begin` returns once
 * the stat is known (the HTTP headers carry it). Names follow Docker: a directory `dir` gives
 * `dir/…`, `dir/.` gives `./…`, a file or symlink its own name.
 */
export async function archiveContainerPath(svc: ContainerService, rec: ContainerRecord, ref: string, p: string, begin: (stat: PathStat) => Writable): Promise<void> {
  // dockerd cleans the path first but keeps what a trailing `/` or `/.` asks for.
  const absPath = gopath.preserveTrailingDotOrSeparator(gopath.join('/', p), p);
  await withStillRoot(svc, rec, async (root) => {
    const { stat, comps } = await statInRoot(root, absPath, ref);
    const name = gopath.base(absPath);
    const out = begin({ ...stat, name });
    await pipeline(packTree(hostPath(root, comps), name === '/' ? '' : name), out, { end: false });
  });
  svc.announce('archive-path', rec);
}

export interface ExtractRequest {
  /** Refuse to replace a directory by a non-directory and vice versa. */
  noOverwriteDirNonDir: boolean;
  /** Own every entry by the container's user (`docker cp -a`); the archive's owners otherwise. */
  copyUIDGID: boolean;
}

/**
 * `PUT /containers/{id}/archive?path=`: extracts the tar `input` into the directory `p`, which
 * must exist (symlinks, the final one included, are followed inside the container).
 */
export async function extractToContainer(svc: ContainerService, rec: ContainerRecord, ref: string, p: string, input: AsyncIterable<Uint8Array>, req: ExtractRequest): Promise<void> {
  await withStillRoot(svc, rec, async (root) => {
    let dest;
    try {
      dest = await resolveInRoot(root, gopath.join('/', p), { followFinal: true });
    } catch (err) {
      throw isKind(err, 'NotFound') ? fileNotFound(p, ref) : err;
    }
    if (!dest.exists) throw fileNotFound(p, ref);
    if (!dest.isDir) throw invalidArgument('extraction point is not a directory');
    if (rec.HostConfig.ReadonlyRootfs) throw invalidArgument('container rootfs is marked read-only');
    // Docker owns copies by the configured user only when there is one; root's copies keep the archive's owners.
    const user = req.copyUIDGID && rec.Config.User ? await resolveUser(root, rec.Config.User) : undefined;
    await extractArchive(input, root, dest.comps, svc.opts.host, {
      noOverwriteDirNonDir: req.noOverwriteDirNonDir,
      owner: user && { uid: user.uid, gid: user.gid },
    });
  });
  svc.announce('extract-to-dir', rec);
}
