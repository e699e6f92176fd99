/**
 * Docker Engine API routes for exec (`POST /containers/{id}/exec`, `POST /exec/{id}/start`,
 * `GET /exec/{id}/json`, `POST /exec/{id}/resize`) and for resizing a container's terminal.
 */
import type { Duplex } from 'node:stream';
import { conflict, invalidArgument, messageOf } from '../../../lib/errors.js';
import { connectAttach } from '../../../host/seqpacket.js';
import { parseDetachKeys } from '../../../lib/detach-keys.js';
import { beginStream, outputWriter, readInput } from '../../attach/hijack.js';
import type { ContainerService } from '../../containers/service.js';
import type { ExecRequest, ExecService } from '../../exec/service.js';
import type { ApiServer } from '../server.js';
import { sendEmpty, sendJson, type Ctx } from '../router.js';

function sizeParams(q: URLSearchParams): { h: number; w: number } {
  const h = Number(q.get('h') ?? NaN);
  const w = Number(q.get('w') ?? NaN);
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw invalidArgument(`invalid terminal size: h=${q.get('h')} w=${q.get('w')}`);
  return { h, w };
}

async function jsonBody<T>(ctx: Ctx): Promise<T> {
  const raw = (await ctx.body()).toString();
  if (!raw.trim()) return {} as T;
  try {
    return JSON.parse(raw) as T;
  } catch (err) {
    throw invalidArgument(`invalid JSON body: ${messageOf(err)}`);
  }
}

function execStart(execs: ExecService) {
  return async (ctx: Ctx, socket: Duplex, early: Buffer): Promise<void> => {
    const e = execs.get(ctx.params.id!);
    const body = await jsonBody<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>(ctx);
    const upgraded = /upgrade/i.test(String(ctx.req.headers.connection ?? ''));
    if (body.Detach) {
      const handle = await execs.start(e, false, body.ConsoleSize);
      await handle.started.catch((err: Error) => {
        throw conflict(`OCI runtime exec failed: ${err.message}: unknown`);
      });
      if (upgraded) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      else sendEmpty(ctx.res, 200);
      return;
    }
    const keys = parseDetachKeys(e.config.DetachKeys);
    const tty = !!e.config.Tty;
    const handle = await execs.start(e, true, body.ConsoleSize);
    beginStream(ctx, socket, tty);
    const write = outputWriter(socket, tty);
    const attachFailed = await handle.attachReady.then(() => undefined, (err: Error) => err.message);
    const conn = attachFailed
      ? undefined
      : await connectAttach(e.dir, (stream, data) => {
          if (stream === 'stdout' ? e.config.AttachStdout : e.config.AttachStderr) write(stream, data);
        });
    handle.go();
    const failure = await handle.started.then(() => attachFailed, (err: Error) => err.message);
    if (failure) write('stdout', Buffer.from(`OCI runtime exec failed: ${failure}: unknown\r\n`));
    await new Promise<void>((resolve) => {
      socket.once('close', resolve);
      if (conn && e.config.AttachStdin)
        readInput(socket, early, keys, { data: (d) => conn.write(d), end: () => conn.end(), detach: resolve });
      void Promise.all([e.done, conn?.closed]).then(() => resolve());
    });
    conn?.close();
    if (!socket.destroyed) socket.end();
  };
}

export function registerExecRoutes(api: ApiServer, svc: ContainerService, execs: ExecService): void {
  const r = api.router;
  r.add('POST', '/containers/{id}/exec', async (ctx) => {
    const e = execs.create(ctx.params.id!, await jsonBody<ExecRequest>(ctx));
    sendJson(ctx.res, 201, { Id: e.id });
  });
  api.addUpgrade('POST', '/exec/{id}/start', execStart(execs));
  r.add('GET', '/exec/{id}/json', async (ctx) => sendJson(ctx.res, 200, execs.inspect(execs.get(ctx.params.id!))));
  r.add('POST', '/exec/{id}/resize', async (ctx) => {
    const { h, w } = sizeParams(ctx.query);
    await execs.resize(execs.get(ctx.params.id!), h, w);
    sendEmpty(ctx.res, 200);
  });
  r.add('POST', '/containers/{id}/resize', async (ctx) => {
    const rec = svc.get(ctx.params.id!);
    const { h, w } = sizeParams(ctx.query);
    if (rec.State.Status !== 'running' && rec.State.Status !== 'paused') throw conflict(`Container ${rec.Id} is not running`);
    await svc.opts.runtime.resize(svc.bundleDir(rec.Id), h, w);
    sendEmpty(ctx.res, 200);
  });
}
