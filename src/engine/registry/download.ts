/**
 * Downloading one blob into the content store (dockerd's layer download with retries; lecture
 * concept: layers are content-addressed, so a download proves itself by its digest). Bytes go
 * to an ingest file while being hashed; only a blob whose digest and size match its
 * descriptor is committed, so an interrupted or corrupted transfer never becomes content.
 *
 * A broken transfer is retried after 1, 2, 3… seconds (dockerd waits 5, 10, 15…) and resumes
 * with `Range: bytes=<have>-` when the registry answers 206 from that offset; a 200 means it
 * ignored the range, and the download starts over. A digest mismatch after a resumed transfer
 * starts over once more; a mismatch of a whole transfer is final.
 */
import type http from 'node:http';
import { invalidArgument, unavailable } from '../../lib/errors.js';
import type { BlobWriter, ContentStore } from '../content/store.js';
import type { Descriptor } from '../images/types.js';
import { repoScope, type RegistryClient } from './client.js';
import { isRetryable, responseError } from './errors.js';
import type { ByteProgress, ProgressSink } from './progress.js';

export interface DownloadOptions {
  client: RegistryClient;
  /** Repository path (`library/busybox`). */
  path: string;
  desc: Pick<Descriptor, 'digest' | 'size'>;
  content: ContentStore;
  signal: AbortSignal;
  /** Attempts in all (dockerd's --max-download-attempts). */
  attempts: number;
  progress?: ByteProgress;
  /** Where to say `Retrying in N seconds` (the layer's line). */
  retryStatus?: { out: ProgressSink; id: string };
  /**
   * Also receives the bytes as they arrive (a layer being unpacked while it downloads): ended
   * once the blob is verified and stored, closed as soon as the bytes it got can no longer be
   * continued (a transfer that starts over) or the download fails.
   */
  tee?: Tee;
}

/** A consumer of a blob's bytes in order (snapshots/feed.ts's Feed). */
export interface Tee {
  push(chunk: Uint8Array): Promise<void>;
  end(): void;
  close(): void;
}

/** A failure no retry can fix. */
class Final extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/** Does the 206 answer start exactly where our partial copy ends? */
function resumesAt(res: http.IncomingMessage, offset: number): boolean {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
  return !!m && Number(m[1]) === offset;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(t);
      reject(unavailable('operation cancelled'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Downloads `o.desc` into the store (verified). Throws after the last attempt fails. */
export async function downloadBlob(o: DownloadOptions): Promise<void> {
  const { digest, size } = o.desc;
  let w: BlobWriter = o.content.writer();
  let restartedAfterResume = false;
  let tee = o.tee;
  let teed = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      let resumed = false;
      try {
        const headers: Record<string, string> = w.size > 0 ? { Range: `bytes=${w.size}-` } : {};
        const res = await o.client.request('GET', `/v2/${o.path}/blobs/${digest}`, { scopes: [repoScope(o.path, 'pull')], headers, signal: o.signal });
        if (res.statusCode === 206 && w.size > 0 && resumesAt(res, w.size)) resumed = true;
        else if (res.statusCode === 200) {
          if (w.size > 0) {
            await w.abort();
            w = o.content.writer();
          }
        } else {
          const err = await responseError(res);
          throw isRetryable(err) ? err : new Final(err);
        }
        o.progress?.update(w.size, true);
        for await (const chunk of res) {
          const b = chunk as Buffer;
          if (w.size + b.length > size) {
            res.destroy();
            throw new Final(invalidArgument(`filesystem layer verification failed for digest ${digest}: more than ${size} bytes`));
          }
          if (tee && teed !== w.size) {
            tee.close(); // the transfer started over: what the tee got cannot be continued
            tee = undefined;
          }
          await w.write(b);
          if (tee) {
            await tee.push(b);
            teed += b.length;
          }
          o.progress?.update(w.size);
        }
        if (w.size < size) throw unavailable(`unexpected EOF: ${w.size} of ${size} bytes of ${digest}`);
        o.progress?.update(w.size, true);
        const got = await w.finish();
        if (got !== digest) {
          await w.abort();
          w = o.content.writer();
          // A resumed transfer may have glued two different versions together: one clean retry.
          if (resumed && !restartedAfterResume) {
            restartedAfterResume = true;
            throw unavailable(`digest mismatch after resuming ${digest}`);
          }
          throw new Final(invalidArgument(`filesystem layer verification failed for digest ${digest}`));
        }
        await w.commit({ digest, size });
        tee?.end();
        tee = undefined;
        return;
      } catch (err) {
        if (o.signal.aborted) throw unavailable('operation cancelled');
        if (err instanceof Final) throw err.reason;
        if (!isRetryable(err) || attempt >= o.attempts) throw err;
        for (let left = attempt; left > 0; left--) {
          o.retryStatus?.out({ status: `Retrying in ${left} second${left === 1 ? '' : 's'}`, progressDetail: {}, id: o.retryStatus.id });
          await sleep(1000, o.signal);
        }
      }
    }
  } finally {
    tee?.close();
    await w.abort(); // no-op after a commit: the ingest file was renamed away
  }
}
