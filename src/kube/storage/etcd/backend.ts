/**
 * The store on a real etcd v3 server (`--datastore-endpoint etcd://host:2379`, or `https://…`
 * with certificates): what Kubernetes itself runs on when one machine is not enough. Each write
 * is one etcd transaction comparing the key's revisions, as kube-apiserver's etcd3 store does;
 * the client is `etcd3` (npm) on @grpc/grpc-js.
 *
 * etcd3's default retry of failed calls is turned off: a compare-and-swap whose reply was lost
 * may have committed, and a silent retry would then report AlreadyExists or Conflict for the
 * caller's own write. Such calls fail with Unavailable and the caller decides.
 */
import { Etcd3, GRPCGenericError, type IOptions, type IRangeResponse, type ITxnResponse } from 'etcd3';
import { alreadyExists, BerthError, conflict, expired, internal, invalidArgument, notFound, unavailable } from '../../../lib/errors.js';
import { prefixEnd, type KeyValue, type LeaseId, type ListOptions, type ListResult, type PutOptions, type StorageBackend,
  type Watch, type WatchHandlers } from '../backend.js';
import { openWatch, toKv } from './watch.js';

export interface EtcdOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379` or `https://10.0.0.1:2379`. */
  endpoints: string[];
  /** PEM contents for https: the CA that signed etcd's certificate, and a client certificate if etcd asks for one. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** Deadline of each call (ms). */
  timeoutMs?: number;
}

const ZERO = Buffer.from([0]);
const key = (k: string) => Buffer.from(k, 'utf8');
/** etcd's range end for a prefix: `\0` means "no upper bound". */
const rangeEnd = (prefix: string) => {
  const end = prefixEnd(prefix);
  return end === undefined ? ZERO : key(end);
};

/** A policy that runs a call once (the shape etcd3 expects of its global fault-handling policy). */
const once = {
  execute: <T>(fn: (ctx: { signal: AbortSignal; attempt: number }) => Promise<T> | T) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 0 })),
};

/**
 * The store's errors for etcd's: etcd reports these conditions only as gRPC status messages,
 * so this edge is where their text is read.
 */
export function fromEtcd(e: unknown): Error {
  if (e instanceof BerthError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (/required revision has been compacted/.test(msg)) return expired(`etcd: ${msg}`);
  if (/required revision is a future revision/.test(msg)) return invalidArgument(`etcd: ${msg}`);
  if (/requested lease not found|lease not found/.test(msg)) return notFound(`etcd: ${msg}`);
  if (e instanceof GRPCGenericError || /UNAVAILABLE|No connection|DEADLINE|ECONNREFUSED|closed/i.test(msg)) return unavailable(`etcd: ${msg}`);
  return internal(`etcd: ${msg}`, e);
}

export class EtcdBackend implements StorageBackend {
  readonly client: Etcd3;
  private readonly watches = new Set<Watch>();
  private readonly timeoutMs: number;

  constructor(opts: EtcdOptions) {
    const options: IOptions = {
      hosts: opts.endpoints,
      dialTimeout: opts.timeoutMs ?? 10_000,
      // A list of many objects is one message; gRPC's default cap of 4 MiB is far too small.
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      faultHandling: { global: once as unknown as NonNullable<IOptions['faultHandling']>['global'] },
    };
    if (opts.tls) options.credentials = { rootCertificate: opts.tls.ca, certChain: opts.tls.cert, privateKey: opts.tls.key };
    this.client = new Etcd3(options);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return fn().catch((e: unknown) => {
      throw fromEtcd(e);
    });
  }

  private deadline() {
    return { deadline: Date.now() + this.timeoutMs };
  }

  async get(k: string, opts: { revision?: number } = {}): Promise<KeyValue> {
    const res = await this.call(() => this.client.kv.range({ key: key(k), revision: opts.revision ?? 0 }, this.deadline()));
    const kv = res.kvs[0];
    if (!kv) throw notFound(`key "${k}" not found`);
    return toKv(kv);
  }

  async create(k: string, value: Buffer, opts: PutOptions = {}): Promise<number> {
    const res = await this.txn({
      compare: [{ key: key(k), target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: key(k), value, lease: opts.lease ?? 0 } }],
      failure: [],
    });
    if (!res.succeeded) throw alreadyExists(`key "${k}" already exists`);
    return Number(res.header.revision);
  }

  async update(k: string, value: Buffer, expectedModRevision: number, opts: PutOptions = {}): Promise<number> {
    const res = await this.txn({
      compare: this.expect(k, expectedModRevision),
      success: [{ request_put: { key: key(k), value, lease: opts.lease ?? 0 } }],
      failure: [{ request_range: { key: key(k) } }],
    });
    if (!res.succeeded) this.failed(k, expectedModRevision, res);
    return Number(res.header.revision);
  }

  async delete(k: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const res = await this.txn({
      compare: this.expect(k, expectedModRevision),
      success: [{ request_delete_range: { key: key(k), prev_kv: true } }],
      failure: [{ request_range: { key: key(k) } }],
    });
    if (!res.succeeded) this.failed(k, expectedModRevision, res);
    const prev = res.responses[0]?.response_delete_range?.prev_kvs?.[0];
    if (!prev) throw internal(`etcd deleted "${k}" without returning it`);
    return { revision: Number(res.header.revision), prev: toKv(prev) };
  }

  /** The key exists, and (when given) still has the expected modRevision. */
  private expect(k: string, expected: number | undefined) {
    const exists = { key: key(k), target: 'Version' as const, result: 'Greater' as const, version: 0 };
    return expected === undefined ? [exists] : [exists, { key: key(k), target: 'Mod' as const, result: 'Equal' as const, mod_revision: expected }];
  }

  /** Why a guarded write failed, from the key's state read in the same transaction. */
  private failed(k: string, expected: number | undefined, res: ITxnResponse): never {
    const cur = (res.responses[0]?.response_range as IRangeResponse | undefined)?.kvs?.[0];
    if (!cur) throw notFound(`key "${k}" not found`);
    throw conflict(`key "${k}" was modified at revision ${cur.mod_revision} (expected ${expected})`);
  }

  private txn(req: Parameters<Etcd3['kv']['txn']>[0]): Promise<ITxnResponse> {
    return this.call(() => this.client.kv.txn(req, this.deadline()));
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const start = opts.continueKey !== undefined && opts.continueKey >= prefix ? opts.continueKey + '\0' : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const res = await this.call(() => this.client.kv.range({
      key: start === '' ? ZERO : key(start), range_end: rangeEnd(prefix), limit, revision: opts.revision ?? 0,
    }, this.deadline()));
    return { items: res.kvs.map(toKv), revision: opts.revision || Number(res.header.revision), more: res.more };
  }

  async count(prefix: string): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: prefix === '' ? ZERO : key(prefix), range_end: rangeEnd(prefix), count_only: true }, this.deadline()));
    return Number(res.count);
  }

  async watch(prefix: string, afterRevision: number, handlers: WatchHandlers): Promise<Watch> {
    // etcd confirms a watch on compacted history first and cancels it just after; asking for a
    // read at the first revision wanted makes the failure immediate, as the interface promises.
    await this.call(() => this.client.kv.range({ key: ZERO, revision: afterRevision + 1, count_only: true }, this.deadline()))
      .catch((e: unknown) => {
        if (e instanceof BerthError && e.kind === 'InvalidArgument') return; // a future revision: nothing to replay
        throw e instanceof BerthError && e.kind === 'Expired' ? expired(`revision ${afterRevision} has been compacted`) : e;
      });
    const w = await this.call(() => openWatch(this.client, prefix === '' ? ZERO : key(prefix), rangeEnd(prefix), afterRevision, handlers,
      (closed) => this.watches.delete(closed)));
    this.watches.add(w);
    return w;
  }

  async currentRevision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: ZERO, count_only: true }, this.deadline()));
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.call(() => this.client.kv.compact({ revision, physical: true }, this.deadline()));
    } catch (e) {
      if (e instanceof BerthError && e.kind === 'Expired') return; // already compacted at or past it
      throw e;
    }
  }

  async grantLease(ttlSeconds: number): Promise<LeaseId> {
    if (!(ttlSeconds > 0)) throw invalidArgument(`lease TTL must be positive, not ${ttlSeconds}`);
    const res = await this.call(() => this.client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlSeconds) }, this.deadline()));
    return res.ID;
  }

  async revokeLease(id: LeaseId): Promise<void> {
    await this.call(() => this.client.leaseClient.leaseRevoke({ ID: id }, this.deadline()));
  }

  async close(): Promise<void> {
    for (const w of [...this.watches]) await w.close();
    this.client.close();
  }
}
