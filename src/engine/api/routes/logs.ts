/**
 * `GET /containers/{id}/logs`: the query parameters and the HTTP side (headers, back-pressure,
 * the client going away); the reading, encoding and following are in containers/logstream.ts.
 */
import type { ServerResponse } from 'node:http';
import { invalidArgument } from '../../../lib/errors.js';
import { streamLogs } from '../../containers/logstream.js';
import type { ContainerService } from '../../containers/service.js';
import { boolParam, type Ctx } from '../router.js';
import { streamContentType } from '../../attach/hijack.js';
import { waitDrain } from '../../../lib/drain.js';

/** `since`/`until`: unix seconds with an optional fraction; absent or 0 means no bound. */
function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (!v || v === '0') return undefined;
  const n = Number(v);
  if (Number.isNaN(n)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return n;
}

/** Resolves when `res` can take more output, or at once if the client has gone. */
function writable(res: ServerResponse, chunk: Buffer): void | Promise<void> {
  if (res.write(chunk) || res.destroyed) return;
  return waitDrain(res);
}

export async function logsHandler(svc: ContainerService, ctx: Ctx): Promise<void> {
  const rec = svc.get(ctx.params.id!);
  const q = ctx.query;
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  const tailRaw = q.get('tail');
  const tail = !tailRaw || tailRaw === 'all' ? undefined : Math.max(0, parseInt(tailRaw, 10) || 0);
  const tty = !!rec.Config.Tty;
  const req = {
    stdout,
    stderr,
    since: timeParam(q, 'since'),
    until: timeParam(q, 'until'),
    tail,
    timestamps: boolParam(q, 'timestamps'),
    raw: tty,
    follow: boolParam(q, 'follow'),
  };
  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': streamContentType(tty, ctx.version) });
  // A follower may wait long for output; the client must see the answer start now.
  res.flushHeaders();
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.on('close', onClose);
  try {
    await streamLogs(svc, rec, req, { write: (chunk) => writable(res, chunk), signal: gone.signal });
  } finally {
    res.off('close', onClose);
  }
  res.end();
}
