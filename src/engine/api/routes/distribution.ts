/**
 * Docker Engine API routes that talk to registries: pull (`POST /images/create?fromImage=`),
 * push (`POST /images/{name}/push`) and the login check (`POST /auth`). Pull and push answer
 * with Docker's JSON progress stream (notes §3.4). As in dockerd, the 200 and the stream start
 * only with the first message: a failure before it (unknown manifest, denied, unreachable
 * registry) is a plain HTTP error with its status; after it, an in-stream `errorDetail`.
 * A client that hangs up cancels the transfer.
 */
import type { ServerResponse } from 'node:http';
import { kindOf, messageOf } from '../../../lib/errors.js';
import { log } from '../../../lib/log.js';
import { decodeAuthHeader, normalizeAuth } from '../../registry/auth.js';
import type { JsonMessage } from '../../registry/progress.js';
import { RegistryService } from '../../registry/service.js';
import { sendJson, type Ctx, type Router } from '../router.js';

/** A JSON message stream whose headers go out with the first message. */
class LazyStream {
  started = false;
  constructor(private readonly res: ServerResponse) {}

  readonly send = (msg: JsonMessage): void => {
    if (this.res.destroyed) return;
    if (!this.started) {
      this.started = true;
      this.res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    this.res.write(`${JSON.stringify(msg)}\r\n`);
  };
}

/** An AbortSignal that fires when the client goes away before the response is complete. */
function hangupSignal(ctx: Ctx): AbortSignal {
  const ac = new AbortController();
  ctx.res.on('close', () => {
    if (!ctx.res.writableFinished) ac.abort();
  });
  return ac.signal;
}

/** Runs a streamed registry operation with dockerd's error placement (see file header). */
async function streamed(ctx: Ctx, what: string, op: (send: (m: JsonMessage) => void, signal: AbortSignal) => Promise<void>): Promise<void> {
  ctx.req.resume(); // no request body is expected; never leave one unread
  const stream = new LazyStream(ctx.res);
  try {
    await op(stream.send, hangupSignal(ctx));
  } catch (err) {
    if (!stream.started) throw err;
    if (kindOf(err) === 'Internal') log.error(`${what} failed`, { url: ctx.req.url, error: messageOf(err), stack: (err as Error)?.stack });
    const message = messageOf(err);
    stream.send({ errorDetail: { message }, error: message });
  }
  ctx.res.end();
}

/** The `POST /images/create?fromImage=` handler (the image routes own the path and call this). */
export function pullHandler(registry: RegistryService): (ctx: Ctx) => Promise<void> {
  return (ctx) => {
    const q = ctx.query;
    const ref = RegistryService.pullReference(q.get('fromImage')!, q.get('tag') || undefined);
    const auth = decodeAuthHeader(ctx.req.headers['x-registry-auth']);
    const platform = q.get('platform') || undefined;
    return streamed(ctx, 'pull', (send, signal) => registry.pull(ref, { auth, signal, ...(platform ? { platform: platformOf(platform) } : {}) }, send));
  };
}

/** `platform` is `os/arch[/variant]`, or its JSON form `{"os":…,"architecture":…}` (API ≥ 1.46 push). */
function platformOf(raw: string): string {
  if (!raw.startsWith('{')) return raw;
  try {
    const p = JSON.parse(raw) as { os?: string; architecture?: string; variant?: string };
    return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  } catch {
    return raw;
  }
}

export function registerDistributionRoutes(r: Router, registry: RegistryService): void {
  r.add('POST', '/images/{name*}/push', async (ctx) => {
    const auth = decodeAuthHeader(ctx.req.headers['x-registry-auth']);
    const tag = ctx.query.get('tag') || undefined;
    await streamed(ctx, 'push', (send, signal) => registry.push(ctx.params.name!, tag, { auth, signal }, send));
  });

  r.add('POST', '/auth', async (ctx) => {
    const auth = normalizeAuth(await ctx.json<Record<string, unknown>>());
    sendJson(ctx.res, 200, await registry.login(auth, hangupSignal(ctx)));
  });
}
