/**
 * The Docker Engine API server (the dockerd role's front door): HTTP over a unix socket,
 * version prefix checks, error translation, and upgrade ("hijack") dispatch for attach.
 *
 * Error kinds become status codes only here (ARCHITECTURE principle 5).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidArgument, kindOf, messageOf, type ErrorKind } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { Router, sendJson, type Ctx } from './router.js';
import { commonHeaders, splitVersion, versionError, versionNumber } from './version.js';

const STATUS: Record<ErrorKind, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  InvalidArgument: 400,
  FailedPrecondition: 409,
  PermissionDenied: 403,
  Unauthenticated: 401,
  NotImplemented: 501,
  Unavailable: 503,
  Expired: 410,
  Internal: 500,
};

/**
 * Handler of an upgraded connection: it owns `socket` from now on; `early` is stream input
 * that arrived with the request.
 */
export type UpgradeHandler = (ctx: Ctx, socket: Duplex, early: Buffer) => Promise<void>;

/** Reads exactly `n` bytes from a raw connection, putting back whatever came after them. */
function readBytes(socket: Duplex, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got < n) return;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      const all = Buffer.concat(chunks);
      if (all.length > n) socket.unshift(all.subarray(n));
      resolve(all.subarray(0, n));
    };
    const onEnd = () => reject(new Error('connection closed before the request body was complete'));
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}

export class ApiServer {
  readonly router = new Router();
  private upgradeRoutes: Array<{ match: Router; handler: UpgradeHandler }> = [];
  /** Hijacked connections: the HTTP server no longer tracks them, so close() must end them. */
  private hijacked = new Set<Duplex>();
  readonly http: http.Server;

  constructor() {
    this.http = http.createServer({ requestTimeout: 0, keepAliveTimeout: 5000 }, (req, res) => void this.handle(req, res));
    this.http.on('upgrade', (req, socket, head) => void this.handleUpgrade(req, socket, head));
  }

  /** Registers a route that takes over the connection (attach, exec start). */
  addUpgrade(method: string, pattern: string, handler: UpgradeHandler): void {
    this.upgradeRoutes.push({ match: new Router().add(method, pattern, async () => undefined), handler });
    // Without an Upgrade header the same route is served on the plain connection (legacy clients).
    this.router.add(method, pattern, (ctx) => handler(ctx, ctx.req.socket, Buffer.alloc(0)));
  }

  private makeCtx(req: http.IncomingMessage, res: http.ServerResponse, params: Record<string, string>, query: URLSearchParams, version: string, head?: Buffer): Ctx {
    let cached: Promise<Buffer> | undefined;
    const body = (maxBytes = 16 << 20): Promise<Buffer> =>
      (cached ??= new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = head && head.length ? [head] : [];
        let size = head?.length ?? 0;
        const want = Number(req.headers['content-length'] ?? NaN);
        if (head && !Number.isNaN(want) && size >= want) return resolve(Buffer.concat(chunks).subarray(0, want));
        req.on('data', (d: Buffer) => {
          size += d.length;
          if (size > maxBytes) {
            // Stop reading, answer 400, and close the connection once the answer is out.
            req.pause();
            req.removeAllListeners('data');
            if (!res.headersSent) res.setHeader('Connection', 'close');
            reject(invalidArgument(`request body exceeds ${maxBytes} bytes`));
            return;
          }
          chunks.push(d);
        });
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
      }));
    return {
      req,
      res,
      params,
      query,
      version: versionNumber(version),
      body,
      async json<T>() {
        const raw = (await body()).toString('utf8').trim();
        if (!raw) return {} as T;
        try {
          return JSON.parse(raw) as T;
        } catch (err) {
          throw invalidArgument(`invalid JSON: ${messageOf(err)}`);
        }
      },
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(commonHeaders)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://berth');
    const { path, version } = splitVersion(url.pathname);
    try {
      const bad = versionError(version);
      if (bad) throw invalidArgument(bad);
      const m = this.router.match(req.method ?? 'GET', path);
      if (!('handler' in m)) {
        sendJson(res, 404, { message: 'page not found' });
        return;
      }
      await m.handler(this.makeCtx(req, res, m.params, url.searchParams, version));
    } catch (err) {
      this.fail(res, err, req);
    }
  }

  private fail(res: http.ServerResponse, err: unknown, req: http.IncomingMessage): void {
    const kind = kindOf(err);
    if (kind === 'Internal') log.error('request failed', { method: req.method, url: req.url, error: messageOf(err), stack: (err as Error)?.stack });
    if (res.headersSent) {
      // A stream already started: the error can only end it.
      res.destroy();
      return;
    }
    sendJson(res, STATUS[kind], { message: messageOf(err) });
  }

  private async handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.hijacked.add(socket);
    socket.once('close', () => this.hijacked.delete(socket));
    const url = new URL(req.url ?? '/', 'http://berth');
    const { path, version } = splitVersion(url.pathname);
    const writeError = (code: number, msg: string) => {
      const body = JSON.stringify({ message: msg });
      socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    const bad = versionError(version);
    if (bad) return writeError(400, bad);
    for (const p of this.upgradeRoutes) {
      const probe = p.match.match(req.method ?? 'GET', path);
      if (!('handler' in probe)) continue;
      // A fake response object only for the Ctx shape; upgrade handlers write to the socket.
      const res = new http.ServerResponse(req);
      try {
        // The request body (exec start's options) is on the raw connection now; what follows it is stream input.
        const want = Number(req.headers['content-length'] ?? 0) || 0;
        if (want > 1 << 20) return writeError(400, 'request body too large');
        const whole = want > head.length ? Buffer.concat([head, await readBytes(socket, want - head.length)]) : head;
        await p.handler(this.makeCtx(req, res, probe.params, url.searchParams, version, whole.subarray(0, want)), socket, whole.subarray(want));
      } catch (err) {
        if (!socket.writableEnded && !socket.destroyed) writeError(STATUS[kindOf(err)], messageOf(err));
        if (kindOf(err) === 'Internal') log.error('upgrade failed', { url: req.url, error: messageOf(err) });
      }
      return;
    }
    writeError(404, 'page not found');
  }

  listen(socketPath: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(socketPath, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops listening and ends every connection, hijacked ones included. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
      for (const s of this.hijacked) s.destroy();
    });
  }
}

