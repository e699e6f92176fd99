/**
 * `compose logs` and the attached `compose up`: every container's output, line by line, behind
 * its name (`web-1  | …`), coloured per service in a terminal as Compose does.
 */
import type { Engine } from '../../compose/engine.js';
import { L } from '../../compose/labels.js';
import type { Project } from '../../compose/types.js';
import type { Cli } from '../command.js';
import { escapePath } from '../client.js';
import { Demuxer } from '../stream/demux.js';

const COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface LogOptions {
  follow: boolean;
  /** `up` without -d: stop following once every container has stopped. */
  untilExit: boolean;
  color?: boolean;
}

export async function composeLogs(cli: Cli, engine: Engine, p: Project, services: string[], o: LogOptions): Promise<void> {
  const containers = (await engine.containers(p.name)).filter((c) => c.Labels[L.oneoff] !== 'True' && (!services.length || services.includes(c.Labels[L.service] ?? '')));
  const names = containers.map((c) => c.Names[0]!.slice(1).replace(`${p.name}-`, ''));
  const width = Math.max(0, ...names.map((n) => n.length));
  const tty = (cli.out as { isTTY?: boolean }).isTTY === true && o.color !== false;
  const order = Object.keys(p.services);
  await Promise.all(
    containers.map(async (c, i) => {
      const color = COLORS[Math.max(0, order.indexOf(c.Labels[L.service] ?? '')) % COLORS.length]!;
      const prefix = tty ? `\x1b[${color}m${names[i]!.padEnd(width)}  |\x1b[0m ` : `${names[i]!.padEnd(width)}  | `;
      const res = await cli.client.stream('GET', `/containers/${escapePath(c.Id)}/logs`, { query: { stdout: true, stderr: true, follow: o.follow } });
      const pending: Record<number, string> = { 1: '', 2: '' };
      const emit = (stream: number, text: string, flush = false) => {
        const lines = (pending[stream] + text).split('\n');
        pending[stream] = flush ? '' : lines.pop()!;
        for (const l of lines) if (l !== '' || !flush) (stream === 2 ? cli.err : cli.out).write(`${prefix}${l}\n`);
      };
      const demux = new Demuxer((stream, payload) => emit(stream, payload.toString('utf8')));
      for await (const chunk of res) demux.push(chunk as Buffer);
      emit(1, '', true);
      emit(2, '', true);
      if (o.untilExit) cli.out.write(`${names[i]} exited with code ${await engine.wait(c.Id)}\n`);
    }),
  );
}
