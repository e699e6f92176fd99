/**
 * Docker Engine API routes for `docker cp`: HEAD, GET and PUT /containers/{id}/archive. The
 * work is in containers/archive.ts; here are only parameters, the stat header and streaming.
 */
import type { IncomingMessage } from 'node:http';
import { invalidArgument } from '../../../lib/errors.js';
import { archiveContainerPath, extractToContainer, statContainerPath } from '../../containers/archive.js';
import { statHeader } from '../../containers/path-stat.js';
import type { ContainerService } from '../../containers/service.js';
import { boolParam, sendEmpty, type Ctx, type Router } from '../router.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** The container reference and the `path` parameter, which Docker requires. */
function target(svc: ContainerService, ctx: Ctx) {
  const ref = ctx.params.id!;
  const rec = svc.get(ref);
  const p = ctx.query.get('path') ?? '';
  if (p === '') throw invalidArgument('bad parameter: path cannot be empty');
  return { rec, ref, p };
}

/**
 * Reads the rest of a refused upload. Answering first would close the connection under a client
 * that is still sending (it asked for `Connection: close`), which then sees EPIPE, not our answer.
 */
function drain(req: IncomingMessage): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.once('end', resolve).once('close', resolve).once('error', resolve);
    req.resume();
  });
}

export function registerArchiveRoutes(r: Router, svc: ContainerService): void {
  // Registered before GET, which would otherwise answer HEAD too.
  r.add('HEAD', '/containers/{id}/archive', async (ctx) => {
    const { rec, ref, p } = target(svc, ctx);
    const stat = await statContainerPath(svc, rec, ref, p);
    ctx.res.setHeader(STAT_HEADER, statHeader(stat));
    sendEmpty(ctx.res, 200);
  });
  r.add('GET', '/containers/{id}/archive', async (ctx) => {
    const { rec, ref, p } = target(svc, ctx);
    try {
      await archiveContainerPath(svc, rec, ref, p, (stat) => {
        ctx.res.writeHead(200, { [STAT_HEADER]: statHeader(stat), 'Content-Type': 'application/x-tar' });
        return ctx.res;
      });
    } catch (err) {
      // The client stopped reading (`docker cp c:/ - | head`): nobody is left to tell.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw err;
    }
    ctx.res.end();
  });
  r.add('PUT', '/containers/{id}/archive', async (ctx) => {
    try {
      const { rec, ref, p } = target(svc, ctx);
      const req = { noOverwriteDirNonDir: boolParam(ctx.query, 'noOverwriteDirNonDir'), copyUIDGID: boolParam(ctx.query, 'copyUIDGID') };
      await extractToContainer(svc, rec, ref, p, ctx.req, req);
    } catch (err) {
      await drain(ctx.req);
      throw err;
    }
    sendEmpty(ctx.res, 200);
  });
}
