/**
 * `docker export`: the container's root file system as one tar.
 *
 * A running container could swap a directory for a symlink while the host walks its files (the
 * `docker cp` CVE class, security notes §4a), so it is frozen for the duration; the host's GNU
 * tar then archives symlinks as links and never follows them. A stopped container's root is
 * mounted only for the export; no process can touch it meanwhile.
 */
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { conflict, internal } from '../../lib/errors.js';
import type { ContainerRecord } from './record.js';
import { mountRootfs, prepareSandbox } from './sandbox.js';
import type { ContainerService } from './service.js';

/** Writes the export tar of `rec` to `out`; `begin` is called once the tar is about to flow. */
export async function exportContainer(svc: ContainerService, rec: ContainerRecord, out: Writable, begin: () => void): Promise<void> {
  const { host, runtime } = svc.opts;
  await svc.withLock(rec.Id, async () => {
    const status = rec.State.Status;
    if (status === 'removing' || status === 'dead' || status === 'restarting') throw conflict(`Container ${rec.Id} is ${status}`);
    const rootfs = svc.rootfsDir(rec.Id);
    const freeze = status === 'running';
    const temporary = status === 'exited';
    if (status === 'created') await prepareSandbox(svc, rec);
    if (temporary) await mountRootfs(svc, rec);
    if (freeze) await runtime.pause(rec.Id);
    try {
      const tar = host.stream('tar', ['--numeric-owner', '-C', rootfs, '-cf', '-', '.']);
      begin();
      await pipeline(tar.stdout, out, { end: false }).catch((err) => {
        tar.kill();
        throw err;
      });
      const { code, stderr } = await tar.done;
      if (code !== 0) throw internal(`export: tar exited ${code}: ${stderr.trim()}`);
    } finally {
      if (freeze) await runtime.resume(rec.Id);
      if (temporary) await host.unmount(rootfs);
    }
  });
}
