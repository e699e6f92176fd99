/**
 * `network create`, `network connect` and `network disconnect`: flags turned into the
 * request bodies the docker CLI sends (network.CreateRequest with its IPAM block built as
 * createIPAMConfig builds it, EndpointSettings for connect), with docker's client-side checks.
 */
import type { Command } from 'commander';
import { cliFor, collect, requireArgs } from '../command.js';
import { StatusError, invalidFlagValue } from '../errors.js';
import { endpointSettings } from './container-net.js';
import { kvToMap } from './container-parse.js';
import { cidrContains, parseCidr, parseIp, stringSliceFlag } from './net-parse.js';

/** opts.ValidateLabel, as `--label` checks each value. */
function labelFlag(v: string, prev: string[] | undefined): string[] {
  const key = v.split('=')[0]!.replace(/^[ \t]+/, '');
  if (key === '') throw invalidFlagValue('--label', v, `invalid label '${v}': empty name`);
  if (/[ \t]/.test(key)) throw invalidFlagValue('--label', v, `label '${key}' contains whitespaces`);
  return collect(v, prev);
}

/** MapOpts: `k=v` values into a map, a later key replacing an earlier one. */
function mapOf(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

/** subnetMatches: whether `data` (an address or a CIDR) lies in `subnet`. */
function subnetMatches(subnet: string, data: string): boolean {
  let net;
  try {
    net = parseCidr(subnet);
  } catch (e) {
    throw new Error(`invalid subnet: ${(e as Error).message}`);
  }
  const ip = data.includes('/') ? parseCidr(data).ip : parseIp(data);
  return ip !== undefined && cidrContains(net, ip);
}

/** One IPAM pool as the API takes it (empty fields left out). */
interface IpamPool {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
}

/** createIPAMConfig: `--subnet`/`--ip-range`/`--gateway` grouped per subnet, with docker's errors. */
export function ipamConfig(subnets: readonly string[], ranges: readonly string[], gateways: readonly string[]): IpamPool[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) {
    throw new Error('every ip-range or gateway must have a corresponding subnet');
  }
  const pools = new Map<string, { Subnet: string; IPRange: string; Gateway: string }>();
  for (const s of subnets) {
    for (const k of pools.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    pools.set(s, { Subnet: s, IPRange: '', Gateway: '' });
  }
  for (const r of ranges) {
    let match = false;
    for (const s of subnets) {
      parseCidr(r);
      if (!subnetMatches(s, r)) continue;
      const pool = pools.get(s)!;
      if (pool.IPRange) throw new Error(`cannot configure multiple ranges (${r}, ${pool.IPRange}) on the same subnet (${s})`);
      pool.IPRange = r;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for range ${r}`);
  }
  for (const g of gateways) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, g)) continue;
      const pool = pools.get(s)!;
      if (pool.Gateway) throw new Error(`cannot configure multiple gateways (${g}, ${pool.Gateway}) for the same subnet (${s})`);
      pool.Gateway = g;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for gateway ${g}`);
  }
  return [...pools.values()].map((p) => ({ Subnet: p.Subnet, ...(p.IPRange ? { IPRange: p.IPRange } : {}), ...(p.Gateway ? { Gateway: p.Gateway } : {}) }));
}

/** `network create` flags as commander stores them. */
export interface NetworkCreateFlags {
  driver: string;
  opt?: string[];
  label?: string[];
  internal?: boolean;
  attachable?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  ipamOpt?: string[];
  subnet?: string[];
  ipRange?: string[];
  gateway?: string[];
}

/** The `POST /networks/create` body for `network create` flags, in the field order docker sends. */
export function networkCreateBody(name: string, f: NetworkCreateFlags): Record<string, unknown> {
  return {
    Driver: f.driver,
    Scope: '',
    ...(f.ipv4 !== undefined ? { EnableIPv4: f.ipv4 } : {}),
    ...(f.ipv6 !== undefined ? { EnableIPv6: f.ipv6 } : {}),
    IPAM: { Driver: 'default', Options: mapOf(f.ipamOpt), Config: ipamConfig(f.subnet ?? [], f.ipRange ?? [], f.gateway ?? []) },
    Internal: f.internal ?? false,
    Attachable: f.attachable ?? false,
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: mapOf(f.opt),
    Labels: kvToMap(f.label ?? []),
    Name: name,
  };
}

/** Registers `network create`. */
export function registerNetworkCreate(group: Command): void {
  group
    .command('create')
    .description('Create a network')
    .usage('[OPTIONS] NETWORK')
    .argument('[name...]')
    .option('--attachable', 'Enable manual container attachment')
    .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
    .option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', stringSliceFlag)
    .option('--internal', 'Restrict external access to the network')
    .option('--ip-range <strings>', 'Allocate container ip from a sub-range', stringSliceFlag)
    .option('--ipam-opt <map>', 'Set IPAM driver specific options', collect)
    .option('--ipv4', 'Enable or disable IPv4 address assignment (default true)')
    .option('--ipv6', 'Enable or disable IPv6 address assignment')
    .option('--label <list>', 'Set metadata on a network', labelFlag)
    .option('-o, --opt <map>', 'Set driver specific options', collect)
    .option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', stringSliceFlag)
    .action(async (args: string[], flags: NetworkCreateFlags, self: Command) => {
      requireArgs(self, args, { min: 1, max: 1 });
      let body;
      try {
        body = networkCreateBody(args[0]!, flags);
      } catch (e) {
        throw new StatusError((e as Error).message, 1);
      }
      const cli = cliFor(self);
      const res = await cli.client.request('POST', '/networks/create', { body });
      cli.out.write(`${res.json<{ Id: string }>().Id}\n`);
    });
}

/** Registers `network connect`. */
export function registerNetworkConnect(group: Command): void {
  group
    .command('connect')
    .description('Connect a container to a network')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .argument('[args...]')
    .option('--alias <strings>', 'Add network-scoped alias for the container', stringSliceFlag)
    .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")')
    .action(async (args: string[], flags: { alias?: string[]; ip?: string }, self: Command) => {
      requireArgs(self, args, { min: 2, max: 2 });
      const cli = cliFor(self);
      // docker always sends an IPAMConfig object and an alias list, empty or not.
      const EndpointConfig = endpointSettings({
        IPAMConfig: flags.ip ? { IPv4Address: flags.ip } : {},
        Aliases: flags.alias ?? [],
        DriverOpts: {},
      });
      await cli.client.request('POST', `/networks/${encodeURIComponent(args[0]!)}/connect`, { body: { Container: args[1], EndpointConfig } });
    });
}

/** Registers `network disconnect`. */
export function registerNetworkDisconnect(group: Command): void {
  group
    .command('disconnect')
    .description('Disconnect a container from a network')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .argument('[args...]')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action(async (args: string[], flags: { force?: boolean }, self: Command) => {
      requireArgs(self, args, { min: 2, max: 2 });
      const cli = cliFor(self);
      await cli.client.request('POST', `/networks/${encodeURIComponent(args[0]!)}/disconnect`, {
        body: { Container: args[1], Force: flags.force ?? false },
      });
    });
}
