/**
 * Small HTTP helpers shared by the registry's handlers: the request context, responses with
 * the headers every registry response carries, error bodies, and bounded body reading.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { regErr, RegistryError } from './errors.js';
import type { RegistryStorage } from './storage.js';
import type { UploadManager } from './uploads.js';

/** What a handler gets: the request, its parsed URL and path parameters, and the services. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Repository name (validated), empty for `/v2/` and `/v2/_catalog`. */
  name: string;
  /** The path's last parameter: digest, reference or upload id. */
  param: string;
  storage: RegistryStorage;
  uploads: UploadManager;
}

export type Handler = (ctx: Ctx) => Promise<void>;

/** Sent on every response: how clients recognise a v2 registry. */
export const API_VERSION = { 'Docker-Distribution-API-Version': 'registry/2.0' } as const;

/** Writes a complete response; `Content-Length` is the body's unless the headers say otherwise. */
export function send(res: ServerResponse, status: number, headers: Record<string, string | number> = {}, body?: string | Buffer): void {
  const buf = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  // RFC 9110: no Content-Length on 204 and, to avoid claiming a length, none on 304 either.
  const length = status === 204 || status === 304 ? {} : { 'Content-Length': buf?.length ?? 0 };
  res.writeHead(status, { ...API_VERSION, ...length, ...headers });
  res.end(buf);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | number> = {}): void {
  send(res, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
}

/**
 * Sends a registry error. A request body that was not read is drained by Node after the
 * response (keeping the connection usable); closing instead would reset the connection and
 * could destroy the error response before the client reads it.
 */
export function sendError(res: ServerResponse, err: RegistryError): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  sendJson(res, err.status, err.body(), err.headers);
}

/** True when the request announces a body. */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads the whole body, refusing more than `limit` bytes with 413 SIZE_INVALID. The rest of
 * an oversized body is read and dropped rather than left unread, so the 413 reaches the client.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('close', () => req.readableEnded || reject(regErr('UNKNOWN', 'request aborted', undefined, 400)));
    req.once('end', () => {
      if (size > limit) reject(regErr('SIZE_INVALID', `request body exceeds the limit of ${limit} bytes`, { limit }, 413));
      else resolve(Buffer.concat(chunks));
    });
  });
}

/** Media types from every `Accept` header, parameters and blanks dropped. */
export function acceptedTypes(req: IncomingMessage): Set<string> {
  const raw = req.headersDistinct['accept'] ?? [];
  const out = new Set<string>();
  for (const h of raw) for (const part of h.split(',')) {
    const t = part.split(';')[0]!.trim().toLowerCase();
    if (t) out.add(t);
  }
  return out;
}

/** `/v2/<name>/<rest>` with the name's components escaped only where needed. */
export function repoPath(name: string, rest: string): string {
  return `/v2/${name}/${rest}`;
}
