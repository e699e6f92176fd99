/**
 * Watches of the embedded store, fed in-process: the single writer publishes the events of each
 * committed transaction here, so a watch sees a change as soon as it is durable, with no polling.
 * A new watch first replays the log after its revision (read in the same synchronous step as its
 * registration, so nothing falls between replay and live events).
 */
import type { Watch, WatchEvent, WatchHandlers } from '../backend.js';

class Watcher implements Watch {
  /** Events held until the caller has its watch in hand (replay, then anything published meanwhile). */
  private pending: WatchEvent[] | undefined;
  closed = false;

  constructor(
    private readonly hub: WatchHub,
    readonly start: string,
    readonly end: string,
    /** Revisions up to this one were seen already (a watch may start ahead of the store). */
    private readonly after: number,
    private readonly handlers: WatchHandlers,
    replay: WatchEvent[],
  ) {
    this.pending = replay;
    // After the caller's `await watch(…)` continues: it may set up its output first.
    setImmediate(() => {
      const held = this.pending ?? [];
      this.pending = undefined;
      if (held.length) this.deliver(held);
    });
  }

  offer(events: WatchEvent[]): void {
    const mine = events.filter((e) => e.kv.key >= this.start && e.kv.key < this.end && e.kv.modRevision > this.after);
    if (!mine.length) return;
    if (this.pending) this.pending.push(...mine);
    else this.deliver(mine);
  }

  private deliver(events: WatchEvent[]): void {
    if (this.closed) return;
    try {
      this.handlers.onEvents(events);
    } catch (e) {
      // A failing consumer loses its watch, never the writer that is publishing.
      this.end_(e as Error);
    }
  }

  end_(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.remove(this);
    if (err) {
      try {
        this.handlers.onError(err);
      } catch {
        // Nothing more to tell a consumer whose error handler fails.
      }
    }
  }

  async close(): Promise<void> {
    this.end_();
  }
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  /** Registers a watch on [start, end) for revisions after `after` that first receives `replay`. */
  add(start: string, end: string, after: number, handlers: WatchHandlers, replay: WatchEvent[]): Watch {
    const w = new Watcher(this, start, end, after, handlers, replay);
    this.watchers.add(w);
    return w;
  }

  remove(w: Watcher): void {
    this.watchers.delete(w);
  }

  /** The events of one committed transaction, in revision order. */
  publish(events: WatchEvent[]): void {
    if (!events.length) return;
    for (const w of [...this.watchers]) w.offer(events);
  }

  get size(): number {
    return this.watchers.size;
  }

  /** Ends every watch without an error (the store is closing). */
  closeAll(): void {
    for (const w of [...this.watchers]) w.end_();
  }
}
