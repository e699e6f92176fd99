/**
 * `docker commit` (lecture concept: a container's writable layer — what it changed — becomes a
 * new read-only layer on top of its image, and its config the new image's config). The config is
 * the container's, or the one sent with the request filled in from the container's, with the
 * Dockerfile-style `changes` applied. A running container is frozen while its layer is read
 * (`pause`, the default), so the layer is one consistent moment.
 */
import type { Readable } from 'node:stream';
import { conflict } from '../../lib/errors.js';
import { applyChanges } from '../build/changes.js';
import type { ChildImageRequest } from '../images/child.js';
import type { ImageRuntimeConfig } from '../images/types.js';
import { hidden } from './changes.js';
import type { ContainerConfig, ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';

/** What commit needs of the image service (principle 2: the narrow interface). */
export interface ImageCommitter {
  createChild(req: ChildImageRequest): Promise<{ id: string }>;
}

export interface CommitRequest {
  /** Normalized reference to tag the image with. */
  ref?: string;
  /** As given, for the event. */
  refText?: string;
  comment?: string;
  author?: string;
  pause: boolean;
  changes: string[];
  /** A container config sent with the request; the container's own when absent. */
  config?: Partial<ContainerConfig>;
}

const RUNTIME_KEYS = ['User', 'Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'Labels', 'ExposedPorts', 'Volumes', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell'] as const;

/** The image-config part of a container config. */
export function runtimeConfigOf(c: Partial<ContainerConfig>): ImageRuntimeConfig {
  const out: ImageRuntimeConfig = {};
  for (const k of RUNTIME_KEYS) if (c[k] !== undefined && c[k] !== null) out[k] = structuredClone(c[k]) as never;
  return out;
}

/** Docker's merge: what the request's config leaves empty is taken from the container's. */
function merge(user: ImageRuntimeConfig, ctr: ImageRuntimeConfig): ImageRuntimeConfig {
  const out = { ...user };
  out.User ||= ctr.User;
  out.ExposedPorts = { ...(ctr.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  if (!Object.keys(out.ExposedPorts).length) delete out.ExposedPorts;
  const keys = new Set((user.Env ?? []).map((e) => e.split('=', 1)[0]));
  const env = [...(user.Env ?? []), ...(ctr.Env ?? []).filter((e) => !keys.has(e.split('=', 1)[0]))];
  if (env.length) out.Env = env;
  out.Labels = { ...(ctr.Labels ?? {}), ...(user.Labels ?? {}) };
  if (!user.Entrypoint || user.Entrypoint.length === 0) {
    if (!user.Cmd || user.Cmd.length === 0) out.Cmd = ctr.Cmd ?? null;
    if (user.Entrypoint === undefined || user.Entrypoint === null) out.Entrypoint = ctr.Entrypoint ?? null;
  }
  out.Healthcheck ??= ctr.Healthcheck;
  out.WorkingDir ||= ctr.WorkingDir;
  if (user.Volumes && Object.keys(user.Volumes).length) out.Volumes = { ...user.Volumes, ...(ctr.Volumes ?? {}) };
  else if (ctr.Volumes) out.Volumes = ctr.Volumes;
  out.StopSignal ||= ctr.StopSignal;
  for (const k of Object.keys(out) as Array<keyof ImageRuntimeConfig>) if (out[k] === undefined || out[k] === '') delete out[k];
  return out;
}

/** The container's writable layer as a tar, without the runtime's mount points. */
export function containerLayer(svc: ContainerService, rec: ContainerRecord): Readable {
  return svc.opts.snapshots.layerTar(rec.Id, hidden) as unknown as Readable;
}

/** Commits `rec`; returns the new image's ID. */
export async function commitContainer(svc: ContainerService, images: ImageCommitter, rec: ContainerRecord, req: CommitRequest): Promise<string> {
  const own = runtimeConfigOf(rec.Config);
  const given = req.config && Object.keys(req.config).length ? runtimeConfigOf(req.config) : undefined;
  // Changes are checked before anything is frozen, so a bad one costs nothing.
  const config = merge(applyChanges(given ?? own, req.changes), own);
  const id = await svc.withLock(rec.Id, async () => {
    const status = rec.State.Status;
    if (status === 'dead') throw conflict(`You cannot commit container ${rec.Id} which is Dead`);
    if (status === 'removing') throw conflict(`You cannot commit container ${rec.Id} which is being removed`);
    const freeze = req.pause && status === 'running';
    if (freeze) await svc.opts.runtime.pause(rec.Id);
    try {
      const img = await images.createChild({
        parent: rec.ImageId,
        layer: containerLayer(svc, rec),
        config,
        containerConfig: own,
        containerId: rec.Id,
        createdBy: (rec.Config.Cmd ?? []).join(' '),
        author: req.author,
        comment: req.comment,
        refs: req.ref ? [req.ref] : [],
      });
      return img.id;
    } finally {
      if (freeze) await svc.opts.runtime.resume(rec.Id);
    }
  });
  svc.announce('commit', rec, { comment: req.comment ?? '', imageID: id, imageRef: req.refText ?? '' });
  return id;
}
