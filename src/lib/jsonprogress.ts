/**
 * The progress bar of Docker's JSON message streams (pkg/jsonmessage JSONProgress.String):
 * `[=====>     ]  12.3MB/50MB 3s`. The daemon sends it preformatted in `progress` (docker-py
 * users print it), and the CLI draws it again at its own terminal width. Shared so both agree.
 */
import { humanSize } from './human.js';

/** `progressDetail` of a JSON message. */
export interface ProgressDetail {
  current?: number;
  total?: number;
  /** Unix seconds when the transfer started (enables the time-left estimate). */
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

/** Go's `%8v`: left-padded to 8 columns. */
const pad8 = (s: string) => s.padStart(8);

/** time.Duration.String() of a whole number of seconds, e.g. `1m5s`, `2h0m3s`. */
function goSeconds(total: number): string {
  if (total <= 0) return '0s';
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/**
 * The bar for `p` at terminal `width` (the daemon uses 200, as dockerd does when it has no
 * terminal). Empty when there is nothing to show.
 */
export function progressString(p: ProgressDetail, width = 200, nowMs = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : pad8(humanSize(current));
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (width > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
  let numbers = '';
  if (!p.hidecounts) {
    if (!p.units) numbers = current > total ? pad8(humanSize(current)) : `${pad8(humanSize(current))}/${humanSize(total)}`;
    else numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  }
  let left = '';
  if (width > 50 && current > 0 && p.start && percentage < 50) {
    const elapsed = nowMs / 1000 - p.start;
    left = ` ${goSeconds(Math.round(((total - current) * elapsed) / current))}`;
  }
  return bar + numbers + left;
}
