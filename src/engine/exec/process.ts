/**
 * The OCI process of an exec: what the container's own process has (capabilities, rlimits,
 * no-new-privileges), with the exec's command, user, working directory, environment and
 * terminal. `--privileged` gives every capability the daemon may grant.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument } from '../../lib/errors.js';
import type { ContainerRecord } from '../containers/record.js';
import type { ContainerService } from '../containers/service.js';
import { ALL_CAPS } from '../runtime/defaults.js';
import { mergeEnv } from '../runtime/spec.js';
import { resolveUser } from '../runtime/user.js';
import type { ExecRequest } from './service.js';

export async function buildExecProcess(svc: ContainerService, rec: ContainerRecord, req: ExecRequest, size?: [number, number]): Promise<object> {
  const spec = JSON.parse(await fs.readFile(path.join(svc.bundleDir(rec.Id), 'config.json'), 'utf8')) as { process: Record<string, unknown> };
  const base = spec.process;
  for (const kv of req.Env ?? []) if (!kv || kv.startsWith('=')) throw invalidArgument(`invalid environment variable: ${kv}`);
  const user = await resolveUser(svc.rootfsDir(rec.Id), req.User || rec.Config.User);
  const tty = !!req.Tty;
  const caps = svc.opts.availableCaps ?? ALL_CAPS;
  return {
    ...base,
    terminal: tty,
    ...(tty && size && size[0] > 0 ? { consoleSize: { height: size[0], width: size[1] } } : { consoleSize: undefined }),
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    args: req.Cmd,
    env: mergeEnv(rec.Config.Env ?? [], req.Env ?? [], rec.Config.Hostname ?? '', tty, user.home),
    cwd: req.WorkingDir || (base.cwd as string) || '/',
    ...(req.Privileged ? { capabilities: { bounding: caps, effective: caps, permitted: caps } } : {}),
  };
}
