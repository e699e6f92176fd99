/**
 * The writes an extraction has started but not finished, keyed by path (components joined by
 * `/`). Layer extraction writes regular files concurrently — the tar stream is read in order,
 * but each file's open/write/chmod/utimes/close round trips through libuv's thread pool, and
 * waiting for them one file at a time leaves the disk idle most of the time. Order still
 * matters wherever two entries touch the same path, so before an entry uses a path the
 * extractor waits for the writes at that path and below it (`settle`), or for every write
 * (`drain`) when it must look at the disk or change more than one path.
 *
 * The first failure is kept and rethrown by the next `check`, `settle` or `drain`: the
 * extraction stops there and its staging directory is discarded by the caller.
 */
export class InFlight {
  private readonly writes = new Map<string, Promise<void>>();
  private bytes = 0;
  private failure: unknown;

  constructor(
    /** At most this many writes at once. */
    private readonly maxWrites: number,
    /** At most this many bytes buffered for them. */
    private readonly maxBytes: number,
  ) {}

  /** True when a write of `size` bytes may be started now without waiting. */
  fits(size: number): boolean {
    return size <= this.maxBytes / 4;
  }

  /** Starts `write` for path `key` (nothing else may be in flight there: `settle` it first). */
  async start(key: string, size: number, write: () => Promise<void>): Promise<void> {
    while (this.writes.size >= this.maxWrites || (this.bytes + size > this.maxBytes && this.writes.size > 0)) await Promise.race(this.writes.values());
    this.check();
    this.bytes += size;
    const p = write().then(
      () => undefined,
      (err) => void (this.failure ??= err),
    ).finally(() => {
      this.bytes -= size;
      this.writes.delete(key);
    });
    this.writes.set(key, p);
  }

  /** Waits for the writes at `key` and below it. */
  async settle(key: string): Promise<void> {
    if (this.writes.size > 0) {
      const below = `${key}/`;
      const waits: Promise<void>[] = [];
      for (const [k, p] of this.writes) if (k === key || k.startsWith(below) || key === '') waits.push(p);
      await Promise.all(waits);
    }
    this.check();
  }

  /** Waits for every write. */
  async drain(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes.values());
    this.check();
  }

  /** Waits for every write and swallows failures (the extraction is being abandoned). */
  async abandon(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes.values());
  }

  /** Rethrows the first failed write. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
