/**
 * Picks the store from `berth server --datastore-endpoint` (k3s's flag and forms): nothing or
 * `sqlite://[path]` for the embedded SQLite file, `etcd://host:port[,host:port…]` or
 * `http(s)://host:port[,…]` for an etcd cluster, https with certificate files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../../lib/errors.js';
import type { StorageBackend } from './backend.js';
import { EtcdBackend } from './etcd/backend.js';
import { SqliteBackend } from './sqlite/backend.js';

export interface DatastoreOptions {
  /** Where the embedded store lives when the endpoint names no file. */
  dataDir: string;
  /** PEM files for an https etcd: its CA (default: the system's roots), and a client certificate and key if it asks for one. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Opens the store the endpoint names. InvalidArgument for an endpoint of no known form. */
export function openStorage(endpoint: string | undefined, opts: DatastoreOptions): StorageBackend {
  if (!endpoint || endpoint.startsWith('sqlite://')) {
    const path = endpoint?.slice('sqlite://'.length);
    return new SqliteBackend(path || join(opts.dataDir, 'db', 'state.db'));
  }
  const m = /^(etcd|http|https):\/\/(.+)$/.exec(endpoint);
  if (!m) throw invalidArgument(`datastore endpoint "${endpoint}" is neither sqlite://[path] nor etcd://, http:// or https://host:port`);
  const secure = m[1] === 'https' || (m[1] === 'etcd' && opts.caFile !== undefined);
  const endpoints = m[2]!.split(',').map((h) => `${secure ? 'https' : 'http'}://${h.replace(/^(https?|etcd):\/\//, '').replace(/\/+$/, '')}`);
  // https without a CA file trusts the system's roots (etcd3 asks gRPC for TLS on https hosts).
  const tls = secure && opts.caFile ? {
    ca: readFileSync(opts.caFile!),
    cert: opts.certFile ? readFileSync(opts.certFile) : undefined,
    key: opts.keyFile ? readFileSync(opts.keyFile) : undefined,
  } : undefined;
  return new EtcdBackend({ endpoints, tls });
}
