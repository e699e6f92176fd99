/**
 * `logs` (and `up` without `-d`): the logs of several containers interleaved, each line
 * prefixed with `<service>-<n>  | ` padded to the longest name, coloured per container on
 * a terminal and plain otherwise, as Compose prints them.
 */
import type { Writable } from 'node:stream';
import { Demuxer } from '../cli/stream/demux.js';
import type { ComposeContext } from './context.js';
import { L } from './naming.js';
import type { ContainerSummary } from './engine.js';

const COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface LogOptions {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  noColor?: boolean;
  noPrefix?: boolean;
}

/** The prefix name of a container: `web-1` (service and number), as Compose shows it. */
export function prefixName(c: ContainerSummary): string {
  return `${c.Labels[L.service]}-${c.Labels[L.number]}`;
}

/** A line writer per container that keeps partial lines until their newline arrives. */
function lineWriter(out: Writable, prefix: string): { write(b: Buffer): void; flush(): void } {
  let pending = '';
  return {
    write(b) {
      const text = pending + b.toString('utf8');
      const lines = text.split('\n');
      pending = lines.pop()!;
      for (const l of lines) out.write(`${prefix}${l}\n`);
    },
    flush() {
      if (pending) out.write(`${prefix}${pending}\n`);
      pending = '';
    },
  };
}

/** The prefix of one container's lines: padded name and ` | `, coloured on a terminal. */
export function logPrefix(name: string, width: number, index: number, colour: boolean): string {
  const padded = name.padEnd(width);
  return colour ? `\x1b[${COLOURS[index % COLOURS.length]}m${padded}  |\x1b[0m ` : `${padded}  | `;
}

/**
 * Streams the logs of `containers` to `out`; resolves when every stream has ended. With
 * `exits`, a line per container says how it ended (`web-1 exited with code 0`), as `up`
 * prints in attached mode.
 */
export async function streamLogs(ctx: ComposeContext, containers: ContainerSummary[], opts: LogOptions & { exits?: boolean }): Promise<void> {
  const width = Math.max(0, ...containers.map((c) => prefixName(c).length));
  const colour = !opts.noColor && !!ctx.out.isTTY;
  await Promise.all(
    containers.map(async (c, i) => {
      const prefix = opts.noPrefix ? '' : logPrefix(prefixName(c), width, i, colour);
      const info = await ctx.engine.inspect(c.Id);
      const res = await ctx.engine.api.stream('GET', `/containers/${encodeURIComponent(c.Id)}/logs`, {
        query: { stdout: true, stderr: true, follow: opts.follow, tail: opts.tail ?? 'all', timestamps: opts.timestamps },
      });
      const w = lineWriter(ctx.out, prefix);
      const demux = new Demuxer((_stream, payload) => w.write(payload));
      for await (const chunk of res) {
        if (info.Config.Tty) w.write(chunk as Buffer);
        else demux.push(chunk as Buffer);
      }
      w.flush();
      if (opts.exits) {
        const end = await ctx.engine.inspect(c.Id).catch(() => undefined);
        if (end && !end.State.Running) ctx.out.write(`${prefixName(c)} exited with code ${end.State.ExitCode}\n`);
      }
    }),
  );
}
