/**
 * The store of the control plane (the lecture's etcd): the one seam between the API server and
 * whatever keeps cluster state. Its semantics are etcd v3's, narrowed to what Kubernetes uses, the
 * way kine narrows them for k3s:
 *
 * - one global revision counter; every successful write bumps it by exactly one and stamps the
 *   key with it (`modRevision`); the API server shows it as `resourceVersion`;
 * - writes are compare-and-swap on a key's `modRevision` (optimistic concurrency → 409);
 * - reads and lists can be taken at a past revision, until compaction removes that history;
 * - watches replay every change after a revision, in revision order, with the previous value.
 *
 * Two implementations pass one conformance suite: `sqlite/` (embedded, the default) and `etcd/`.
 * Errors are `BerthError`s: NotFound, AlreadyExists, Conflict, Expired (a compacted revision),
 * InvalidArgument (e.g. a revision from the future), Unavailable (the store cannot be reached).
 */

/** One key's state at some revision. */
export interface KeyValue {
  key: string;
  value: Buffer;
  /** Revision of the write that created this incarnation of the key. */
  createRevision: number;
  /** Revision of the last write to the key (its resourceVersion). */
  modRevision: number;
  /** Lease the key is attached to, if any. */
  lease?: LeaseId;
}

/**
 * Lease ids are strings: etcd picks random 63-bit ids, which a JavaScript number cannot hold.
 */
export type LeaseId = string;

export interface ListOptions {
  /** Read the state as of this revision (default: the current one). */
  revision?: number;
  /** At most this many items (default: all). */
  limit?: number;
  /** Start after this key: the last key of the previous page (pagination). */
  continueKey?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was taken at: the same for every page when the caller passes it back. */
  revision: number;
  /** More keys follow the last item (ask again with `continueKey` = its key). */
  more: boolean;
}

/**
 * A change seen by a watch. For a DELETE, `kv` carries the key, the deleting revision as
 * `modRevision`, an empty value and `createRevision` 0; `prev` holds what was deleted.
 */
export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  /**
   * The key's state just before this change; absent when a PUT created the key, and possibly for
   * an event at exactly the compaction revision (etcd has discarded the value it replaced).
   */
  prev?: KeyValue;
}

export interface WatchHandlers {
  /** Events in revision order, in batches; a batch never splits one revision. */
  onEvents(events: WatchEvent[]): void;
  /**
   * The watch ended on its own: Expired when the store compacted past it, Unavailable when the
   * connection to the store broke. No more events follow; the caller re-lists or re-watches.
   */
  onError(err: Error): void;
}

export interface Watch {
  /** Stops the watch; no events are delivered once it resolves. Idempotent. */
  close(): Promise<void>;
}

/** The write options shared by create and update. */
export interface PutOptions {
  /** Attach the key to this lease: it is deleted when the lease expires or is revoked. */
  lease?: LeaseId;
}

export interface StorageBackend {
  /** The key's current state, or at `revision`. NotFound when absent; Expired when compacted. */
  get(key: string, opts?: { revision?: number }): Promise<KeyValue>;
  /** Creates the key; AlreadyExists when it exists. Returns the new revision. */
  create(key: string, value: Buffer, opts?: PutOptions): Promise<number>;
  /**
   * Replaces the value when the key's modRevision is still `expectedModRevision`
   * (compare-and-swap). NotFound when absent, Conflict when changed. Returns the new revision.
   */
  update(key: string, value: Buffer, expectedModRevision: number, opts?: PutOptions): Promise<number>;
  /**
   * Deletes the key, only if its modRevision is `expectedModRevision` when given. NotFound when
   * absent, Conflict when changed. Returns the deleting revision and the deleted state.
   */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }>;
  /** Keys starting with `prefix`, in key order. Expired when `revision` was compacted. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** How many keys start with `prefix` now. */
  count(prefix: string): Promise<number>;
  /**
   * Every change to keys starting with `prefix` with a revision greater than `afterRevision`
   * (the resourceVersion semantics: the caller has seen `afterRevision`). Resolves once the watch
   * is established; rejects with Expired when history after `afterRevision` was compacted.
   */
  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): Promise<Watch>;
  /** The store's revision now: the resourceVersion of an empty list. */
  currentRevision(): Promise<number>;
  /**
   * Discards history older than `revision`: reads at and watches after `revision - 1` keep
   * working, older ones fail with Expired. Compacting to an already compacted revision is a no-op.
   */
  compact(revision: number): Promise<void>;
  /** A lease that deletes its keys `ttlSeconds` from now (Kubernetes' Event TTL, leader leases). */
  grantLease(ttlSeconds: number): Promise<LeaseId>;
  /**
   * Ends a lease now, deleting its keys. NotFound when it does not exist (or expired). etcd
   * deletes them all at one revision; SQLite gives each deletion its own (one log row each).
   */
  revokeLease(id: LeaseId): Promise<void>;
  /** Releases the store; pending watches end without an error. */
  close(): Promise<void>;
}

/**
 * The first string greater than every string starting with `prefix` (etcd's range end), or
 * undefined for the empty prefix (no upper bound). Keys are compared as UTF-8 bytes, like etcd
 * and SQLite's BINARY collation; incrementing the last UTF-16 unit is exact for the ASCII keys
 * Kubernetes uses (`/registry/<resource>/<namespace>/<name>`).
 */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return undefined;
}
