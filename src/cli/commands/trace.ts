/**
 * `berth --trace run|create|start …`: after the command, fetch the daemon's stage timings for
 * the container (`GET /berth/trace/{id}`, the same spans the benchmarks read) and draw them
 * on stderr as a small timeline, one line per lifecycle stage.
 */
import type { Cli } from '../command.js';
import { escapePath } from '../client.js';
import { tabwrite } from '../format/tabwriter.js';

/** One stage as the daemon reports it. */
export interface TraceSpan {
  Stage: string;
  StartMs: number;
  DurationMs: number;
}

const BAR_WIDTH = 40;

function ms(n: number): string {
  return `${n.toFixed(n < 10 ? 2 : 1)} ms`;
}

/**
 * Renders spans as a timeline: stage, start offset, duration and a bar placed on a shared
 * time axis, so overlapping and sequential stages are visible at a glance.
 */
export function renderTimeline(id: string, spans: readonly TraceSpan[]): string {
  if (spans.length === 0) return `trace ${id.slice(0, 12)}: no stages recorded\n`;
  const sorted = [...spans].sort((a, b) => a.StartMs - b.StartMs);
  const end = Math.max(...sorted.map((s) => s.StartMs + s.DurationMs));
  const scale = end > 0 ? BAR_WIDTH / end : 0;
  let table = `STAGE\tSTART\tDURATION\tTIMELINE (0 to ${ms(end)})\n`;
  for (const s of sorted) {
    const from = Math.min(BAR_WIDTH - 1, Math.floor(s.StartMs * scale));
    // Every stage gets at least one cell, so instant stages still show where they happened.
    const len = Math.max(1, Math.round(s.DurationMs * scale));
    const bar = ' '.repeat(from) + '█'.repeat(Math.min(len, BAR_WIDTH - from));
    table += `${s.Stage}\t+${ms(s.StartMs)}\t${ms(s.DurationMs)}\t|${bar.padEnd(BAR_WIDTH)}|\n`;
  }
  table += `total\t\t${ms(end)}\n`;
  return `trace ${id.slice(0, 12)}\n${tabwrite(table, { minwidth: 0, padding: 2 })}`;
}

/** Fetches and prints the trace of container `id`; failures are reported, never fatal. */
export async function printTrace(cli: Cli, id: string): Promise<void> {
  try {
    const res = await cli.client.request('GET', `/berth/trace/${escapePath(id)}`);
    const data = res.json<{ Spans?: TraceSpan[] | null }>();
    cli.err.write(renderTimeline(id, data?.Spans ?? []));
  } catch (e) {
    cli.err.write(`trace: not available: ${(e as Error).message}\n`);
  }
}
