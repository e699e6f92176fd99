/**
 * The registry server (`berth registry serve`): routes the OCI Distribution API's URLs to
 * their handlers over HTTP or HTTPS, applies basic authentication when configured, and turns
 * every failure into the spec's error body. Like Berth's other components it exposes
 * `start(signal)` and a `ready` promise; only the entry point decides when to start it.
 */
import fs from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { log } from '../lib/log.js';
import { authenticate, Htpasswd } from './auth.js';
import { deleteBlob, getBlob } from './blobs.js';
import { regErr, toRegistryError } from './errors.js';
import { sendError, sendJson, type Ctx, type Handler } from './http.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import { checkName } from './names.js';
import { listReferrers } from './referrers.js';
import { RegistryStorage } from './storage.js';
import { listCatalog, listTags } from './tags.js';
import { cancelUpload, finishUpload, patchUpload, startUpload, UploadManager, uploadStatus } from './uploads.js';

export interface RegistryOptions {
  /** `HOST:PORT`, `[V6]:PORT` or `:PORT`; port 0 picks a free one (see `ready`). */
  addr: string;
  root: string;
  htpasswd?: string;
  tlsCert?: string;
  tlsKey?: string;
}

interface Route {
  /** Group 1 is the repository name when `repo` is set, group 2 the last parameter. */
  re: RegExp;
  repo?: true;
  methods: Partial<Record<string, Handler>>;
}

/**
 * Repository names contain slashes, so each pattern anchors on what follows the name; the
 * uploads patterns come before the blob pattern that would also match them.
 */
const ROUTES: Route[] = [
  { re: /^\/v2\/(.+)\/blobs\/uploads\/?$/, repo: true, methods: { POST: startUpload } },
  { re: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, repo: true, methods: { GET: uploadStatus, PATCH: patchUpload, PUT: finishUpload, DELETE: cancelUpload } },
  { re: /^\/v2\/(.+)\/blobs\/([^/]+)$/, repo: true, methods: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob } },
  { re: /^\/v2\/(.+)\/manifests\/([^/]+)$/, repo: true, methods: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest } },
  { re: /^\/v2\/(.+)\/tags\/list$/, repo: true, methods: { GET: listTags } },
  { re: /^\/v2\/(.+)\/referrers\/([^/]+)$/, repo: true, methods: { GET: listReferrers } },
  { re: /^\/v2\/_catalog$/, methods: { GET: listCatalog } },
  { re: /^\/v2\/?$/, methods: { GET: apiCheck, HEAD: apiCheck } },
];

/** `GET /v2/`: "this is a v2 registry, and your credentials (if any are needed) are good". */
async function apiCheck(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, {});
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Splits `--addr` into host and port. */
export function parseAddr(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new Error(`invalid address "${addr}": expected HOST:PORT`);
  return { host: m[1] ?? (m[2] || undefined), port };
}

export class RegistryServer {
  /** Resolves with the base URL (`http://127.0.0.1:5000`) once listening; rejects if start fails. */
  readonly ready: Promise<string>;
  private resolveReady!: (url: string) => void;
  private rejectReady!: (err: unknown) => void;

  constructor(private readonly opts: RegistryOptions) {
    this.ready = new Promise((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined);
  }

  /** Serves until `signal` aborts, then stops accepting, drops connections and cancels uploads. */
  async start(signal: AbortSignal): Promise<void> {
    let server: http.Server;
    let ctx: Pick<Ctx, 'storage' | 'uploads'>;
    let users: Htpasswd | undefined;
    try {
      const { host, port } = parseAddr(this.opts.addr);
      if (Boolean(this.opts.tlsCert) !== Boolean(this.opts.tlsKey)) throw new Error('--tls-cert and --tls-key must be given together');
      if (this.opts.htpasswd) {
        users = await Htpasswd.load(this.opts.htpasswd);
        for (const u of users.unsupported) log.warn(`registry: htpasswd entry skipped: ${u}`);
        if (users.size === 0) log.warn('registry: the htpasswd file has no usable entry; every request will be refused');
      }
      const storage = await RegistryStorage.open(this.opts.root);
      ctx = { storage, uploads: new UploadManager(storage) };
      const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res, ctx, users);
      // No request timeout: a large layer over a slow link legitimately takes long.
      const serverOpts = { requestTimeout: 0, headersTimeout: 60_000 };
      server = this.opts.tlsCert
        ? https.createServer({ ...serverOpts, cert: await fs.readFile(this.opts.tlsCert), key: await fs.readFile(this.opts.tlsKey!) }, handler)
        : http.createServer(serverOpts, handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const a = server.address() as AddressInfo;
      const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      this.resolveReady(`${this.opts.tlsCert ? 'https' : 'http'}://${shown}:${a.port}`);
    } catch (err) {
      this.rejectReady(err);
      throw err;
    }
    if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections();
    await closed;
    await ctx.uploads.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, services: Pick<Ctx, 'storage' | 'uploads'>, users?: Htpasswd): Promise<void> {
    const started = Date.now();
    res.once('finish', () => log.debug(`registry: ${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    try {
      const url = new URL(req.url ?? '/', 'http://registry.invalid');
      if (users) {
        const denied = authenticate(users, req);
        if (denied) throw denied;
      }
      const route = ROUTES.find((r) => r.re.test(url.pathname));
      if (!route) throw regErr('UNSUPPORTED', `no such endpoint: ${req.method} ${url.pathname}`, undefined, 404);
      const handler = route.methods[req.method ?? ''];
      if (!handler) {
        throw regErr('UNSUPPORTED', `${req.method} is not supported on ${url.pathname}`).with({ Allow: Object.keys(route.methods).join(', ') });
      }
      const m = route.re.exec(url.pathname)!;
      const [name, param] = route.repo ? [checkName(m[1]!), decode(m[2] ?? '')] : ['', ''];
      await handler({ req, res, url, name, param, ...services });
    } catch (err) {
      const e = toRegistryError(err);
      if (e.status >= 500) log.error(`registry: ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      sendError(res, e);
    }
  }
}
