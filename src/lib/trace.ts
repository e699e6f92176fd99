/**
 * One tracing helper for every lifecycle stage (resolve, unpack, mount, create, start, wait).
 *
 * `berth --trace run` and the benchmarks read the same spans, so a number printed by one
 * is the number the other measured. Spans are kept per trace id in memory, bounded.
 */
export interface Span {
  stage: string;
  startMs: number; // relative to the trace's first span
  durationMs: number;
}

const MAX_TRACES = 256;
const traces = new Map<string, { t0: number; spans: Span[] }>();

function traceFor(id: string) {
  let t = traces.get(id);
  if (!t) {
    t = { t0: performance.now(), spans: [] };
    traces.set(id, t);
    if (traces.size > MAX_TRACES) traces.delete(traces.keys().next().value as string);
  }
  return t;
}

/** Times `fn` as stage `stage` of trace `id` (usually a container id). */
export async function span<T>(id: string, stage: string, fn: () => Promise<T> | T): Promise<T> {
  const t = traceFor(id);
  const start = performance.now();
  try {
    return await fn();
  } finally {
    const end = performance.now();
    t.spans.push({ stage, startMs: round(start - t.t0), durationMs: round(end - start) });
  }
}

/** The spans recorded for `id`, in the order they finished. */
export function spansOf(id: string): Span[] {
  return traces.get(id)?.spans.slice() ?? [];
}

/** Forgets a trace (e.g. when its container is removed). */
export function dropTrace(id: string): void {
  traces.delete(id);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
