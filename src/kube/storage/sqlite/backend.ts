/**
 * The embedded store (the default of `berth server`): etcd's semantics on one SQLite file, in
 * the style of kine — an append-only log whose row ids are revisions (db.ts), the newest row per
 * key as the state, compaction deleting superseded rows.
 *
 * One process writes. Writes queue up and are applied together in one transaction per turn of
 * the event loop (group commit): each keeps its own checks and revision, but they share one
 * fsync, which is what lets concurrent creates stay fast on a real disk. A write's promise
 * settles only after its transaction committed; then the transaction's events go to the watches.
 * Reads run on the same connection between transactions, so they see only committed state.
 */
import { BerthError, expired, invalidArgument, notFound, unavailable } from '../../../lib/errors.js';
import { prefixEnd, type KeyValue, type LeaseId, type ListOptions, type ListResult, type PutOptions, type StorageBackend,
  type Watch, type WatchEvent, type WatchHandlers } from '../backend.js';
import { Applier, rowEvent, rowKv, type Counters, type Op } from './apply.js';
import { LogDb, MAX_KEY } from './db.js';
import { WatchHub } from './watch.js';

interface Pending {
  op: Op;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface SqliteOptions {
  /** How often expired leases are looked for (ms). */
  leaseSweepMs?: number;
  /** At most this many writes share one transaction. */
  maxBatch?: number;
}

export class SqliteBackend implements StorageBackend {
  private readonly db: LogDb;
  private readonly c: Counters;
  private readonly hub = new WatchHub();
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly maxBatch: number;
  /** Leases whose revocation is queued. */
  private readonly expiring = new Set<number>();

  /** Opens (creating if needed) the store in `file`; Unavailable when another process holds it. */
  constructor(readonly file: string, opts: SqliteOptions = {}) {
    this.db = new LogDb(file);
    this.c = { revision: this.db.scalar(this.db.q.revision) ?? 0, compacted: this.db.scalar(this.db.q.compacted) ?? 0 };
    this.maxBatch = opts.maxBatch ?? 1000;
    this.sweeper = setInterval(() => this.sweepLeases(), opts.leaseSweepMs ?? 1000);
    this.sweeper.unref();
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<KeyValue> {
    const at = this.readRevision(opts.revision);
    const r = this.db.rows(this.db.q.latest, [key, at])[0];
    if (!r || r[3]) throw notFound(`key "${key}" not found`);
    return rowKv(r);
  }

  create(key: string, value: Buffer, opts: PutOptions = {}): Promise<number> {
    return this.enqueue({ kind: 'create', key, value, lease: opts.lease }) as Promise<number>;
  }

  update(key: string, value: Buffer, expectedModRevision: number, opts: PutOptions = {}): Promise<number> {
    return this.enqueue({ kind: 'update', key, value, expected: expectedModRevision, lease: opts.lease }) as Promise<number>;
  }

  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    return this.enqueue({ kind: 'delete', key, expected: expectedModRevision }) as Promise<{ revision: number; prev: KeyValue }>;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const at = this.readRevision(opts.revision);
    const start = opts.continueKey !== undefined && opts.continueKey >= prefix ? opts.continueKey + '\0' : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const rows = this.db.rows(this.db.q.list, [start, prefixEnd(prefix) ?? MAX_KEY, at, limit === undefined ? -1 : limit + 1]);
    const more = limit !== undefined && rows.length > limit;
    return { items: (more ? rows.slice(0, limit) : rows).map(rowKv), revision: at, more };
  }

  async count(prefix: string): Promise<number> {
    this.open();
    return this.db.scalar(this.db.q.count, [prefix, prefixEnd(prefix) ?? MAX_KEY]) ?? 0;
  }

  async watch(prefix: string, afterRevision: number, handlers: WatchHandlers): Promise<Watch> {
    this.open();
    if (afterRevision + 1 < this.c.compacted) {
      throw expired(`revision ${afterRevision} has been compacted (history starts at ${this.c.compacted})`);
    }
    const end = prefixEnd(prefix) ?? MAX_KEY;
    const replay = afterRevision < this.c.revision ? this.db.rows(this.db.q.since, [afterRevision, prefix, end]).map(rowEvent) : [];
    return this.hub.add(prefix, end, afterRevision, handlers, replay);
  }

  async currentRevision(): Promise<number> {
    this.open();
    return this.c.revision;
  }

  async compact(revision: number): Promise<void> {
    await this.enqueue({ kind: 'compact', revision });
  }

  grantLease(ttlSeconds: number): Promise<LeaseId> {
    return this.enqueue({ kind: 'grant', ttlSeconds }) as Promise<LeaseId>;
  }

  async revokeLease(id: LeaseId): Promise<void> {
    await this.enqueue({ kind: 'revoke', id });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.sweeper);
    this.flush();
    this.closed = true;
    this.hub.closeAll();
    this.db.close();
  }

  /** Open watches (for tests and metrics). */
  get watchCount(): number {
    return this.hub.size;
  }

  private open(): void {
    if (this.closed) throw unavailable(`store ${this.file} is closed`);
  }

  /** The revision a read is taken at: the current one, or a past one still in the history. */
  private readRevision(revision: number | undefined): number {
    this.open();
    if (!revision) return this.c.revision;
    if (revision > this.c.revision) throw invalidArgument(`revision ${revision} is in the future (current ${this.c.revision})`);
    if (revision < this.c.compacted) throw expired(`revision ${revision} has been compacted (history starts at ${this.c.compacted})`);
    return revision;
  }

  private enqueue(op: Op): Promise<unknown> {
    if (this.closed) return Promise.reject(unavailable(`store ${this.file} is closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Applies the queued writes in transactions of at most maxBatch, then settles them and publishes. */
  private flush(): void {
    this.scheduled = false;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      const events: WatchEvent[] = [];
      const results: Array<{ ok: true; v: unknown } | { ok: false; e: unknown }> = [];
      const before = { ...this.c };
      try {
        this.db.db.exec('BEGIN IMMEDIATE');
        const applier = new Applier(this.db, this.c, events);
        for (const p of batch) {
          try {
            results.push({ ok: true, v: applier.apply(p.op) });
          } catch (e) {
            // A failed check leaves the file untouched; anything else aborts the whole transaction.
            if (!(e instanceof BerthError)) throw e;
            results.push({ ok: false, e });
          }
        }
        this.db.db.exec('COMMIT');
      } catch (e) {
        if (this.db.db.inTransaction) this.db.db.exec('ROLLBACK');
        Object.assign(this.c, before);
        const err = unavailable(`store ${this.file}: write failed: ${(e as Error).message}`);
        for (const p of batch) p.reject(err);
        continue;
      }
      batch.forEach((p, i) => {
        const r = results[i]!;
        if (r.ok) p.resolve(r.v);
        else p.reject(r.e);
      });
      this.hub.publish(events);
    }
  }

  /** Queues the revocation of every expired lease (at most once each at a time). */
  private sweepLeases(): void {
    if (this.closed) return;
    for (const [id] of this.db.rows(this.db.q.expiredLeases, [Date.now()]) as unknown as Array<[number]>) {
      if (this.expiring.has(id)) continue;
      this.expiring.add(id);
      const done = () => this.expiring.delete(id);
      this.enqueue({ kind: 'revoke', id: String(id), quiet: true }).then(done, done);
    }
  }
}
