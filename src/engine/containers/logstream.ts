/**
 * One `logs` request: the output so far (after `tail`, `since`, `until`), then — with `follow` —
 * new output as the container writes it, until the follow ends.
 *
 * When a follow ends. Docker's rule (moby daemon/logs.go and daemon/monitor.go): `follow` is
 * honoured only if the container is running when the request comes (otherwise a read-only
 * logger is opened and the stream ends at the end of the file), and the follow ends when the
 * container's log driver is closed, which `Container.Reset` does on *every* exit — also when a
 * restart policy or `docker restart` starts it again at once, so `docker logs -f` quits at each
 * restart (docker/cli#5305; moby#7643 proposed a separate `-F` for following across restarts).
 * Berth follows across restarts, as issue 3 asks: the follow ends when the container has
 * stopped with no start coming (no restart policy restart pending, no `docker restart` between
 * its stop and its start), when it is removed, when `until` has passed, or when the client goes.
 * A created container is followed until it has run and stopped (Docker ends at once there).
 * A daemon shutdown closes every connection, so followers see their stream end; after the
 * daemon is back, a new request follows the re-adopted container just the same.
 *
 * conmon appends every run's output to the same file, so following across restarts is reading
 * on from the same offset: nothing is sent twice and nothing is skipped.
 */
import fsp from 'node:fs/promises';
import { LogEncoder, tailOffset, type EncodeOptions } from './logencode.js';
import { LogTail } from './logfile.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';

export interface LogRequest extends EncodeOptions {
  /** Lines from the end; undefined = all. */
  tail?: number;
  follow: boolean;
}

/** Where the output goes; `write` resolves when the sink can take more (back-pressure). */
export interface LogSink {
  write(chunk: Buffer): void | Promise<void>;
  /** Aborted when the client has gone. */
  signal: AbortSignal;
}

/**
 * conmon stamps a record when it reads the container's output and writes it right after, so a
 * record stamped at or before `until` is in the file this soon after `until`; then the follow ends.
 */
const UNTIL_GRACE_MS = 250;

/** Whether a follow of `rec` starts (Docker: only a running container is followed). */
function followable(svc: ContainerService, rec: ContainerRecord): boolean {
  return ['created', 'running', 'paused', 'restarting'].includes(rec.State.Status) || svc.startComing(rec.Id);
}

/** Streams the container's log to `sink` as `req` asks; resolves when the response is complete. */
export async function streamLogs(svc: ContainerService, rec: ContainerRecord, req: LogRequest, sink: LogSink): Promise<void> {
  const file = svc.store.dirs.logFile(rec.Id);
  const follow = req.follow && followable(svc, rec) && (req.until === undefined || req.until * 1000 > Date.now());
  // Listen before the first read, so a stop or removal during a long read of the past is seen.
  const end = follow ? followEnd(svc, rec.Id, req.until, sink.signal) : undefined;
  const size = (await fsp.stat(file).catch(() => undefined))?.size ?? 0;
  let start = 0;
  if (req.tail !== undefined) {
    const fh = await fsp.open(file, 'r').catch(() => undefined);
    if (fh) start = await tailOffset(fh, size, req.tail, req).finally(() => fh.close());
  }
  const enc = new LogEncoder(req, (chunk) => (sink.signal.aborted ? undefined : sink.write(chunk)));
  const reader = new LogTail(file, start, {
    consume: (buf) => enc.push(buf),
    idle: async () => {
      if (!follow) return;
      await enc.flush();
      if (enc.state.late) end!.finish();
    },
  }, follow ? undefined : size);
  const abandon = () => void reader.close();
  sink.signal.addEventListener('abort', abandon);
  try {
    if (follow) {
      reader.follow();
      await end!.done;
    }
    if (sink.signal.aborted) return;
    // Not following, or the follow ended (the container stopped — its monitor has exited, so the
    // file is complete — or was removed, or `until` has passed): send what the file holds, end.
    await reader.drain();
    await enc.flush();
  } finally {
    end?.finish();
    sink.signal.removeEventListener('abort', abandon);
    await reader.close();
  }
}

/** The events that end a follow of container `id`; `finish` ends it from outside. */
function followEnd(svc: ContainerService, id: string, until: number | undefined, signal: AbortSignal): { done: Promise<void>; finish: () => void } {
  let finish = () => undefined as void;
  const done = new Promise<void>((resolve) => {
    const onContainer = (which: string) => which === id && finish();
    const timer = until === undefined ? undefined : setTimeout(() => finish(), until * 1000 - Date.now() + UNTIL_GRACE_MS);
    finish = () => {
      svc.off('stopped', onContainer);
      svc.off('destroy', onContainer);
      signal.removeEventListener('abort', finish);
      if (timer) clearTimeout(timer);
      resolve();
    };
    svc.on('stopped', onContainer);
    svc.on('destroy', onContainer);
    signal.addEventListener('abort', finish);
    if (signal.aborted) finish();
  });
  return { done, finish: () => finish() };
}
