/**
 * A client for one registry, for one operation (the distribution HTTP API v2; lecture concept:
 * `docker pull`/`push` speak HTTP to a registry). `connect` pings `GET /v2/` to learn the
 * scheme (HTTPS; plain HTTP only for insecure registries, after HTTPS failed, as dockerd does)
 * and the authentication challenge; `request` then adds credentials for the scopes a call
 * needs, answers a 401 with a fresh token once, and follows redirects of blob downloads
 * (registries hand those to storage or a CDN) without leaking credentials to another host.
 */
import type http from 'node:http';
import { unavailable } from '../../lib/errors.js';
import { Authorizer, type AuthConfig } from './auth.js';
import { responseError } from './errors.js';
import type { Endpoint } from './hosts.js';
import { discard, Transport, TransportError, type Body } from './transport.js';

export interface RequestOptions {
  /** Token scopes the call needs, e.g. `repository:library/busybox:pull`. */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Body;
  signal?: AbortSignal;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** `repository:<path>:<actions>`. */
export function repoScope(path: string, actions: string): string {
  return `repository:${path}:${actions}`;
}

export class RegistryClient {
  readonly transport = new Transport();
  readonly authz: Authorizer;
  private base!: URL;

  private constructor(
    readonly endpoint: Endpoint,
    auth: AuthConfig,
  ) {
    this.authz = new Authorizer(this.transport, auth, endpoint.insecure);
  }

  /** The registry's base URL (`https://registry-1.docker.io`). */
  get origin(): string {
    return this.base.origin;
  }

  /** Pings the registry and returns a client ready for requests. Unreachable: Unavailable. */
  static async connect(endpoint: Endpoint, auth: AuthConfig, signal?: AbortSignal): Promise<RegistryClient> {
    const c = new RegistryClient(endpoint, auth);
    const schemes = endpoint.insecure ? ['https', 'http'] : ['https'];
    let last: unknown;
    let lastUrl = '';
    for (const scheme of schemes) {
      const base = new URL(`${scheme}://${endpoint.host}`);
      lastUrl = new URL('/v2/', base).href;
      let res: http.IncomingMessage;
      try {
        // dockerd gives the ping 15 s: an unreachable registry fails the pull instead of hanging it.
        res = await c.transport.send({ method: 'GET', url: new URL('/v2/', base), signal, insecureTls: endpoint.insecure, timeoutMs: 15_000 });
      } catch (err) {
        last = err;
        if (err instanceof TransportError) continue; // TLS to a plain HTTP port, refused, …
        c.close();
        throw err;
      }
      discard(res);
      c.base = base;
      if (res.statusCode === 401) c.authz.setChallenge(res.headers['www-authenticate']);
      return c;
    }
    c.close();
    const why = last instanceof Error ? last.message : String(last);
    throw unavailable(`Get "${lastUrl}": ${why.replace(/^GET "[^"]*": /, '')}`);
  }

  url(path: string): URL {
    return new URL(path, this.base);
  }

  /**
   * Sends a request with credentials for `o.scopes`. Resolves with the response whatever its
   * status (callers decide what is success); a 401 is retried once with fresh credentials.
   */
  async request(method: string, target: string | URL, o: RequestOptions): Promise<http.IncomingMessage> {
    let url = typeof target === 'string' ? this.url(target) : target;
    const line = `${method[0]}${method.slice(1).toLowerCase()} "${url.href}"`;
    let retried = false;
    for (let hops = 0; ; hops++) {
      const sameOrigin = url.origin === this.base.origin;
      const headers: Record<string, string> = { ...o.headers };
      if (sameOrigin) {
        const auth = await this.authz.header(o.scopes, o.signal, line);
        if (auth) headers['Authorization'] = auth;
      }
      const res = await this.transport.send({ method, url, headers, body: o.body, signal: o.signal, insecureTls: this.endpoint.insecure });
      if (res.statusCode === 401 && sameOrigin && !retried) {
        retried = true;
        // A token may have expired, or this call needs a scope the cached one lacks.
        const before = this.authz.scheme;
        this.authz.setChallenge(res.headers['www-authenticate']);
        this.authz.invalidate(o.scopes);
        if (this.authz.scheme !== undefined && (before === 'bearer' || this.authz.scheme !== before)) {
          discard(res);
          hops--;
          continue;
        }
      }
      if (REDIRECTS.has(res.statusCode ?? 0) && (method === 'GET' || method === 'HEAD') && res.headers.location && hops < 5) {
        discard(res);
        url = new URL(res.headers.location, url);
        continue;
      }
      return res;
    }
  }

  /** `request`, then an error (with the registry's errcode) unless the status is in `ok`. */
  async expect(method: string, target: string | URL, ok: number[], o: RequestOptions): Promise<http.IncomingMessage> {
    const res = await this.request(method, target, o);
    if (!ok.includes(res.statusCode ?? 0)) throw await responseError(res);
    return res;
  }

  close(): void {
    this.transport.close();
  }
}
