/**
 * Docker's JSON progress messages for pull and push (pkg/progress + streamformatter; notes
 * §3.4): plain status lines, per-layer status keyed by a 12-hex ID, and byte progress with
 * `progressDetail` and the preformatted bar in `progress`. Byte updates are rate-limited per
 * layer, as dockerd's progress reader does, so a fast transfer does not flood the client.
 */
import { progressString, type ProgressDetail } from '../../lib/jsonprogress.js';

/** One message of the stream (jsonmessage.JSONMessage as the daemon writes it). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: ProgressDetail;
  progress?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { message: string };
}

export type ProgressSink = (m: JsonMessage) => void;

/** The short ID Docker shows for a digest (stringid.TruncateID). */
export function shortId(digest: string): string {
  return digest.replace(/^[a-z0-9]+:/, '').slice(0, 12);
}

/** A plain status line (`Digest: sha256:…`, `Pulling from …`): dockerd's progress.Message. */
export function message(out: ProgressSink, status: string, id?: string): void {
  out(id ? { status, id } : { status });
}

/**
 * A layer's status (`Pulling fs layer`, `Pushed`): dockerd's progress.Update, which carries an
 * empty `progressDetail` — that is what makes the docker CLI redraw the layer's line in place.
 */
export function update(out: ProgressSink, id: string, status: string): void {
  out({ status, progressDetail: {}, id });
}

const MIN_INTERVAL_MS = 100;

/** Reports the bytes of one transfer (`Downloading`, `Pushing`) at most every 100 ms. */
export class ByteProgress {
  private last = 0;
  private readonly start = Math.floor(Date.now() / 1000);

  constructor(
    private readonly out: ProgressSink,
    private readonly id: string,
    private readonly action: string,
    private readonly total: number,
  ) {}

  /** `current` bytes done; `force` sends even inside the rate limit (first and last update). */
  update(current: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < MIN_INTERVAL_MS) return;
    this.last = now;
    const detail: ProgressDetail = { current, total: this.total, start: this.start };
    this.out({ status: this.action, progressDetail: detail, progress: progressString(detail), id: this.id });
  }
}

/** Runs `tasks` with at most `limit` at a time; `onQueued` is told which ones wait at first. */
export async function runLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>, onQueued?: (item: T) => void): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  items.slice(Math.max(1, limit)).forEach((i) => onQueued?.(i));
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length) throw errors[0];
}
