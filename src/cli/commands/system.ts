/**
 * `berth version` and `berth info`: the client's own facts plus the daemon's `/version`
 * and `/info`, laid out as docker lays them out, or rendered through `-f/--format`.
 */
import type { Command } from 'commander';
import { cliFor, requireArgs, type Cli } from '../command.js';
import { StatusError } from '../errors.js';
import { tabwrite } from '../format/tabwriter.js';
import { Template } from '../format/template.js';
import { goFormatG } from '../format/units.js';

/** The CLI's own version. */
export const CLI_VERSION = '0.1.0';

interface ServerVersion {
  Platform?: { Name?: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  BuildTime?: string;
  Experimental?: boolean;
}

function clientVersion(cli: Cli) {
  return {
    Version: CLI_VERSION,
    ApiVersion: cli.client.version,
    NodeVersion: process.version,
    Os: process.platform,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    Context: 'default',
  };
}

function renderFormat(format: string, data: unknown): string {
  let tmpl: Template;
  try {
    tmpl = Template.parse(format === 'json' ? '{{json .}}' : format);
  } catch (e) {
    throw new StatusError(`template parsing error: ${(e as Error).message}`, 64);
  }
  return `${tmpl.execute(data)}\n`;
}

/** Renders `version` output (docker's default template, laid out by a 20-wide tab writer). */
export function renderVersion(client: ReturnType<typeof clientVersion>, server?: ServerVersion): string {
  let s = `Client:\n Version:\t${client.Version}\n API version:\t${client.ApiVersion}\n Node version:\t${client.NodeVersion}\n`;
  s += ` OS/Arch:\t${client.Os}/${client.Arch}\n Context:\t${client.Context}\n`;
  if (server) {
    const name = server.Platform?.Name;
    s += `\nServer:${name ? ` ${name}` : ''}\n`;
    const comps = server.Components?.length
      ? server.Components
      : [{ Name: 'Engine', Version: server.Version ?? '', Details: {} as Record<string, string> }];
    for (const c of comps) {
      s += ` ${c.Name}:\n  Version:\t${c.Version}\n`;
      const d = c.Details ?? {};
      if (c.Name === 'Engine') {
        s += `  API version:\t${d['ApiVersion'] ?? server.ApiVersion ?? ''} (minimum version ${d['MinAPIVersion'] ?? server.MinAPIVersion ?? ''})\n`;
        for (const [label, key] of [['Go version', 'GoVersion'], ['Git commit', 'GitCommit'], ['Built', 'BuildTime']] as const) {
          let v = d[key] ?? server[key];
          if (key === 'BuildTime' && v) v = ansic(v);
          if (v) s += `  ${label}:\t${v}\n`;
        }
        s += `  OS/Arch:\t${d['Os'] ?? server.Os ?? ''}/${d['Arch'] ?? server.Arch ?? ''}\n`;
        s += `  Experimental:\t${d['Experimental'] ?? String(server.Experimental ?? false)}\n`;
      } else {
        for (const key of Object.keys(d).sort()) s += `  ${key}:\t${d[key]}\n`;
      }
    }
  }
  return tabwrite(s, { minwidth: 20, padding: 1 });
}

/** docker's reformatDate: an RFC 3339 build time shown in Go's ANSIC layout (`Mon Jan  2 15:04:05 2006`). */
function ansic(s: string): string {
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d\d-\d\dT/.test(s)) return s;
  const p = (n: number) => String(n).padStart(2, '0');
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** go-units BytesSize: binary units with 4 significant digits (`15.6GiB`). */
function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return goFormatG(n, 4) + units[i];
}

/** Renders `info` output: docker's field order and wording for the fields a daemon reports. */
export function renderInfo(info: Record<string, unknown>): string {
  const v = (k: string) => info[k];
  const lines: string[] = ['Client:', ` Version:    ${CLI_VERSION}`, ' Context:    default', ' Debug Mode: false', '', 'Server:'];
  const add = (label: string, value: unknown, always = false) => {
    if (always || (value !== undefined && value !== null && value !== '')) lines.push(`${label} ${String(value ?? '')}`);
  };
  add(' Containers:', v('Containers') ?? 0, true);
  add('  Running:', v('ContainersRunning') ?? 0, true);
  add('  Paused:', v('ContainersPaused') ?? 0, true);
  add('  Stopped:', v('ContainersStopped') ?? 0, true);
  add(' Images:', v('Images') ?? 0, true);
  add(' Server Version:', v('ServerVersion'));
  add(' Storage Driver:', v('Driver'));
  for (const pair of (v('DriverStatus') as [string, string][] | null) ?? []) lines.push(`  ${pair[0]}: ${pair[1]}`);
  add(' Logging Driver:', v('LoggingDriver'));
  add(' Cgroup Driver:', v('CgroupDriver'));
  add(' Cgroup Version:', v('CgroupVersion'));
  const runtimes = Object.keys((v('Runtimes') as Record<string, unknown> | null) ?? {});
  if (runtimes.length) {
    add(' Runtimes:', runtimes.join(' '), true);
    add(' Default Runtime:', v('DefaultRuntime'), true);
  }
  if (v('InitBinary')) add(' Init Binary:', v('InitBinary'));
  add(' Kernel Version:', v('KernelVersion'));
  add(' Operating System:', v('OperatingSystem'));
  add(' OSType:', v('OSType'));
  add(' Architecture:', v('Architecture'));
  add(' CPUs:', v('NCPU') ?? 0, true);
  add(' Total Memory:', bytesSize(Number(v('MemTotal') ?? 0)), true);
  add(' Name:', v('Name'));
  add(' ID:', v('ID'));
  add(' Docker Root Dir:', v('DockerRootDir') ?? '', true);
  add(' Debug Mode:', v('Debug') ?? false, true);
  add(' Experimental:', v('ExperimentalBuild') ?? false, true);
  add(' Live Restore Enabled:', v('LiveRestoreEnabled') ?? false, true);
  return `${lines.join('\n')}\n\n`;
}

/** Registers `version` and `info` on the root. */
export function registerSystem(root: Command): void {
  root
    .command('version')
    .description('Show the Berth version information')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (args: string[], flags: { format?: string }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      const client = clientVersion(cli);
      let server: ServerVersion | undefined;
      let failure: unknown;
      try {
        server = (await cli.client.request('GET', '/version')).json<ServerVersion>();
      } catch (e) {
        failure = e;
      }
      // The client half is printed even when the daemon is unreachable, as docker does.
      cli.out.write(flags.format ? renderFormat(flags.format, { Client: client, Server: server ?? null }) : renderVersion(client, server));
      if (failure) throw failure;
    });

  root
    .command('info')
    .description('Display system-wide information')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (args: string[], flags: { format?: string }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      const info = (await cli.client.request('GET', '/info')).json<Record<string, unknown>>();
      if (flags.format) {
        cli.out.write(renderFormat(flags.format, { ...info, ClientInfo: { Version: CLI_VERSION, Context: 'default', Debug: false } }));
      } else {
        cli.out.write(renderInfo(info));
      }
    });
}
