/**
 * Background layer unpacking (containerd's unpacker role; lecture concept: an image is its
 * blobs, and the read-only layers a container stacks are derived from them). `load` and
 * `import` return once blobs, config and record are committed; the layers are then unpacked
 * here into their chain-ID snapshots, one at a time, in the order they were scheduled
 * (chain order per image). Whoever needs a snapshot (`prepare`, `diff`) waits for it through
 * `ensure`, which also schedules layers missing after a crash.
 *
 * Safety: each unpack goes to a private staging dir that is renamed into place only when
 * complete (snapshotter.commit), so a crash or cancel never exposes half a layer, and stray
 * staging dirs are removed by the snapshotter at the next open. A layer the extractor rejects
 * is remembered as failed; `ensure` then fails with an error naming the layer blob.
 */
import { createReadStream } from 'node:fs';
import { failedPrecondition, invalidArgument, messageOf, type BerthError } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { Feed } from '../snapshots/feed.js';
import { unpackLayer } from '../snapshots/unpack.js';
import type { Stores } from './commit.js';

/** Where a chain's layer comes from: its blob, expected diff ID and parent chain. */
export interface LayerSource {
  chainId: string;
  digest: string;
  diffId: string;
  parent?: string;
}

interface Job {
  src: LayerSource;
  abort: AbortController;
  started: boolean;
  /** Settles when the job ends; rejects with the failure (a handled promise: see `schedule`). */
  done: Promise<void>;
  error?: BerthError;
}

export class LayerUnpacker {
  private readonly jobs = new Map<string, Job>();
  private readonly failed = new Map<string, BerthError>();
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  /** Layers actually extracted since start (tests check that shared layers unpack once). */
  unpacked = 0;

  constructor(
    private readonly stores: Stores,
    /** Finds the source of a chain among the stored images; undefined when none needs it. */
    private readonly sourceOf: (chainId: string) => LayerSource | undefined,
  ) {}

  /** Queues the unpack of `chainId` unless it is committed, queued or running. */
  schedule(src: LayerSource): Promise<void> {
    const running = this.jobs.get(src.chainId);
    if (running) return running.done;
    // A new attempt supersedes an earlier failure (a pull fetching the layer again).
    this.failed.delete(src.chainId);
    const job: Job = { src, abort: new AbortController(), started: false, done: Promise.resolve() };
    const run = this.tail.then(() => this.run(job));
    this.tail = run;
    job.done = run.then(() => {
      if (job.error) throw job.error;
    });
    // Nobody may be waiting (a background pass): the failure is kept in `failed`, not thrown away.
    job.done.catch(() => undefined);
    this.jobs.set(src.chainId, job);
    return job.done;
  }

  /**
   * Unpacks `src` from bytes still arriving (a pull: the download tees them into the returned
   * feed, and ends it only once the blob is verified and stored), beside the queue rather than
   * behind it. Undefined when that layer is already being unpacked. A streamed attempt that
   * fails is not remembered as failed: the caller falls back to `schedule` from the stored blob,
   * which gives the verdict.
   */
  stream(src: LayerSource): { feed: Feed; done: Promise<void> } | undefined {
    if (this.closed || this.jobs.has(src.chainId)) return undefined;
    const feed = new Feed(64);
    const job: Job = { src, abort: new AbortController(), started: false, done: Promise.resolve() };
    job.abort.signal.addEventListener('abort', () => feed.close(), { once: true });
    // Whatever ends the job, later bytes must not wait for a reader that is gone.
    const run = this.run(job, feed).finally(() => feed.close());
    job.done = run.then(() => {
      if (job.error) throw job.error;
    });
    job.done.catch(() => undefined);
    this.jobs.set(src.chainId, job);
    return { feed, done: job.done };
  }

  /** Waits until every chain in `chainIds` is committed, scheduling missing ones; fails naming a bad layer. */
  async ensure(chainIds: string[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const c of chainIds) {
      const bad = this.failed.get(c);
      if (bad) throw bad;
      const job = this.jobs.get(c);
      if (job) {
        waits.push(job.done);
        continue;
      }
      if (await this.stores.snapshots.has(c)) continue;
      const src = this.sourceOf(c);
      if (!src) throw failedPrecondition(`layer ${c} is not unpacked`);
      waits.push(this.schedule(src));
    }
    for (const w of waits) await w;
  }

  /** Stops a queued or running unpack of `chainId` and waits until it is gone (image removal). */
  async cancel(chainId: string): Promise<void> {
    this.failed.delete(chainId);
    const job = this.jobs.get(chainId);
    if (!job) return;
    job.abort.abort();
    // A queued job will do nothing when its turn comes: no need to wait behind other layers.
    if (!job.started) {
      this.jobs.delete(chainId);
      return;
    }
    await job.done.catch(() => undefined);
  }

  /**
   * Holds the queue after the current job until the returned function is called (lets tests
   * observe a load whose layers are not unpacked yet; usable for maintenance windows).
   */
  pause(): () => void {
    let resume!: () => void;
    const gate = new Promise<void>((r) => (resume = r));
    this.tail = this.tail.then(() => gate);
    return resume;
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    for (let t = this.tail; ; t = this.tail) {
      await t;
      if (t === this.tail) return;
    }
  }

  /** Abandons every queued and running unpack (daemon shutdown); staging is discarded. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.jobs.values()) j.abort.abort();
    await this.idle();
  }

  /** Runs one job: from `streamed` bytes, or else from the stored blob. */
  private async run(job: Job, streamed?: Feed): Promise<void> {
    const { src } = job;
    const snaps = this.stores.snapshots;
    job.started = true;
    try {
      if (this.closed || job.abort.signal.aborted || (await snaps.has(src.chainId))) return;
      const staged = await snaps.stage();
      try {
        // The blob was verified when it was stored; its bytes are read back from the store.
        const input = streamed ?? createReadStream(this.stores.content.path(src.digest), { signal: job.abort.signal });
        const r = await unpackLayer(input, staged.fs, this.stores.host);
        if (r.diffId !== src.diffId) throw invalidArgument(`diff ID mismatch: expected ${src.diffId}, got ${r.diffId}`);
        if (job.abort.signal.aborted) throw new Error('cancelled');
        await snaps.commit(staged, { chainId: src.chainId, diffId: src.diffId, ...(src.parent ? { parent: src.parent } : {}), size: r.size });
        this.unpacked++;
      } catch (err) {
        await snaps.discard(staged);
        throw err;
      }
    } catch (err) {
      if (job.abort.signal.aborted || this.closed) {
        job.error = failedPrecondition(`unpacking layer ${src.digest} was cancelled`);
        return;
      }
      job.error = failedPrecondition(`image layer ${src.digest} cannot be used: unpacking failed: ${messageOf(err)}`);
      if (streamed) return; // the caller retries from the stored blob
      this.failed.set(src.chainId, job.error);
      log.error('layer unpack failed', { layer: src.digest, chainId: src.chainId, error: messageOf(err) });
    } finally {
      if (this.jobs.get(src.chainId) === job) this.jobs.delete(src.chainId);
    }
  }
}
