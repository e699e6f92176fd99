/**
 * The SQLite file behind the embedded store: schema, durability settings and prepared queries.
 *
 * Binding: `libsql` (npm), the better-sqlite3-compatible Node binding of libSQL, an open fork of
 * SQLite 3.45 that keeps its file format and its WAL. Chosen because its native binary ships
 * inside an npm registry package (`@libsql/linux-x64-gnu`) with no install script. The
 * alternatives fail a rule of ours: better-sqlite3 12 (the last for Node 20) first tries to
 * download a prebuilt binary from GitHub at install; WASM builds either keep the database in
 * memory (sql.js, the official sqlite-wasm under Node) or lock with a directory that survives a
 * `kill -9` and leaves WAL without shared memory (node-sqlite3-wasm); Node 20 has no node:sqlite.
 *
 * Durability: WAL with `synchronous=FULL` fsyncs the log at every commit, so a write is durable
 * once its transaction returns. One process owns the store (the writer keeps the current revision
 * in memory): a second server on the same file must fail at open, not write behind our back. The
 * owner holds an exclusive lock on a side file, `<file>.lock` (SQLite's own POSIX lock, taken by
 * a connection in `locking_mode=EXCLUSIVE`); the OS drops it when the process dies. The main file
 * cannot hold that lock itself: libsql closes a connection only once its prepared statements are
 * garbage-collected, so the lock would outlive `close()` and block a reopen in the same process.
 *
 * The table is kine's revisioned log: one row per write, `id` = the store revision.
 */
import Database from 'libsql';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { unavailable } from '../../../lib/errors.js';

/** Column order of every row-returning query (statements run in raw mode: arrays, no objects). */
export const ROW = 'id, name, created, deleted, create_revision, prev_revision, lease, value, old_value';

/** One row of the log, as read in raw mode. */
export type Row = [id: number, name: string, created: number, deleted: number, createRevision: number,
  prevRevision: number, lease: number, value: Buffer | null, oldValue: Buffer | null];

/** Upper bound for "no upper bound": above every key made of characters below U+10FFFF. */
export const MAX_KEY = '\u{10ffff}';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  lease INTEGER NOT NULL DEFAULT 0,
  value BLOB,
  old_value BLOB
);
CREATE INDEX IF NOT EXISTS log_name_id ON log (name, id);
CREATE INDEX IF NOT EXISTS log_lease ON log (lease) WHERE lease != 0;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY AUTOINCREMENT, ttl INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
`;

type Stmt = Database.Statement;

/** The open file and its statements. All calls are synchronous; one process owns the file. */
export class LogDb {
  readonly db: Database.Database;
  readonly q: Record<keyof typeof QUERIES, Stmt>;

  private readonly lock: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.lock = new Database(`${file}.lock`);
    try {
      this.lock.exec('PRAGMA locking_mode = EXCLUSIVE');
      this.lock.exec('BEGIN EXCLUSIVE');
      this.lock.exec('COMMIT');
    } catch (e) {
      this.lock.close();
      throw /locked|busy/i.test((e as Error).message) ? unavailable(`store ${file} is in use by another process`) : e;
    }
    this.db = new Database(file);
    try {
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec('PRAGMA synchronous = FULL');
      this.db.exec(SCHEMA);
    } catch (e) {
      this.close();
      throw e;
    }
    this.q = Object.fromEntries(Object.entries(QUERIES).map(([k, sql]) => {
      const st = this.db.prepare(sql);
      return [k, st.reader ? st.raw() : st];
    })) as LogDb['q'];
  }

  /** The first column of the first row, or undefined. */
  scalar(stmt: Stmt, params: unknown[] = []): number | undefined {
    const r = stmt.get(params) as unknown[] | undefined;
    return r ? (r[0] as number) : undefined;
  }

  rows(stmt: Stmt, params: unknown[] = []): Row[] {
    return stmt.all(params) as Row[];
  }

  close(): void {
    this.db.close();
    this.lock.close();
  }
}

const QUERIES = {
  revision: `SELECT seq FROM sqlite_sequence WHERE name = 'log'`,
  compacted: `SELECT value FROM meta WHERE name = 'compact_rev'`,
  setCompacted: `INSERT INTO meta (name, value) VALUES ('compact_rev', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
  /** The newest row of a key at or before a revision. */
  latest: `SELECT ${ROW} FROM log WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`,
  /**
   * Live keys in [start, end) as of a revision, in key order: the newest row per key, unless it is
   * a deletion. Walking the (name, id) index in order lets a LIMIT stop early (a page of 500 out
   * of 10,000 keys costs a few ms, where grouping first costs the whole range).
   */
  list: `SELECT ${ROW} FROM log WHERE name >= ?1 AND name < ?2 AND id <= ?3 AND deleted = 0
         AND id = (SELECT MAX(l2.id) FROM log l2 WHERE l2.name = log.name AND l2.id <= ?3) ORDER BY name LIMIT ?4`,
  count: `SELECT COUNT(*) FROM log JOIN (SELECT MAX(id) AS mid FROM log WHERE name >= ? AND name < ? GROUP BY name) m
          ON log.id = m.mid WHERE deleted = 0`,
  /** Every change in [start, end) after a revision, oldest first (watch replay). */
  since: `SELECT ${ROW} FROM log WHERE id > ? AND name >= ? AND name < ? ORDER BY id`,
  insert: `INSERT INTO log (id, name, created, deleted, create_revision, prev_revision, lease, value, old_value)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** Rows that no read at or after the revision can see: superseded before it, or deletions before it. */
  compact: `DELETE FROM log WHERE id < ?1 AND (deleted = 1 OR id < (SELECT MAX(l2.id) FROM log l2 WHERE l2.name = log.name AND l2.id <= ?1))`,
  leaseExists: `SELECT 1 FROM leases WHERE id = ?`,
  grantLease: `INSERT INTO leases (ttl, expires_ms) VALUES (?, ?)`,
  dropLease: `DELETE FROM leases WHERE id = ?`,
  expiredLeases: `SELECT id FROM leases WHERE expires_ms <= ?`,
  /** The live keys attached to a lease (their newest row carries it). */
  leaseKeys: `SELECT ${ROW} FROM log WHERE lease = ? AND deleted = 0 AND id = (SELECT MAX(l2.id) FROM log l2 WHERE l2.name = log.name)`,
} as const;
