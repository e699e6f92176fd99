/**
 * The networking flags of `run`/`create` (`--network` in its short and `name=…,alias=…`
 * forms, `--network-alias`, `--ip`, `--dns*`, `--add-host`, `--domainname`, `--expose`, the
 * long `-p published=…,target=…` form) and the parts of the create body they make, as the
 * docker CLI's container/opts.go makes them: HostConfig.Dns/DnsSearch/DnsOptions/ExtraHosts,
 * HostConfig.NetworkMode and NetworkingConfig.EndpointsConfig with Aliases/IPAMConfig under
 * each network's name. Flag values are checked while parsing, with pflag's wording.
 */
import { Option, type Command } from 'commander';
import { collect } from '../command.js';
import { invalidFlagValue } from '../errors.js';
import { formatIp, parseIp, readCsvRecord } from './net-parse.js';

/** One `--network` value (opts.NetworkAttachmentOpts). */
export interface NetworkAttachment {
  target: string;
  aliases: string[];
  driverOpts?: Record<string, string>;
  ipv4?: string;
  ipv6?: string;
  linkLocalIps?: string[];
  macAddress?: string;
  gwPriority?: number;
}

/** The networking flags as commander stores them. */
export interface NetworkFlags {
  addHost?: string[];
  dns?: string[];
  dnsOption?: string[];
  dnsSearch?: string[];
  domainname?: string;
  ip?: string;
  network?: NetworkAttachment[];
  networkAlias?: string[];
  expose?: string[];
  publish?: string[];
}

/** network.EndpointSettings with every field, in the order Go encodes them. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  GwPriority: number;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: null;
}

/** An endpoint with only the given settings (the rest empty, as a zero Go struct). */
export function endpointSettings(s: Partial<EndpointSettings> = {}): EndpointSettings {
  return {
    IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '',
    EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0, DNSNames: null, ...s,
  };
}

/** opts.ValidateIPAddress: the address in Go's normal form (`--dns`). */
export function validateIpAddress(val: string): string {
  const ip = parseIp(val.trim());
  if (!ip) throw new Error(`IP address is not correctly formatted: ${val}`);
  return formatIp(ip);
}

const DOMAIN = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

/** opts.ValidateDNSSearch: `.` or a domain, kept without its trailing dot. */
export function validateDnsSearch(val: string): string {
  const v = val.replace(/^ +| +$/g, '');
  if (v === '.') return v;
  const m = /[a-zA-Z]/.test(v) ? DOMAIN.exec(v) : null;
  if (m && m[1]!.length < 255) return m[1]!;
  throw new Error(`${v} is not a valid domain`);
}

/** opts.ValidateExtraHost: `name:ip`, `name=ip`, `[v6]` brackets and `host-gateway`, sent as `name:ip`. */
export function validateExtraHost(val: string): string {
  let sep = val.indexOf('=');
  if (sep < 0) sep = val.indexOf(':');
  const k = sep < 0 ? '' : val.slice(0, sep);
  let v = val.slice(sep + 1);
  if (sep < 0 || k === '' || k.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(val)}`);
  if (v !== 'host-gateway') {
    if (v.length > 2 && v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    // Validated only: the address is sent as written, so inspect and /etc/hosts show it that way.
    if (!parseIp(v.trim())) throw new Error(`invalid IP address in add-host: ${JSON.stringify(v)}`);
  }
  return `${k}:${v}`;
}

/** opts.NetworkOpt.Set: a network name, or the `name=…,alias=…,ip=…` form (read as CSV). */
export function parseNetworkAttachment(value: string): NetworkAttachment {
  if (!/\w+=\w+/.test(value)) return { target: value, aliases: [] };
  const n: NetworkAttachment = { target: '', aliases: [] };
  for (const field of readCsvRecord(value)) {
    // docker lower-cases the whole field, values included.
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    switch (key) {
      case 'name': n.target = val; break;
      case 'alias': n.aliases.push(val); break;
      case 'ip': n.ipv4 = val; break;
      case 'ip6': n.ipv6 = val; break;
      case 'mac-address': n.macAddress = val; break;
      case 'link-local-ip': (n.linkLocalIps ??= []).push(val); break;
      case 'driver-opt': {
        const e = val.indexOf('=');
        if (e <= 0) throw new Error('invalid key value pair format in driver options');
        (n.driverOpts ??= {})[val.slice(0, e).trim()] = val.slice(e + 1).trim();
        break;
      }
      case 'gw-priority':
        if (!/^[+-]?\d+$/.test(val)) throw new Error(`invalid gw-priority (${val}): invalid syntax`);
        n.gwPriority = Number(val);
        break;
      default:
        throw new Error(`invalid field key ${key}`);
    }
  }
  if (!n.target) throw new Error('network name/id is not specified');
  return n;
}

/** A commander parser for a flag checked by `check` (pflag: `invalid argument "v" for "--f" flag: …`). */
function checked(label: string, check: (v: string) => string) {
  return (v: string, prev: string[] | undefined) => {
    try {
      return collect(check(v), prev);
    } catch (e) {
      throw invalidFlagValue(label, v, (e as Error).message);
    }
  };
}

function networkFlag(v: string, prev: NetworkAttachment[] | undefined): NetworkAttachment[] {
  try {
    return [...(prev ?? []), parseNetworkAttachment(v)];
  } catch (e) {
    throw invalidFlagValue('--network', v, (e as Error).message);
  }
}

/** Adds a flag stored under another flag's name (`--net` for `--network`), hidden like docker's. */
function alias(cmd: Command, flags: string, attribute: string, parse: (v: string, p: never) => unknown): void {
  const o = new Option(flags).argParser(parse as (v: string, p: unknown) => unknown).hideHelp();
  o.attributeName = () => attribute;
  cmd.addOption(o);
}

/** Registers the networking flags of `run` and `create` (except `-p`/`-P`/`--expose`, kept with the others). */
export function addNetworkFlags(cmd: Command): void {
  cmd.option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', checked('--add-host', validateExtraHost));
  cmd.option('--dns <list>', 'Set custom DNS servers', checked('--dns', validateIpAddress));
  cmd.option('--dns-option <list>', 'Set DNS options', collect);
  alias(cmd, '--dns-opt <list>', 'dnsOption', collect);
  cmd.option('--dns-search <list>', 'Set custom DNS search domains', checked('--dns-search', validateDnsSearch));
  cmd.option('--domainname <string>', 'Container NIS domain name');
  cmd.option('--ip <string>', 'IPv4 address (e.g., 172.30.100.104)');
  cmd.option('--network <network>', 'Connect a container to a network', networkFlag);
  alias(cmd, '--net <network>', 'network', networkFlag);
  cmd.option('--network-alias <list>', 'Add network-scoped alias for the container', collect);
  alias(cmd, '--net-alias <list>', 'networkAlias', collect);
}

function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

function attachmentEndpoint(n: NetworkAttachment): EndpointSettings {
  if (n.target.trim() === '') throw new Error('no name set for network');
  if (!isUserDefined(n.target) && n.aliases.length) throw new Error('network-scoped aliases are only supported for user-defined networks');
  const ipam = n.ipv4 || n.ipv6 || n.linkLocalIps?.length
    ? { ...(n.ipv4 ? { IPv4Address: n.ipv4 } : {}), ...(n.ipv6 ? { IPv6Address: n.ipv6 } : {}), ...(n.linkLocalIps?.length ? { LinkLocalIPs: n.linkLocalIps } : {}) }
    : null;
  if (n.macAddress && !/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(n.macAddress)) throw new Error(`${n.macAddress} is not a valid mac address`);
  return endpointSettings({
    IPAMConfig: ipam,
    Aliases: n.aliases.length ? [...n.aliases] : null,
    MacAddress: n.macAddress ?? '',
    DriverOpts: n.driverOpts && Object.keys(n.driverOpts).length ? n.driverOpts : null,
    GwPriority: n.gwPriority ?? 0,
  });
}

function isZero(e: EndpointSettings): boolean {
  return !e.IPAMConfig && !e.Aliases && !e.MacAddress && !e.DriverOpts && !e.GwPriority;
}

/**
 * parseNetworkOpts: the endpoints to send. Without `--network` it is `default` with the
 * `--network-alias`/`--ip` settings; a single network without settings is left out (the
 * daemon creates that endpoint anyway); later networks are always listed.
 */
export function endpointsConfig(f: NetworkFlags): Record<string, EndpointSettings> {
  const nets = f.network ?? [];
  const apply = (n: NetworkAttachment): NetworkAttachment => {
    if (n.aliases.length && f.networkAlias?.length) throw new Error('conflicting options: cannot specify both --network-alias and per-network alias');
    if (n.ipv4 && f.ip) throw new Error('conflicting options: cannot specify both --ip and per-network IPv4 address');
    return { ...n, ...(f.networkAlias?.length ? { aliases: [...f.networkAlias] } : {}), ...(f.ip ? { ipv4: f.ip } : {}) };
  };
  const out: Record<string, EndpointSettings> = {};
  if (nets.length === 0) out['default'] = attachmentEndpoint(apply({ target: 'default', aliases: [] }));
  let user = false;
  let builtin = false;
  nets.forEach((raw, i) => {
    if (isUserDefined(raw.target)) user = true;
    else builtin = true;
    const ep = attachmentEndpoint(i === 0 ? apply(raw) : raw);
    if (raw.target in out) throw new Error(`network ${JSON.stringify(raw.target)} is specified multiple times`);
    if (i === 0 && nets.length === 1 && isZero(ep)) return;
    out[raw.target] = ep;
  });
  if (user && builtin) throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return out;
}

/** The create body's networking fields from the flags. */
export function networkBody(f: NetworkFlags) {
  return {
    Domainname: f.domainname ?? '',
    NetworkMode: f.network?.[0]?.target ?? 'default',
    // docker never sends null for the DNS lists, only for ExtraHosts.
    Dns: f.dns ?? [],
    DnsOptions: f.dnsOption ?? [],
    DnsSearch: f.dnsSearch ?? [],
    ExtraHosts: f.addHost?.length ? f.addHost : null,
    EndpointsConfig: endpointsConfig(f),
  };
}

/** convertToStandardNotation: `-p published=8080,target=80,protocol=udp` → `8080:80/udp`. */
export function standardPortNotation(specs: readonly string[]): string[] {
  return specs.map((spec) => {
    if (!spec.includes('=')) return spec;
    const params: Record<string, string> = { protocol: 'tcp' };
    for (const param of spec.split(',')) {
      const eq = param.indexOf('=');
      if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
      params[param.slice(0, eq)] = param.slice(eq + 1);
    }
    return `${params['published'] ?? ''}:${params['target'] ?? ''}/${params['protocol']}`;
  });
}

/** strconv.ParseUint(s, 10, 16) as nat.ParsePortRange uses it, with Go's error text. */
function parseUint16(s: string): number {
  if (!/^\d+$/.test(s)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  if (Number(s) > 65535) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
  return Number(s);
}

/**
 * `--expose` values into ExposedPorts (`80`, `90-91/udp`): docker checks the range but not
 * the protocol, which it keeps as written.
 */
export function addExposed(exposed: Record<string, Record<string, never>>, values: readonly string[]): void {
  for (const e of values) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const parts = e.split('/');
    const port = parts[0] ?? '';
    const proto = port === '' ? '' : parts.length > 1 && parts[1] !== '' ? parts[1]! : 'tcp';
    let start: number;
    let end: number;
    try {
      if (port === '') throw new Error('empty string specified for ports');
      const [a, b] = port.split('-');
      start = parseUint16(a!);
      end = b === undefined ? start : parseUint16(b);
      if (end < start) throw new Error(`invalid range specified for port: ${port}`);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let p = start; p <= end; p++) exposed[`${p}/${proto}`] ??= {};
  }
}

/** A copy of a map with its keys in Go's encoding order (sorted), as docker's body has them. */
export function sortedKeys<T>(m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]));
}

/** localhostDNSWarning: the client's own warning for a loopback `--dns` server. */
export function localhostDnsWarning(dns: readonly string[]): string | undefined {
  const addr = dns.find((d) => /^127\.\d+\.\d+\.\d+$/.test(d) || d === '::1');
  return addr === undefined ? undefined : `Localhost DNS (${addr}) may fail in containers.`;
}
