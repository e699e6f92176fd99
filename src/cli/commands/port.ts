/**
 * `berth port` (also `container port`): a container's published ports from its inspect
 * data (`NetworkSettings.Ports`), as the docker CLI prints them — `80/tcp -> 0.0.0.0:8080`
 * for all, or the host addresses of one `PRIVATE_PORT[/PROTO]` (tcp when not given).
 */
import type { Command } from 'commander';
import { cliFor, requireArgs } from '../command.js';
import { StatusError } from '../errors.js';
import { naturalCompare } from '../format/networks.js';

type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

/** net.JoinHostPort: IPv6 hosts in brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The lines `port` prints for `ports`, or throws docker's error for a missing one. */
export function portLines(ports: PortMap, container: string, port?: string): string[] {
  const out: string[] = [];
  if (port !== undefined && port !== '') {
    const slash = port.indexOf('/');
    const num = slash < 0 ? port : port.slice(0, slash);
    const proto = (slash < 0 ? '' : port.slice(slash + 1)) || 'tcp';
    if (!/^\d+$/.test(num)) throw new StatusError(`Error: invalid port (${num}): strconv.ParseUint: parsing ${JSON.stringify(num)}: invalid syntax`, 1);
    if (Number(num) > 65535) throw new StatusError(`Error: invalid port (${num}): strconv.ParseUint: parsing ${JSON.stringify(num)}: value out of range`, 1);
    const frontends = ports[`${num}/${proto}`];
    if (!frontends?.length) throw new StatusError(`Error: No public port '${port}' published for ${container}`, 1);
    for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports)) {
      for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
  }
  return out.sort(naturalCompare);
}

/** Registers `port` on `parent` (top-level or under `container`). */
export function registerPort(parent: Command): void {
  parent
    .command('port')
    .description('List port mappings or a specific mapping for the container')
    .usage('CONTAINER [PRIVATE_PORT[/PROTO]]')
    .argument('[args...]')
    .action(async (args: string[], _flags: unknown, self: Command) => {
      requireArgs(self, args, { min: 1, max: 2 });
      const cli = cliFor(self);
      const res = await cli.client.request('GET', `/containers/${encodeURIComponent(args[0]!)}/json`);
      const info = res.json<{ NetworkSettings?: { Ports?: PortMap | null } | null }>();
      const lines = portLines(info.NetworkSettings?.Ports ?? {}, args[0]!, args[1]);
      if (lines.length) cli.out.write(`${lines.join('\n')}\n`);
    });
}
