/**
 * Detach keys: the key sequence (Ctrl+P Ctrl+Q by default) that leaves an attached session
 * while the process keeps running. Docker's notation is a comma-separated list of single
 * characters and `ctrl-<x>` combinations, e.g. `ctrl-p,ctrl-q` or `ctrl-a,x`.
 */
import { invalidArgument } from './errors.js';

export const DEFAULT_DETACH_KEYS = Buffer.from([0x10, 0x11]);

const CTRL_SPECIAL: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** Parses Docker's notation into bytes; `undefined`/empty gives the default. */
export function parseDetachKeys(spec: string | undefined | null): Buffer {
  if (!spec) return DEFAULT_DETACH_KEYS;
  const out: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      out.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(key.toLowerCase());
    const c = m?.[1];
    if (c !== undefined && c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 0x60);
    else if (c !== undefined && c in CTRL_SPECIAL) out.push(CTRL_SPECIAL[c]!);
    else throw invalidArgument(`Invalid detach keys (${spec}) provided: Unknown character: '${key}'`);
  }
  return Buffer.from(out);
}

/**
 * Watches an input stream for the detach sequence. Bytes that might begin the sequence are
 * held back until it is clear whether they do; if the sequence is broken they are passed on,
 * so typing Ctrl+P alone still reaches the program.
 */
export class DetachScanner {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to pass on, and whether the sequence was completed (input after it is dropped). */
  feed(chunk: Buffer): { pass: Buffer; detach: boolean } {
    if (!this.keys.length) return { pass: chunk, detach: false };
    const pass: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { pass: Buffer.from(pass), detach: true };
        continue;
      }
      // Sequence broken: release what was held, then look at this byte afresh.
      for (let i = 0; i < this.matched; i++) pass.push(this.keys[i]!);
      this.matched = 0;
      if (b === this.keys[0]) this.matched = 1;
      else pass.push(b);
      if (this.matched === this.keys.length) return { pass: Buffer.from(pass), detach: true };
    }
    return { pass: Buffer.from(pass), detach: false };
  }
}
