/** Small helpers of the storage tests. */
import type { StorageBackend, Watch, WatchEvent } from '../../../src/kube/storage/backend.js';

export const val = (s: string) => Buffer.from(s, 'utf8');

/** Polls `check` until it is true, failing after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A watch whose events and errors are kept, with a wait for the n-th event. */
export async function collect(s: StorageBackend, prefix: string, after: number): Promise<{
  watch: Watch;
  events: WatchEvent[];
  errors: Error[];
  waitFor(n: number, ms?: number): Promise<void>;
}> {
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  let wake = () => {};
  const watch = await s.watch(prefix, after, {
    onEvents: (es) => {
      events.push(...es);
      wake();
    },
    onError: (e) => {
      errors.push(e);
      wake();
    },
  });
  const waitFor = async (n: number, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (events.length < n) {
      if (errors.length) throw errors[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`watch on ${prefix}: ${events.length} of ${n} events after ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  };
  return { watch, events, errors, waitFor };
}
