/**
 * A bounded hand-off between one producer and one consumer of byte chunks. The image loader
 * tees a layer's bytes into the blob store and, through a Feed, into the unpacker running at
 * the same time, so a layer is read once. If the consumer gives up (a hostile layer), `push`
 * stops waiting instead of deadlocking the producer.
 */
export class Feed implements AsyncIterable<Uint8Array> {
  private queue: Uint8Array[] = [];
  private ended = false;
  private closed = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly maxQueued = 16) {}

  /** Queues a chunk; waits while the consumer is `maxQueued` chunks behind. */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.closed) return;
    this.queue.push(chunk);
    this.wake('consumer');
    while (this.queue.length >= this.maxQueued && !this.closed) await new Promise<void>((r) => (this.wakeProducer = r));
  }

  /** No more chunks. */
  end(): void {
    this.ended = true;
    this.wake('consumer');
  }

  /** The consumer stops reading: queued and future chunks are dropped. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.wake('producer');
    this.wake('consumer');
  }

  private wake(who: 'consumer' | 'producer'): void {
    const f = who === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (who === 'consumer') this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    f?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        if (this.closed) throw new Error('input aborted');
        const chunk = this.queue.shift();
        if (chunk) {
          this.wake('producer');
          yield chunk;
          continue;
        }
        // Closed before the end: the data is incomplete, so the consumer must not see a clean end.
        if (this.closed) throw new Error('input aborted');
        if (this.ended) return;
        await new Promise<void>((r) => (this.wakeConsumer = r));
      }
    } finally {
      // A consumer that stops early (error, break) must not leave the producer waiting.
      if (!this.ended) this.close();
    }
  }
}

export { waitDrain } from '../../lib/drain.js';
