/** Docker Engine API routes for containers: one line per endpoint, the work is in containers/. */
import { conflict, invalidArgument } from '../../../lib/errors.js';
import { validateName } from '../../containers/names.js';
import { userChanges } from '../../containers/changes.js';
import { createContainer, type CreateRequest } from '../../containers/create.js';
import { exportContainer } from '../../containers/export.js';
import { listContainers } from '../../containers/filter.js';
import { killContainer, pauseContainer, stopContainer, unpauseContainer, waitContainer, type WaitCondition } from '../../containers/lifecycle.js';
import { dockerTime, frame, readLog, followLog } from '../../containers/logs.js';
import { pruneContainers, removeByRequest } from '../../containers/remove.js';
import { inspectView, listView } from '../../containers/render.js';
import type { ContainerService } from '../../containers/service.js';
import { startContainer } from '../../containers/start.js';
import { check } from '../../containers/state.js';
import { topContainer } from '../../containers/top.js';
import type { ApiServer } from '../server.js';
import { boolParam, filtersParam, sendEmpty, sendJson, type Ctx } from '../router.js';
import { streamContentType } from '../../attach/hijack.js';
import { attachHandler } from './attach.js';

function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (!v || v === '0') return undefined;
  const n = Number(v);
  if (Number.isNaN(n)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return n;
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return Number(v);
}

async function logs(svc: ContainerService, ctx: Ctx): Promise<void> {
  const rec = svc.get(ctx.params.id!);
  const q = ctx.query;
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  const tailRaw = q.get('tail');
  const tail = !tailRaw || tailRaw === 'all' ? undefined : Math.max(0, parseInt(tailRaw, 10) || 0);
  const timestamps = boolParam(q, 'timestamps');
  const tty = !!rec.Config.Tty;
  const file = svc.store.dirs.logFile(rec.Id);
  const { entries, offset } = await readLog(file, { stdout, stderr, since: timeParam(q, 'since'), until: timeParam(q, 'until'), tail });
  ctx.res.writeHead(200, { 'Content-Type': streamContentType(tty, ctx.version) });
  const write = (e: { time: string; stream: 'stdout' | 'stderr'; data: Buffer }) => {
    if ((e.stream === 'stdout' && !stdout) || (e.stream === 'stderr' && !stderr)) return;
    const data = timestamps ? Buffer.concat([Buffer.from(`${dockerTime(e.time)} `), e.data]) : e.data;
    ctx.res.write(tty ? data : frame(e.stream, data));
  };
  entries.forEach(write);
  const live = ['running', 'paused', 'restarting', 'created'].includes(rec.State.Status);
  if (!boolParam(q, 'follow') || !live || timeParam(q, 'until') !== undefined) return void ctx.res.end();
  ctx.res.flushHeaders();
  const follower = followLog(file, offset, write);
  await new Promise<void>((resolve) => {
    const done = (id?: string) => {
      if (id !== undefined && id !== rec.Id) return;
      svc.off('exit', done);
      svc.off('destroy', done);
      resolve();
    };
    svc.on('exit', done);
    svc.on('destroy', done);
    ctx.res.on('close', () => done());
  });
  await follower.stop();
  ctx.res.end();
}

export function registerContainerRoutes(api: ApiServer, svc: ContainerService, imageIdOf: (ref: string) => string | undefined): void {
  const r = api.router;
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
    await stopContainer(svc, rec, intParam(ctx.query, 't'), ctx.query.get('signal') ?? undefined);
    await svc.withLock(rec.Id, async () => {
      if (rec.State.Status !== 'running') await startContainer(svc, rec);
    });
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
  r.add('GET', '/containers/{id}/logs', (ctx) => logs(svc, ctx));
  r.add('GET', '/containers/{id}/export', async (ctx) => {
    await exportContainer(svc, get(ctx), ctx.res, () => ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' }));
    ctx.res.end();
  });
  api.addUpgrade('POST', '/containers/{id}/attach', attachHandler(svc));
}
