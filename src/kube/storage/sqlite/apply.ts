/**
 * The writes of the embedded store, each applied inside the writer's open transaction: check the
 * key's newest row, then append one row to the log whose id is the next revision (kine's scheme).
 * A write that fails its check throws a BerthError before touching the file, so the other writes
 * of the same transaction are unaffected.
 */
import { alreadyExists, conflict, invalidArgument, notFound } from '../../../lib/errors.js';
import type { KeyValue, LeaseId, WatchEvent } from '../backend.js';
import type { LogDb, Row } from './db.js';

export type Op =
  | { kind: 'create'; key: string; value: Buffer; lease?: LeaseId }
  | { kind: 'update'; key: string; value: Buffer; expected: number; lease?: LeaseId }
  | { kind: 'delete'; key: string; expected?: number }
  | { kind: 'compact'; revision: number }
  | { kind: 'grant'; ttlSeconds: number }
  | { kind: 'revoke'; id: LeaseId; quiet?: boolean };

/** The writer's state that outlives one transaction. */
export interface Counters {
  /** The newest revision written. */
  revision: number;
  /** History before this revision is gone. */
  compacted: number;
}

const EMPTY = Buffer.alloc(0);

/** The state a row leaves the key in (a PUT row). */
export function rowKv(r: Row): KeyValue {
  const kv: KeyValue = { key: r[1], value: r[7] ?? EMPTY, createRevision: r[4], modRevision: r[0] };
  if (r[6]) kv.lease = String(r[6]);
  return kv;
}

/** The key's state just before the row's write, if it existed. */
function rowPrev(r: Row): KeyValue | undefined {
  if (r[2]) return undefined;
  return { key: r[1], value: r[8] ?? EMPTY, createRevision: r[4], modRevision: r[5] };
}

/** The watch event a log row stands for. */
export function rowEvent(r: Row): WatchEvent {
  const prev = rowPrev(r);
  const kv: KeyValue = r[3] ? { key: r[1], value: EMPTY, createRevision: 0, modRevision: r[0] } : rowKv(r);
  return prev ? { type: r[3] ? 'DELETE' : 'PUT', kv, prev } : { type: 'PUT', kv };
}

/** Applies writes to `db` inside a transaction the caller opened; appends their events to `events`. */
export class Applier {
  constructor(
    private readonly db: LogDb,
    private readonly c: Counters,
    private readonly events: WatchEvent[],
  ) {}

  apply(op: Op): unknown {
    switch (op.kind) {
      case 'create':
        return this.create(op.key, op.value, op.lease);
      case 'update':
        return this.update(op.key, op.value, op.expected, op.lease);
      case 'delete':
        return this.delete(op.key, op.expected);
      case 'compact':
        return this.compact(op.revision);
      case 'grant':
        return this.grant(op.ttlSeconds);
      case 'revoke':
        return this.revoke(op.id, op.quiet);
    }
  }

  private live(key: string): Row | undefined {
    const r = this.db.rows(this.db.q.latest, [key, this.c.revision])[0];
    return r && !r[3] ? r : undefined;
  }

  private leaseNumber(lease: LeaseId | undefined): number {
    if (lease === undefined) return 0;
    const n = Number(lease);
    if (!Number.isSafeInteger(n) || n <= 0 || this.db.scalar(this.db.q.leaseExists, [n]) === undefined) throw notFound(`lease ${lease} not found`);
    return n;
  }

  private append(row: Row): number {
    this.db.q.insert.run(row);
    this.events.push(rowEvent(row));
    return row[0];
  }

  private create(key: string, value: Buffer, lease?: LeaseId): number {
    if (this.live(key)) throw alreadyExists(`key "${key}" already exists`);
    const l = this.leaseNumber(lease);
    const id = ++this.c.revision;
    return this.append([id, key, 1, 0, id, 0, l, value, null]);
  }

  private current(key: string, expected: number | undefined): Row {
    const cur = this.live(key);
    if (!cur) throw notFound(`key "${key}" not found`);
    if (expected !== undefined && cur[0] !== expected) {
      throw conflict(`key "${key}" was modified at revision ${cur[0]} (expected ${expected})`);
    }
    return cur;
  }

  private update(key: string, value: Buffer, expected: number, lease?: LeaseId): number {
    const cur = this.current(key, expected);
    const l = this.leaseNumber(lease);
    return this.append([++this.c.revision, key, 0, 0, cur[4], cur[0], l, value, cur[7]]);
  }

  private delete(key: string, expected?: number): { revision: number; prev: KeyValue } {
    const cur = this.current(key, expected);
    const revision = this.append([++this.c.revision, key, 0, 1, cur[4], cur[0], cur[6], null, cur[7]]);
    return { revision, prev: rowKv(cur) };
  }

  private compact(revision: number): void {
    if (revision > this.c.revision) throw invalidArgument(`revision ${revision} is in the future (current ${this.c.revision})`);
    if (revision <= this.c.compacted) return;
    this.db.q.compact.run([revision]);
    this.db.q.setCompacted.run([revision]);
    this.c.compacted = revision;
  }

  private grant(ttlSeconds: number): LeaseId {
    if (!(ttlSeconds > 0)) throw invalidArgument(`lease TTL must be positive, not ${ttlSeconds}`);
    const r = this.db.q.grantLease.run([Math.ceil(ttlSeconds), Date.now() + ttlSeconds * 1000]);
    return String(r.lastInsertRowid);
  }

  /** Deletes the lease's keys, one revision each, then the lease. `quiet`: a missing lease is no error (expiry). */
  private revoke(id: LeaseId, quiet = false): void {
    const n = Number(id);
    if (!Number.isSafeInteger(n) || this.db.scalar(this.db.q.leaseExists, [n]) === undefined) {
      if (quiet) return;
      throw notFound(`lease ${id} not found`);
    }
    for (const r of this.db.rows(this.db.q.leaseKeys, [n])) this.append([++this.c.revision, r[1], 0, 1, r[4], r[0], r[6], null, r[7]]);
    this.db.q.dropLease.run([n]);
  }
}
