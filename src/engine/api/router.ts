/**
 * A small router for the Docker Engine API.
 *
 * Routes are written without the `/vX.Y` prefix; the server strips and checks the version
 * before dispatch. Patterns use `{name}` for one path segment and `{name*}` for a greedy
 * match across slashes (image names such as `localhost:5000/ns/app` contain them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument } from '../../lib/errors.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (the maximum when unversioned), e.g. 1.44. */
  version: number;
  /** Reads the whole request body (bounded by `maxBytes`, default 16 MiB). */
  body(maxBytes?: number): Promise<Buffer>;
  /** Reads and parses a JSON body; an empty body gives `{}`; bad JSON is InvalidArgument. */
  json<T = Record<string, unknown>>(): Promise<T>;
}

export type Handler = (ctx: Ctx) => Promise<void>;

interface Route {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

export class Router {
  private routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const src = pattern.replace(/[.]/g, '\\.').replace(/\{(\w+)(\*?)\}/g, (_, key: string, greedy: string) => {
      keys.push(key);
      return greedy ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ method, re: new RegExp(`^${src}$`), keys, handler });
    return this;
  }

  /** Finds the handler for `method` and `path`; `methodMismatch` tells a 405 from a 404. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | { methodMismatch: boolean } {
    let methodMismatch = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) {
        methodMismatch = true;
        continue;
      }
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
      return { handler: r.handler, params };
    }
    return { methodMismatch };
  }
}

/** Writes a JSON response with exactly `Content-Type: application/json` (the docker CLI requires it). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Ends a response with a status and no body (204, 304, 201 without content). */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** Boolean query parameters as Docker reads them: 1/true/True are true, 0/false/empty are false. */
export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  if (['1', 'true', 'True', 'TRUE', 'yes'].includes(v)) return true;
  if (['', '0', 'false', 'False', 'FALSE', 'no'].includes(v)) return false;
  throw invalidArgument(`invalid value for ${name}: ${v}`);
}

/** Parses Docker's `filters` query parameter (`{"key":["v"]}` or the legacy `{"key":{"v":true}}`). */
export function filtersParam(q: URLSearchParams): Record<string, string[]> {
  const raw = q.get('filters');
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid filter '${raw}'`);
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]);
    else throw invalidArgument(`invalid filter '${k}'`);
  }
  return out;
}
