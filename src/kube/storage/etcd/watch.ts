/**
 * One watch on etcd: its own gRPC Watch stream, created at `afterRevision + 1` with previous
 * values. It does not reconnect by itself: when the stream breaks, the watch ends with
 * Unavailable and the caller resumes from the last revision it saw, as a Kubernetes client
 * resumes a watch from its last resourceVersion. (etcd3's own Watcher reconnects from the
 * response header's revision, which during a replay is the store's current revision, not the last
 * event delivered, so a break in the middle of a replay would skip events.)
 */
import type { Etcd3, IEvent, IWatchResponse } from 'etcd3';
import { expired, unavailable } from '../../../lib/errors.js';
import type { KeyValue, Watch, WatchEvent, WatchHandlers } from '../backend.js';

const EMPTY = Buffer.alloc(0);

/** etcd's wire form of a key's state → ours. */
export function toKv(kv: { key: Buffer; value: Buffer; create_revision: string; mod_revision: string; lease?: string }): KeyValue {
  const out: KeyValue = { key: kv.key.toString('utf8'), value: kv.value ?? EMPTY, createRevision: Number(kv.create_revision), modRevision: Number(kv.mod_revision) };
  if (kv.lease && kv.lease !== '0') out.lease = kv.lease;
  return out;
}

function toEvent(e: IEvent): WatchEvent {
  const type = e.type === 'Delete' ? 'DELETE' : 'PUT';
  const kv = type === 'DELETE' ? { key: e.kv.key.toString('utf8'), value: EMPTY, createRevision: 0, modRevision: Number(e.kv.mod_revision) } : toKv(e.kv);
  return e.prev_kv ? { type, kv, prev: toKv(e.prev_kv) } : { type, kv };
}

/** Opens the watch; resolves when etcd confirmed it. */
export async function openWatch(client: Etcd3, key: Buffer, rangeEnd: Buffer, afterRevision: number, handlers: WatchHandlers,
  onClosed: (w: Watch) => void): Promise<Watch> {
  const stream = await client.watchClient.watch();
  return new Promise<Watch>((resolve, reject) => {
    let established = false;
    let closed = false;
    const w: Watch = {
      close: async () => {
        if (closed) return;
        closed = true;
        onClosed(w);
        stream.cancel();
      },
    };
    const fail = (err: Error) => {
      if (closed) return;
      if (!established) {
        closed = true;
        onClosed(w);
        stream.cancel();
        reject(err);
        return;
      }
      void w.close();
      try {
        handlers.onError(err);
      } catch {
        // Nothing more to tell a consumer whose error handler fails.
      }
    };
    stream.on('data', (res: IWatchResponse) => {
      if (closed) return;
      if (res.canceled) {
        const compacted = Number(res.compact_revision ?? 0);
        fail(compacted > 0
          ? expired(`revision ${afterRevision} has been compacted (history starts at ${compacted})`)
          : unavailable(`etcd ended the watch: ${res.cancel_reason || 'canceled'}`));
        return;
      }
      if (res.created && !established) {
        established = true;
        resolve(w);
      }
      if (!res.events?.length) return;
      try {
        handlers.onEvents(res.events.map(toEvent));
      } catch (e) {
        fail(e as Error);
      }
    });
    stream.on('error', (e: Error) => fail(unavailable(`etcd watch stream failed: ${e.message}`)));
    stream.on('end', () => fail(unavailable('etcd closed the watch stream')));
    stream.write({ create_request: { key, range_end: rangeEnd, start_revision: afterRevision + 1, prev_kv: true } });
  });
}
