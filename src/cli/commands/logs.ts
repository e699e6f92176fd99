/**
 * `berth logs`: inspect the container to learn whether it has a TTY, then copy
 * `GET /containers/{id}/logs` to stdout/stderr — demultiplexing docker's 8-byte frames for
 * non-TTY containers, raw bytes otherwise.
 */
import type { Command } from 'commander';
import { cliFor, requireArgs } from '../command.js';
import { copyRaw, demultiplex } from '../stream/demux.js';

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * timetypes.GetTimestamp: `--since`/`--until` values to the API's `seconds[.nanoseconds]`.
 * Go durations (`10m`, `1h30m`) count back from `now`; dates are RFC 3339 or `YYYY-MM-DD`;
 * plain numbers are Unix timestamps already.
 */
export function getTimestamp(value: string, now = Date.now()): string {
  if (DURATION.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    const t = now - ms;
    const secs = Math.floor(t / 1000);
    return `${secs}.${String(Math.round((t - secs * 1000) * 1e6)).padStart(9, '0')}`;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new Error(`invalid value for "since": failed to parse value as time or duration: "${value}"`);
  const secs = Math.floor(parsed / 1000);
  return `${secs}.${String((parsed - secs * 1000) * 1e6).padStart(9, '0')}`;
}

interface LogsFlags {
  follow?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  details?: boolean;
  tail: string;
}

/** Registers `logs` on `parent` (top-level or under `container`). */
export function registerLogs(parent: Command): void {
  parent
    .command('logs')
    .description('Fetch the logs of a container')
    .usage('[OPTIONS] CONTAINER')
    .argument('[container...]')
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .action(async (refs: string[], flags: LogsFlags, self: Command) => {
      requireArgs(self, refs, { min: 1, max: 1 });
      const cli = cliFor(self);
      const ref = encodeURIComponent(refs[0]!);
      const info = (await cli.client.request('GET', `/containers/${ref}/json`)).json<{ Id: string; Config?: { Tty?: boolean } }>();
      const res = await cli.client.stream('GET', `/containers/${encodeURIComponent(info.Id)}/logs`, {
        query: {
          stdout: true,
          stderr: true,
          since: flags.since ? getTimestamp(flags.since) : undefined,
          until: flags.until ? getTimestamp(flags.until) : undefined,
          timestamps: flags.timestamps,
          details: flags.details,
          follow: flags.follow,
          tail: flags.tail,
        },
      });
      if (info.Config?.Tty) await copyRaw(res, cli.out);
      else await demultiplex(res, cli.out, cli.err);
    });
}
