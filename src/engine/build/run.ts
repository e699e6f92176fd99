/**
 * RUN (lecture concept: a build step that executes a command runs it in a real container made
 * from the image so far; what the command changed becomes the step's layer). The container is an
 * ordinary one — created, started and removed through the container service, on the build's
 * network (the default bridge) — with the image's user, working directory and environment plus
 * the build args, no entrypoint, and its output streamed into the build output as it comes.
 */
import { StringDecoder } from 'node:string_decoder';
import { messageOf } from '../../lib/errors.js';
import { createContainer } from '../containers/create.js';
import { killContainer, waitContainer } from '../containers/lifecycle.js';
import { followLog } from '../containers/logs.js';
import type { ContainerRecord } from '../containers/record.js';
import { removeByRequest } from '../containers/remove.js';
import type { ContainerService } from '../containers/service.js';
import { startContainer } from '../containers/start.js';
import type { ImageRuntimeConfig } from '../images/types.js';
import { StepFailure } from './output.js';

export interface RunRequest {
  imageId: string;
  /** The command, shell already in front for the shell form. */
  cmd: string[];
  /** The image config ENV plus the build args. */
  env: string[];
  config: ImageRuntimeConfig;
  networkMode?: string;
  extraHosts?: string[];
  resources?: Record<string, number | string>;
  /** Receives the command's output. */
  write: (text: string) => void;
  signal?: AbortSignal;
}

const short = (id: string) => id.slice(0, 12);

/**
 * Runs the step's container to its end. Resolves with the container when the command succeeded
 * (the caller commits and removes it); otherwise removes it (unless `keepFailed`) and throws.
 */
export async function runStep(svc: ContainerService, req: RunRequest, keepFailed: boolean): Promise<ContainerRecord> {
  const { Id } = await createContainer(svc, null, {
    Image: req.imageId,
    Cmd: req.cmd,
    // An empty entrypoint, not the image's: RUN executes exactly its command.
    Entrypoint: [],
    Env: req.env,
    User: req.config.User ?? '',
    WorkingDir: req.config.WorkingDir ?? '',
    Labels: req.config.Labels ?? {},
    HostConfig: { ...req.resources, NetworkMode: req.networkMode || 'default', ...(req.extraHosts?.length ? { ExtraHosts: req.extraHosts } : {}) },
  });
  const rec = svc.get(Id);
  req.write(` ---> Running in ${short(Id)}\n`);
  const decoder = new StringDecoder('utf8');
  const follower = followLog(svc.store.dirs.logFile(Id), 0, (e) => req.write(decoder.write(e.data)));
  const exited = waitContainer(svc, rec, 'next-exit');
  const cancel = () => void killContainer(svc, rec).catch(() => undefined);
  req.signal?.addEventListener('abort', cancel);
  let failure: Error | undefined;
  try {
    await svc.withLock(Id, () => startContainer(svc, rec));
    const { StatusCode } = await exited;
    if (req.signal?.aborted) failure = new Error('Build cancelled');
    else if (StatusCode !== 0) failure = new StepFailure(`The command '${req.cmd.join(' ')}' returned a non-zero code: ${StatusCode}`, StatusCode);
  } catch (err) {
    failure = err instanceof Error ? err : new Error(messageOf(err));
  } finally {
    req.signal?.removeEventListener('abort', cancel);
    await follower.stop().catch(() => undefined);
    req.write(decoder.end());
  }
  if (failure) {
    if (!keepFailed) await removeStep(svc, rec).catch(() => undefined);
    throw failure;
  }
  return rec;
}

/** Removes a step's container (and its anonymous volumes) and says so, as the legacy builder does. */
export async function removeStep(svc: ContainerService, rec: ContainerRecord, write?: (text: string) => void): Promise<void> {
  await removeByRequest(svc, rec, { force: true, volumes: true });
  write?.(` ---> Removed intermediate container ${short(rec.Id)}\n`);
}
