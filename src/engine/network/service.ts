/**
 * Networks (the lecture's `docker0` bridge, `veth` pairs, NAT, and user-defined networks):
 * the predefined `bridge`, `host` and `none`, and networks users create. Each bridge network
 * is a host bridge with the gateway address, a claimed subnet, and isolation rules; containers
 * are plugged in through CNI (see endpoints.ts).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Host } from '../../host/host.js';
import { deleteLink, ensureBridge, linkExists, removeIdleCniChains } from '../../host/net.js';
import { conflict, permissionDenied, invalidArgument, notFound } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { DnsServer } from './dns.js';
import { contains, formatCidr, nthHost, parseCidr } from './ipnet.js';
import { NetworkRules } from './rules.js';
import { NetworkStore, type IpamConfig, type NetworkRecord } from './record.js';
import { allocateSubnet, claim, release } from './subnets.js';

export interface NetworkServiceOptions {
  host: Host;
  dataRoot: string;
  /** Short id of this daemon: names its default bridge and iptables chains. */
  tag: string;
  /** `--bip`: the default bridge's gateway address with prefix (e.g. 172.17.0.1/16). */
  bip?: string;
  /** Containers connected to a network (ids), to refuse removing a network in use. */
  usersOf?: (netId: string) => string[];
  /** Names (container name, aliases, short id) and address of each container on a network. */
  namesOn?: (netId: string) => Array<{ names: string[]; ip: string; dns?: string[] }>;
}

export interface CreateNetworkRequest {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  CheckDuplicate?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> | null; Options?: Record<string, string> | null };
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

const PREDEFINED = new Set(['bridge', 'host', 'none']);

export class NetworkService {
  readonly store: NetworkStore;
  readonly rules: NetworkRules;
  private nets = new Map<string, NetworkRecord>();
  private dns = new Map<string, DnsServer>();

  constructor(readonly opts: NetworkServiceOptions) {
    this.store = new NetworkStore(path.join(opts.dataRoot, 'network', 'networks'));
    this.rules = new NetworkRules(opts.tag);
  }

  private newRecord(name: string, driver: NetworkRecord['Driver'], ipam: IpamConfig[], extra: Partial<NetworkRecord> = {}): NetworkRecord {
    return {
      Name: name, Id: randomBytes(32).toString('hex'), Created: new Date().toISOString(), Scope: 'local', Driver: driver,
      EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: ipam }, Internal: false, Attachable: false, Ingress: false,
      ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: {}, ...extra,
    };
  }

  /** Loads networks, creates the predefined ones, and brings every bridge up. */
  async init(): Promise<void> {
    for (const n of await this.store.loadAll()) this.nets.set(n.Id, n);
    if (!this.find('host')) await this.save(this.newRecord('host', 'host', []));
    if (!this.find('none')) await this.save(this.newRecord('none', 'null', []));
    if (!this.find('bridge')) {
      const rec = this.newRecord('bridge', 'bridge', [], {
        BridgeName: this.opts.dataRoot === '/var/lib/berth' ? 'berth0' : `bb-${this.opts.tag}`,
        Options: { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_ip_masquerade': 'true' },
      });
      rec.IPAM.Config = [await this.ipamFor(rec, this.opts.bip ? [{ Subnet: formatCidr(parseCidr(this.opts.bip)), Gateway: this.opts.bip.split('/')[0] }] : [])];
      await this.save(rec);
    }
    for (const n of this.nets.values()) if (n.Driver === 'bridge') await this.bringUp(n);
  }

  private async bringUp(n: NetworkRecord): Promise<void> {
    if (!(await claim(parseCidr(n.IPAM.Config[0]!.Subnet), this.store.file(n.Id)))) {
      // Another daemon took the subnet while this one was down. The default bridge (unless set
      // with --bip) moves to a free subnet when nothing of it is left on the host; otherwise
      // the overlap is reported.
      if (n.Name === 'bridge' && !this.opts.bip && !(await linkExists(n.BridgeName!))) {
        n.IPAM.Config = [await this.ipamFor(n, [])];
        await this.save(n);
      } else log.warn('network subnet also claimed by another daemon', { network: n.Name, subnet: n.IPAM.Config[0]!.Subnet });
    }
    const ipam = n.IPAM.Config[0]!;
    await ensureBridge(n.BridgeName!, `${ipam.Gateway}/${parseCidr(ipam.Subnet).bits}`);
    await this.rules.add(n);
    if (n.Name !== 'bridge' && !this.dns.has(n.Id)) {
      // Docker resolves container names on user-defined networks only.
      const server = new DnsServer(
        ipam.Gateway,
        (name) => (this.opts.namesOn?.(n.Id) ?? []).filter((c) => c.names.some((x) => x.toLowerCase() === name)).map((c) => c.ip),
        (ip) => (this.opts.namesOn?.(n.Id) ?? []).find((c) => c.ip === ip)?.dns,
      );
      await server.start().then(
        () => this.dns.set(n.Id, server),
        (err: Error) => log.warn('embedded DNS server not started', { network: n.Name, error: err.message }),
      );
    }
  }

  /** True when the network's embedded DNS server is listening. */
  dnsServing(netId: string): boolean {
    return this.dns.has(netId);
  }

  private stopDns(netId: string): void {
    this.dns.get(netId)?.close();
    this.dns.delete(netId);
  }

  /** Brings bridges down and removes rules (unless containers keep running: live-restore). */
  async shutdown(keep: boolean): Promise<void> {
    for (const id of [...this.dns.keys()]) this.stopDns(id);
    if (keep) return;
    for (const n of this.nets.values()) {
      if (n.Driver !== 'bridge') continue;
      await deleteLink(n.BridgeName!).catch(() => undefined);
      await release(n.IPAM.Config[0]!.Subnet, this.store.file(n.Id)).catch(() => undefined);
    }
    await this.rules.removeAll();
    await removeIdleCniChains();
  }

  private async save(n: NetworkRecord): Promise<void> {
    await this.store.save(n);
    this.nets.set(n.Id, n);
  }

  list(): NetworkRecord[] {
    return [...this.nets.values()];
  }

  find(ref: string): NetworkRecord | undefined {
    if (!ref) return undefined;
    const byId = this.nets.get(ref);
    if (byId) return byId;
    for (const n of this.nets.values()) if (n.Name === ref) return n;
    const hits = [...this.nets.values()].filter((n) => n.Id.startsWith(ref));
    return hits.length === 1 ? hits[0] : undefined;
  }

  get(ref: string): NetworkRecord {
    const n = this.find(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  /** Checks a requested IPAM config, or allocates a free subnet. */
  private async ipamFor(rec: NetworkRecord, asked: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }>): Promise<IpamConfig> {
    const taken = this.list().filter((n) => n.Id !== rec.Id).flatMap((n) => n.IPAM.Config.map((c) => c.Subnet));
    const a = asked[0] ?? {};
    if (!a.Subnet) {
      if (a.Gateway || a.IPRange) throw invalidArgument('invalid pool request: gateway or ip-range given without a subnet');
      const subnet = await allocateSubnet(taken, this.store.file(rec.Id));
      return { Subnet: subnet, Gateway: nthHost(parseCidr(subnet), 1) };
    }
    const c = parseCidr(a.Subnet);
    const subnet = formatCidr(c);
    for (const t of taken) if (subnet === formatCidr(parseCidr(t)) || contains(parseCidr(t), nthHost(c, 0)) || contains(c, nthHost(parseCidr(t), 0)))
      throw permissionDenied(`Pool overlaps with other one on this address space`);
    if (a.Gateway && !contains(c, a.Gateway)) throw invalidArgument(`Invalid gateway address ${a.Gateway}: it is not in subnet ${subnet}`);
    if (a.IPRange) {
      const r = parseCidr(a.IPRange);
      if (!contains(c, nthHost(r, 0)) || r.bits < c.bits) throw invalidArgument(`Invalid ip-range ${a.IPRange}: it is not in subnet ${subnet}`);
    }
    if (!(await claim(c, this.store.file(rec.Id)))) throw permissionDenied('Pool overlaps with other one on this address space');
    return { Subnet: subnet, Gateway: a.Gateway || nthHost(c, 1), ...(a.IPRange ? { IPRange: formatCidr(parseCidr(a.IPRange)) } : {}) };
  }

  async create(req: CreateNetworkRequest): Promise<NetworkRecord> {
    const name = req.Name ?? '';
    if (!name) throw invalidArgument('network name must not be empty');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid network name "${name}"`);
    if (PREDEFINED.has(name)) throw permissionDenied(`${name} is a pre-defined network and cannot be created`);
    if (this.find(name)?.Name === name) throw conflict(`network with name ${name} already exists`);
    const driver = req.Driver || 'bridge';
    if (driver !== 'bridge') throw invalidArgument(`plugin "${driver}" not found`);
    if (req.EnableIPv6) throw invalidArgument('IPv6 networks are not supported');
    const rec = this.newRecord(name, 'bridge', [], {
      Internal: !!req.Internal, Attachable: !!req.Attachable, Labels: req.Labels ?? {}, Options: req.Options ?? {},
    });
    rec.BridgeName = `br-${rec.Id.slice(0, 12)}`;
    rec.IPAM.Options = req.IPAM?.Options ?? {};
    rec.IPAM.Config = [await this.ipamFor(rec, req.IPAM?.Config ?? [])];
    try {
      await this.save(rec);
      await this.bringUp(rec);
    } catch (err) {
      await this.destroy(rec).catch(() => undefined);
      throw err;
    }
    return rec;
  }

  private async destroy(n: NetworkRecord): Promise<void> {
    this.stopDns(n.Id);
    if (n.Driver === 'bridge') {
      await this.rules.remove(n);
      await deleteLink(n.BridgeName!);
      await release(n.IPAM.Config[0]!.Subnet, this.store.file(n.Id));
    }
    await this.store.delete(n.Id);
    this.nets.delete(n.Id);
  }

  async remove(ref: string): Promise<NetworkRecord> {
    const n = this.get(ref);
    if (PREDEFINED.has(n.Name)) throw permissionDenied(`${n.Name} is a pre-defined network and cannot be removed`);
    const users = this.opts.usersOf?.(n.Id) ?? [];
    if (users.length) throw permissionDenied(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);
    await this.destroy(n);
    return n;
  }
}
