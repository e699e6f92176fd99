/** Docker Engine API routes for containers: one line per endpoint, the work is in containers/. */
import { conflict, invalidArgument } from '../../../lib/errors.js';
import { validateName } from '../../containers/names.js';
import { commitContainer, type ImageCommitter } from '../../containers/commit.js';
import type { ContainerConfig } from '../../containers/record.js';
import { targetRef } from '../../images/import.js';
import { familiarOf } from '../../images/reference.js';
import { userChanges } from '../../containers/changes.js';
import { createContainer, type CreateRequest } from '../../containers/create.js';
import { exportContainer } from '../../containers/export.js';
import { listContainers } from '../../containers/filter.js';
import { killContainer, pauseContainer, stopContainer, unpauseContainer, waitContainer, type WaitCondition } from '../../containers/lifecycle.js';
import { pruneContainers, removeByRequest } from '../../containers/remove.js';
import { inspectView, listView } from '../../containers/render.js';
import type { ContainerService } from '../../containers/service.js';
import { startContainer } from '../../containers/start.js';
import { check } from '../../containers/state.js';
import { topContainer } from '../../containers/top.js';
import type { ApiServer } from '../server.js';
import { boolParam, filtersParam, sendEmpty, sendJson, type Ctx } from '../router.js';
import { attachHandler } from './attach.js';
import { logsHandler } from './logs.js';

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return Number(v);
}

export function registerContainerRoutes(api: ApiServer, svc: ContainerService, imageIdOf: (ref: string) => string | undefined, images?: ImageCommitter): void {
  const r = api.router;
  if (images) {
    r.add('POST', '/commit', async (ctx) => {
      const q = ctx.query;
      const rec = svc.get(q.get('container') ?? '');
      const body = await ctx.json<Partial<ContainerConfig> | null>();
      const ref = targetRef({ repo: q.get('repo') || undefined, tag: q.get('tag') || undefined });
      const id = await commitContainer(svc, images, rec, {
        ...(ref ? { ref, refText: familiarOf(ref) } : {}),
        comment: q.get('comment') || undefined,
        author: q.get('author') || undefined,
        pause: boolParam(q, 'pause', true),
        changes: q.getAll('changes').filter(Boolean),
        config: body ?? undefined,
      });
      sendJson(ctx.res, 201, { Id: id });
    });
  }
  const get = (ctx: Ctx) => svc.get(ctx.params.id!);
  r.add('POST', '/containers/create', async (ctx) => sendJson(ctx.res, 201, await createContainer(svc, ctx.query.get('name'), await ctx.json<CreateRequest>())));
  r.add('GET', '/containers/json', async (ctx) => {
    const q = ctx.query;
    const recs = listContainers(svc, { all: boolParam(q, 'all'), limit: intParam(q, 'limit'), filters: filtersParam(q), imageIdOf });
    const size = boolParam(q, 'size');
    sendJson(ctx.res, 200, await Promise.all(recs.map((rec) => listView(svc, rec, size))));
  });
  r.add('POST', '/containers/prune', async (ctx) => {
    const f = filtersParam(ctx.query);
    const until = f.until?.[0] ? Date.parse(f.until[0]) / 1000 || Number(f.until[0]) : undefined;
    sendJson(ctx.res, 200, await pruneContainers(svc, until));
  });
  r.add('GET', '/containers/{id}/json', async (ctx) => sendJson(ctx.res, 200, await inspectView(svc, get(ctx), boolParam(ctx.query, 'size'))));
  r.add('POST', '/containers/{id}/start', async (ctx) => {
    const rec = get(ctx);
    const started = await svc.withLock(rec.Id, async () => {
      if (rec.State.Status === 'running' || rec.State.Status === 'paused') return false;
      await startContainer(svc, rec);
      return true;
    });
    sendEmpty(ctx.res, started ? 204 : 304);
  });
  r.add('POST', '/containers/{id}/stop', async (ctx) => {
    const stopped = await stopContainer(svc, get(ctx), intParam(ctx.query, 't'), ctx.query.get('signal') ?? undefined);
    sendEmpty(ctx.res, stopped ? 204 : 304);
  });
  r.add('POST', '/containers/{id}/restart', async (ctx) => {
    const rec = get(ctx);
    // Log followers keep following through the stop: a start comes right after it.
    const started = svc.expectStart(rec.Id);
    try {
      await stopContainer(svc, rec, intParam(ctx.query, 't'), ctx.query.get('signal') ?? undefined);
      await svc.withLock(rec.Id, async () => {
        if (rec.State.Status !== 'running') await startContainer(svc, rec);
      });
    } finally {
      started();
    }
    sendEmpty(ctx.res, 204);
  });
  r.add('POST', '/containers/{id}/kill', async (ctx) => {
    await killContainer(svc, get(ctx), ctx.query.get('signal') ?? undefined);
    sendEmpty(ctx.res, 204);
  });
  r.add('POST', '/containers/{id}/pause', async (ctx) => (await pauseContainer(svc, get(ctx)), sendEmpty(ctx.res, 204)));
  r.add('POST', '/containers/{id}/unpause', async (ctx) => (await unpauseContainer(svc, get(ctx)), sendEmpty(ctx.res, 204)));
  r.add('POST', '/containers/{id}/wait', async (ctx) => {
    const rec = get(ctx);
    const cond = (ctx.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw invalidArgument(`invalid condition: "${cond}"`);
    const result = waitContainer(svc, rec, cond);
    // `docker run` waits for these headers before it starts the container: send them now.
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    ctx.res.end(JSON.stringify(await result) + '\n');
  });
  r.add('DELETE', '/containers/{id}', async (ctx) => {
    await removeByRequest(svc, get(ctx), { force: boolParam(ctx.query, 'force'), volumes: boolParam(ctx.query, 'v') });
    sendEmpty(ctx.res, 204);
  });
  r.add('POST', '/containers/{id}/rename', async (ctx) => {
    const rec = get(ctx);
    const name = validateName(ctx.query.get('name') ?? '');
    await svc.withLock(rec.Id, async () => {
      check('rename', rec.State.Status, rec.Id);
      const holder = svc.nameTaken(name);
      if (holder && holder.Id !== rec.Id) throw conflict(`Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
      const old = rec.Name;
      rec.Name = `/${name}`;
      await svc.save(rec);
      svc.announce('rename', rec, { oldName: old });
    });
    sendEmpty(ctx.res, 204);
  });
  r.add('GET', '/containers/{id}/top', async (ctx) => sendJson(ctx.res, 200, await topContainer(svc, get(ctx), ctx.query.get('ps_args') || undefined)));
  r.add('GET', '/containers/{id}/changes', async (ctx) => {
    const rec = get(ctx);
    const changes = userChanges(await svc.opts.snapshots.diff(rec.Id, rec.ChainIds));
    sendJson(ctx.res, 200, changes.length ? changes : null);
  });
  r.add('GET', '/containers/{id}/logs', (ctx) => logsHandler(svc, ctx));
  r.add('GET', '/containers/{id}/export', async (ctx) => {
    await exportContainer(svc, get(ctx), ctx.res, () => ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' }));
    ctx.res.end();
  });
  api.addUpgrade('POST', '/containers/{id}/attach', attachHandler(svc));
}
