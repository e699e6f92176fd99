/**
 * HTTP(S) for one registry operation (the transport under the distribution client): pooled
 * keep-alive connections, an idle timeout so a stalled registry cannot hang a pull, request
 * bodies that can be sent again (a 401 answered with a fresh token replays the request), and
 * cancellation through an AbortSignal. Certificates are checked unless the caller asks
 * otherwise (only for insecure registries, see hosts.ts).
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { invalidArgument, unavailable } from '../../lib/errors.js';

export const USER_AGENT = 'berth/0.1.0 (linux)';

/** No bytes for this long on a connection: the registry is treated as gone. */
const IDLE_TIMEOUT_MS = 60_000;

/** A request body: bytes, or a function producing a fresh stream (so it can be replayed). */
export type Body = Buffer | (() => Readable);

export interface SendOptions {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Body;
  signal?: AbortSignal;
  /** Skip certificate verification (insecure registries only). */
  insecureTls?: boolean;
  /** Inactivity limit (connecting included); 60 s unless given. */
  timeoutMs?: number;
}

/** A connection-level failure (refused, reset, TLS, timeout): worth a retry or another scheme. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly insecureAgent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });

  /** Sends one request; resolves with the response (any status) once its headers arrived. */
  send(o: SendOptions): Promise<http.IncomingMessage> {
    const secure = o.url.protocol === 'https:';
    if (!secure && o.url.protocol !== 'http:') return Promise.reject(invalidArgument(`unsupported URL scheme in ${o.url.href}`));
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...o.headers };
    if (Buffer.isBuffer(o.body)) headers['Content-Length'] = String(o.body.length);
    const agent = secure ? (o.insecureTls ? this.insecureAgent : this.httpsAgent) : this.httpAgent;
    const mod = secure ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(o.url, { method: o.method, headers, agent, signal: o.signal });
      req.setTimeout(o.timeoutMs ?? IDLE_TIMEOUT_MS, () => req.destroy(new TransportError(`${o.method} ${o.url.href}: timeout`, 'ETIMEDOUT')));
      req.on('response', (res) => {
        // The same idle limit applies while the body streams.
        res.socket?.setTimeout(IDLE_TIMEOUT_MS);
        resolve(res);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (o.signal?.aborted) reject(unavailable('operation cancelled'));
        else if (err instanceof TransportError) reject(err);
        else reject(new TransportError(`${o.method} "${o.url.href}": ${err.message}`, err.code));
      });
      if (o.body === undefined) req.end();
      else if (Buffer.isBuffer(o.body)) req.end(o.body);
      else {
        const src = o.body();
        src.on('error', (err) => req.destroy(err));
        src.pipe(req);
      }
    });
  }

  /** Drops every pooled connection. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.insecureAgent.destroy();
  }
}

/** Reads a whole (small) response body; more than `max` bytes is an error. */
export async function readBody(res: http.IncomingMessage, max = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > max) {
      res.destroy();
      throw invalidArgument(`response from ${res.url || 'registry'} is larger than ${max} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Discards a response body so its connection can be reused. */
export function discard(res: http.IncomingMessage): void {
  res.resume();
}
