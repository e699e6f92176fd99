/**
 * The `berth` CLI's HTTP client for the Docker Engine API (the role of moby's client package):
 * requests over the daemon's unix socket (or tcp), versioned paths (`/v1.44/...`), docker's
 * error wording (`Error response from daemon: …`, `Cannot connect to the … daemon`), streamed
 * bodies for pulls/loads/logs, and the `Upgrade: tcp` hijack used by attach.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';

/** Where the CLI looks for the daemon when neither `-H` nor `BERTH_HOST` is given. */
export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';
/** The Engine API version the CLI speaks (the daemon accepts 1.24 … 1.44). */
export const API_VERSION = '1.44';

/** A query value: `true` is sent as `1`, false/undefined/null are omitted, arrays repeat. */
export type QueryValue = string | number | boolean | undefined | null | readonly string[];

/** Options of one API call. */
export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** A Buffer/string/Readable is sent as is; any other value is sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A buffered API response. */
export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = unknown>(): T;
}

/** An error status from the daemon; `message` is docker's `Error response from daemon: …`. */
export class DaemonError extends Error {
  constructor(
    readonly status: number,
    readonly daemonMessage: string,
    message = `Error response from daemon: ${daemonMessage}`,
  ) {
    super(message);
  }
}

/** The daemon could not be reached at all. */
export class ConnectError extends Error {}

type Target = { socketPath: string } | { host: string; port: number };

/** Parses `unix:///path` or `tcp://host:port` as docker's `-H` does. */
export function parseHost(host: string): Target {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath) throw new Error(`unable to parse daemon host: ${host}`);
    return { socketPath };
  }
  if (host.startsWith('tcp://')) {
    const u = new URL(`http://${host.slice('tcp://'.length)}`);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 2375) };
  }
  throw new Error(`unable to parse daemon host \`${host}\`: only unix:// and tcp:// are supported`);
}

/** Encodes a query object the way the Go client's url.Values does. */
export function encodeQuery(query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === false) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, v === true ? '1' : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Escapes an object name for a URL path, keeping `/`, `:` and `@` of image references. */
export function escapePath(name: string): string {
  return encodeURIComponent(name).replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%40/g, '@');
}

/** A client bound to one daemon address. */
export class ApiClient {
  private readonly target: Target;

  constructor(
    readonly host: string = DEFAULT_HOST,
    readonly version: string = API_VERSION,
  ) {
    this.target = parseHost(host);
  }

  /** The request path with the version prefix and query string. */
  url(path: string, query?: Record<string, QueryValue>): string {
    return `/v${this.version}${path}${encodeQuery(query)}`;
  }

  /** Sends a request and buffers the whole response; throws DaemonError for status ≥ 400. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const res = await this.stream(method, path, opts);
    const body = await readAll(res);
    return {
      status: res.statusCode ?? 0,
      headers: res.headers,
      body,
      json: <T>() => JSON.parse(body.toString('utf8') || 'null') as T,
    };
  }

  /**
   * Sends a request and resolves as soon as the response headers arrive (wait, pull, logs);
   * the caller reads the body. Throws DaemonError for status ≥ 400.
   */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const req = this.newRequest(method, path, opts);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', (err) => reject(this.connectError(err)));
      sendBody(req, opts.body, reject);
    });
    if ((res.statusCode ?? 0) >= 400) throw await daemonError(res, this.url(path, opts.query));
    return res;
  }

  /**
   * Hijacks a connection (`Connection: Upgrade`, `Upgrade: tcp`): resolves with the raw
   * socket after a `101` answer, bytes after the headers included. Any other answer fails,
   * as it does for docker (`unable to upgrade to tcp, received 200`).
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<Socket> {
    const req = this.newRequest(method, path, {
      ...opts,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp', ...opts.headers },
    });
    return new Promise<Socket>((resolve, reject) => {
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) daemonError(res, this.url(path, opts.query)).then(reject, reject);
        else {
          res.resume();
          reject(new Error(`unable to upgrade to tcp, received ${status}`));
        }
      });
      req.on('error', (err) => reject(this.connectError(err)));
      sendBody(req, opts.body, reject);
    });
  }

  private newRequest(method: string, path: string, opts: RequestOptions): http.ClientRequest {
    const headers: Record<string, string> = { 'User-Agent': 'Berth-Client/0.1.0 (linux)', ...opts.headers };
    const b = opts.body;
    if (b !== undefined && !(b instanceof Readable) && !Buffer.isBuffer(b) && typeof b !== 'string') {
      headers['Content-Type'] ??= 'application/json';
    }
    // No agent: every call gets its own connection, so a held `wait` never blocks `start`
    // and no idle keep-alive socket keeps the process alive after the command.
    return http.request({ ...this.target, method, path: this.url(path, opts.query), headers, agent: false });
  }

  private connectError(err: NodeJS.ErrnoException): Error {
    if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      return new ConnectError(`Cannot connect to the Berth daemon at ${this.host}. Is the berth daemon running?`);
    }
    if (err.code === 'EACCES') {
      return new ConnectError(
        `permission denied while trying to connect to the Berth daemon socket at ${this.host}: ${err.message}`,
      );
    }
    return err;
  }
}

function sendBody(req: http.ClientRequest, body: unknown, reject: (e: Error) => void): void {
  if (body === undefined) req.end();
  else if (body instanceof Readable) {
    body.on('error', reject);
    body.pipe(req);
  } else if (Buffer.isBuffer(body) || typeof body === 'string') req.end(body);
  else req.end(JSON.stringify(body));
}

/** Reads a whole stream into one Buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

async function daemonError(res: http.IncomingMessage, url: string): Promise<Error> {
  const status = res.statusCode ?? 0;
  const text = (await readAll(res)).toString('utf8');
  if (!text) {
    const msg = `request returned ${http.STATUS_CODES[status] ?? status} for API route and version ${url}, check if the server supports the requested API version`;
    return new DaemonError(status, msg, msg);
  }
  let message = text.trim();
  if ((res.headers['content-type'] ?? '').startsWith('application/json')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string' && parsed.message) message = parsed.message.trim();
    } catch {
      // Not JSON after all: the raw text is the most useful message.
    }
  }
  return new DaemonError(status, message);
}
