/**
 * Renders the daemon's JSON message streams (pull, push, import, load) like docker's
 * jsonmessage.DisplayJSONMessagesStream: for a non-terminal one line per status, `id: `
 * prefixes, progress updates hidden, `stream` text copied as is; on a terminal (when asked)
 * per-layer lines redrawn with progress bars (progress.ts). The first `errorDetail`/`error`
 * becomes a failure.
 */
import type { Readable, Writable } from 'node:stream';
import type { ProgressDetail } from '../../lib/jsonprogress.js';
import { TerminalProgress } from './progress.js';

/** One message of the stream (pkg/jsonmessage.JSONMessage). */
export interface JsonMessage {
  status?: string;
  id?: string;
  from?: string;
  stream?: string;
  progress?: string;
  progressDetail?: ProgressDetail;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
  time?: number;
  timeNano?: number;
}

/** An error reported inside the stream; its message is the daemon's, unprefixed. */
export class JsonMessageError extends Error {}

function fixedNano(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  return d.toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

/** Formats one message as docker prints it to a non-terminal; `''` when it prints nothing. */
export function renderMessage(jm: JsonMessage): string {
  const detail = jm.progressDetail;
  const hasProgress = detail !== undefined && ((detail.current ?? 0) > 0 || (detail.total ?? 0) > 0);
  if (hasProgress) return '';
  let out = '';
  if (jm.timeNano) out += `${fixedNano(BigInt(jm.timeNano))} `;
  else if (jm.time) out += `${fixedNano(BigInt(jm.time) * 1_000_000_000n)} `;
  if (jm.id) out += `${jm.id}: `;
  if (jm.from) out += `(from ${jm.from}) `;
  if (jm.progress) out += `${jm.status ?? ''} ${jm.progress}`;
  else if (jm.stream) out += jm.stream;
  else out += `${jm.status ?? ''}\n`;
  return out;
}

/** Splits a byte stream into parsed messages (one JSON object per line, `\r\n` separated). */
export async function* readJsonMessages(input: Readable): AsyncGenerator<JsonMessage> {
  let buf = '';
  for await (const chunk of input) {
    buf += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as JsonMessage;
    }
  }
  // A final object without a trailing newline is still a message.
  const rest = buf.trim();
  if (rest) yield JSON.parse(rest) as JsonMessage;
}

/** How to draw: `terminal` redraws layer lines in place, with bars `width` columns wide. */
export interface DisplayOptions {
  terminal?: boolean;
  width?: number;
}

/**
 * Copies a message stream to `out`; throws JsonMessageError on the first error message.
 * `onAux` receives `aux` payloads (e.g. build image IDs) instead of printing them.
 */
export async function displayJsonMessages(
  input: Readable,
  out: Writable,
  onAux?: (aux: unknown) => void,
  opts: DisplayOptions = {},
): Promise<void> {
  // Without a known width docker assumes 200 columns, wide enough for the bars.
  const term = opts.terminal ? new TerminalProgress(out, opts.width || 200) : undefined;
  for await (const jm of readJsonMessages(input)) {
    if (jm.errorDetail || jm.error) {
      throw new JsonMessageError(jm.errorDetail?.message || jm.error || 'unknown error');
    }
    if (jm.aux !== undefined) {
      onAux?.(jm.aux);
      continue;
    }
    if (term) {
      term.draw(jm);
      continue;
    }
    const text = renderMessage(jm);
    if (text) out.write(text);
  }
}
