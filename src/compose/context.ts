/**
 * What every Compose verb works with: the loaded project, the engine client, and where
 * progress lines go (` Container app-web-1  Started` on stderr, as Compose prints them
 * without a terminal).
 */
import type { Writable } from 'node:stream';
import type { Engine } from './engine.js';
import type { Project } from './model.js';

export interface ComposeContext {
  project: Project;
  engine: Engine;
  out: Writable & { isTTY?: boolean };
  err: Writable;
}

/** One progress line: ` Container app-web-1  Started`. */
export function progress(ctx: ComposeContext, kind: 'Container' | 'Network' | 'Volume' | 'Image' | 'Service', name: string, status: string): void {
  ctx.err.write(` ${kind} ${name}  ${status}\n`);
}
