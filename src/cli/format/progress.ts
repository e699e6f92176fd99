/**
 * JSON message streams drawn on a terminal, as docker's jsonmessage.DisplayJSONMessagesStream
 * does when its output is a terminal: each layer (message `id` with a `progressDetail`) owns
 * one line, which is redrawn in place — the cursor moves up to it, the line is erased and
 * rewritten with the status and a progress bar sized to the terminal, and the cursor moves
 * back down. A message without such an ID starts a new block of lines (`pull -a` tags).
 */
import type { Writable } from 'node:stream';
import { progressString } from '../../lib/jsonprogress.js';
import type { JsonMessage } from './jsonmessage.js';

const ESC = '\x1b[';
const up = (n: number) => (n > 0 ? `${ESC}${n}A` : '');
const down = (n: number) => (n > 0 ? `${ESC}${n}B` : '');
const ERASE_LINE = `${ESC}2K`;

/** Draws messages on a terminal `width` columns wide. */
export class TerminalProgress {
  private ids = new Map<string, number>();

  constructor(
    private readonly out: Writable,
    private readonly width: number,
  ) {}

  /** Draws one message (errors and aux messages are the caller's). */
  draw(jm: JsonMessage): void {
    let diff = 0;
    const isProgress = jm.progressDetail !== undefined || !!jm.progress;
    if (jm.id && isProgress) {
      let line = this.ids.get(jm.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(jm.id, line);
        this.out.write('\n');
      }
      diff = this.ids.size - line;
      this.out.write(up(diff));
    } else {
      this.ids = new Map();
    }
    this.out.write(this.render(jm));
    if (jm.id) this.out.write(down(diff));
  }

  /** jsonmessage.Display for a terminal. */
  private render(jm: JsonMessage): string {
    let s = '';
    let endl = '';
    if (!jm.stream && jm.progressDetail !== undefined) {
      s += `${ERASE_LINE}\r`;
      endl = '\r';
    }
    if (jm.id) s += `${jm.id}: `;
    if (jm.from) s += `(from ${jm.from}) `;
    if (jm.progressDetail !== undefined) s += `${jm.status ?? ''} ${progressString(jm.progressDetail, this.width)}${endl}`;
    else if (jm.progress) s += `${jm.status ?? ''} ${jm.progress}${endl}`;
    else if (jm.stream) s += `${jm.stream}${endl}`;
    else s += `${jm.status ?? ''}${endl}\n`;
    return s;
  }
}
