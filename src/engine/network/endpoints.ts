/**
 * Plugging containers into networks: at create, the network mode and endpoint settings are
 * checked and recorded; when the sandbox is made, each network is added to the container's
 * namespace through CNI (eth0, eth1, …: a veth pair whose host side joins the bridge), with
 * the published ports on the first network; when the container stops, CNI DEL undoes it.
 */
import { randomBytes } from 'node:crypto';
import type { Host } from '../../host/host.js';
import { invalidArgument, isKind, messageOf, notFound, permissionDenied } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { addNetworkList, delNetworkList, type CniResult } from './cni.js';
import { networkList } from './conflist.js';
import { contains, parseCidr } from './ipnet.js';
import { allocatePorts, type PortMapping } from './ports.js';
import type { EndpointRecord, PortMap } from './record.js';
import type { NetworkService } from './service.js';

/** The container fields networking reads and writes. */
export interface NetworkedContainer {
  Id: string;
  Name: string;
  Config: { ExposedPorts?: Record<string, object> };
  HostConfig: { NetworkMode?: string; PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }>>; PublishAllPorts?: boolean };
  Networks?: Record<string, EndpointRecord>;
  Ports?: PortMap;
  PortMappings?: PortMapping[];
}

export interface EndpointRequest {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
}

export class Endpoints {
  constructor(
    private readonly networks: NetworkService,
    private readonly host: Host,
    private readonly dataRoot: string,
    /** Host ports held by this daemon's other running containers. */
    private readonly portsInUse: (exceptId: string) => PortMapping[],
    /** Reports `connect`/`disconnect` of a container's endpoint, as Docker's network events do. */
    private readonly onEvent: (action: 'connect' | 'disconnect', netId: string, containerId: string) => void = () => undefined,
  ) {}

  private endpoint(netRef: string, req: EndpointRequest | undefined): [string, EndpointRecord] {
    const net = this.networks.find(netRef);
    // Like Docker, an unknown network fails the start, not the create (a 404 from create
    // would make the docker CLI try to pull the image).
    if (!net) return [netRef, { NetworkID: '', EndpointID: '', Aliases: req?.Aliases ?? null, IPAMConfig: null, IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', IfName: '' }];
    const user = net.Driver === 'bridge' && net.Name !== 'bridge';
    const ip = req?.IPAMConfig?.IPv4Address;
    if (ip && !user) throw invalidArgument('user specified IP address is supported on user defined networks only');
    if (req?.Aliases?.length && !user) throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
    if (ip && !contains(parseCidr(net.IPAM.Config[0]!.Subnet), ip)) throw invalidArgument(`no configured subnet or ip-range contain the IP address ${ip}`);
    return [net.Name, { NetworkID: net.Id, EndpointID: '', Aliases: req?.Aliases ?? null, IPAMConfig: ip ? { IPv4Address: ip } : null, IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', IfName: '' }];
  }

  /** Checks the network mode of a create request and returns the endpoints to record. */
  plan(mode: string, requested: Record<string, EndpointRequest> | undefined): Record<string, EndpointRecord> {
    if (mode === 'host' || mode.startsWith('container:')) {
      if (requested && Object.keys(requested).length) throw invalidArgument(`conflicting options: ${mode.split(':')[0]} type network can't be used with multiple networks`);
      return mode === 'host' ? Object.fromEntries([this.endpoint('host', undefined)]) : {};
    }
    const first = mode === 'default' ? 'bridge' : mode;
    const out: Record<string, EndpointRecord> = {};
    // The docker CLI sends the mode's own settings under the mode's name (`default` included).
    const own = requested?.[mode] ?? requested?.[first] ?? requested?.[this.networks.find(first)?.Name ?? first];
    const [name, ep] = this.endpoint(first, own);
    out[name] = ep;
    for (const [ref, req] of Object.entries(requested ?? {})) {
      if (ref === mode || (this.networks.find(ref)?.Name ?? ref) === name) continue;
      if (mode === 'none') throw invalidArgument("conflicting options: none type network can't be used with multiple networks");
      const [n, e] = this.endpoint(ref, req);
      out[n] = e;
    }
    return out;
  }

  /** CNI ADD for every bridge network of the container; on failure nothing stays attached. */
  async attach(c: NetworkedContainer, netns: string): Promise<void> {
    await this.byContainer.get(c.Id);
    const eps = Object.entries(c.Networks ?? {});
    const done: EndpointRecord[] = [];
    let first = true;
    try {
      for (const [name, ep] of eps) {
        const net = ep.NetworkID ? this.networks.find(ep.NetworkID) : this.networks.find(name);
        if (!net) throw notFound(`network ${name} not found`);
        ep.NetworkID = net.Id;
        if (net.Driver !== 'bridge') continue;
        ep.IfName = `eth${done.length}`;
        ep.EndpointID = randomBytes(32).toString('hex');
        let portMappings: PortMapping[] | undefined;
        if (first) {
          const { mappings, ports } = await allocatePorts(c.HostConfig.PortBindings, c.Config.ExposedPorts, !!c.HostConfig.PublishAllPorts, this.portsInUse(c.Id)).catch((err: unknown) => {
            throw isKind(err, 'Conflict') ? Object.assign(err, { message: `driver failed programming external connectivity on endpoint ${c.Name.slice(1)} (${ep.EndpointID}): ${err.message}` }) : err;
          });
          c.Ports = ports;
          c.PortMappings = mappings;
          portMappings = mappings;
        }
        first = false;
        const runtimeConfig: Record<string, unknown> = {
          ...(portMappings?.length ? { portMappings: cniPorts(portMappings) } : {}),
          ...(ep.IPAMConfig?.IPv4Address ? { ips: [`${ep.IPAMConfig.IPv4Address}/${parseCidr(net.IPAM.Config[0]!.Subnet).bits}`] } : {}),
        };
        const result = await addNetworkList(this.host, networkList(net, this.dataRoot, !!portMappings?.length), { containerId: c.Id, netns, ifName: ep.IfName, runtimeConfig });
        fillEndpoint(ep, result);
        this.onEvent('connect', net.Id, c.Id);
        done.push(ep);
      }
    } catch (err) {
      await this.rollback(c, netns);
      throw err;
    }
  }

  /**
   * Connects a container to one more network (`network connect`): recorded, and plugged in
   * now when the container's namespace exists (`netns`).
   */
  async connect(c: NetworkedContainer, netRef: string, req: EndpointRequest | undefined, netns: string | undefined): Promise<void> {
    const mode = c.HostConfig.NetworkMode ?? 'default';
    const net = this.networks.get(netRef);
    if (mode === 'host' || mode.startsWith('container:') || net.Driver !== 'bridge') throw invalidArgument(`container cannot be connected to network ${net.Name} in ${mode.split(':')[0]} network mode`);
    if (c.Networks?.[net.Name]) throw permissionDenied(`endpoint with name ${c.Name.slice(1)} already exists in network ${net.Name}`);
    if (mode === 'none') throw invalidArgument('container cannot be disconnected from host network or connected to host network');
    const [name, ep] = this.endpoint(net.Id, req);
    if (!netns) {
      c.Networks = { ...(c.Networks ?? {}), [name]: ep };
      return;
    }
    const used = new Set(Object.values(c.Networks ?? {}).map((e) => e.IfName));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    ep.IfName = `eth${i}`;
    ep.EndpointID = randomBytes(32).toString('hex');
    // Published ports follow the container's external connectivity: an endpoint joining a
    // container that has none (its first network was disconnected) takes them over.
    let portMappings: PortMapping[] | undefined;
    const wantsPorts = Object.keys(c.HostConfig.PortBindings ?? {}).length > 0 || !!c.HostConfig.PublishAllPorts;
    if (wantsPorts && !c.PortMappings?.length) {
      const { mappings, ports } = await allocatePorts(c.HostConfig.PortBindings, c.Config.ExposedPorts, !!c.HostConfig.PublishAllPorts, this.portsInUse(c.Id));
      c.Ports = ports;
      c.PortMappings = mappings;
      portMappings = mappings;
    }
    const runtimeConfig = {
      ...(portMappings?.length ? { portMappings: cniPorts(portMappings) } : {}),
      ...(ep.IPAMConfig?.IPv4Address ? { ips: [`${ep.IPAMConfig.IPv4Address}/${parseCidr(net.IPAM.Config[0]!.Subnet).bits}`] } : {}),
    };
    fillEndpoint(ep, await addNetworkList(this.host, networkList(net, this.dataRoot, !!portMappings?.length), { containerId: c.Id, netns, ifName: ep.IfName, runtimeConfig }));
    // Ports travel with the endpoint that carries them, first in the map (see disconnect).
    c.Networks = portMappings?.length ? { [name]: ep, ...(c.Networks ?? {}) } : { ...(c.Networks ?? {}), [name]: ep };
  }

  /** Disconnects a container from one network (`network disconnect`). */
  async disconnect(c: NetworkedContainer, netRef: string, netns: string | undefined): Promise<void> {
    const net = this.networks.get(netRef);
    const ep = c.Networks?.[net.Name];
    if (!ep) throw permissionDenied(`container ${c.Id} is not connected to network ${net.Name}`);
    if (netns && ep.IfName && net.Driver === 'bridge') {
      const ports = Object.keys(c.Networks!)[0] === net.Name ? c.PortMappings ?? [] : [];
      const runtimeConfig = ports.length ? { portMappings: cniPorts(ports) } : {};
      await delNetworkList(this.host, networkList(net, this.dataRoot, ports.length > 0), { containerId: c.Id, netns, ifName: ep.IfName, runtimeConfig }, ep.Cni);
      if (ports.length) {
        c.Ports = undefined;
        c.PortMappings = undefined;
      }
    }
    const rest = { ...c.Networks };
    delete rest[net.Name];
    c.Networks = rest;
  }

  /** The gateway of the container's first user network, where the embedded DNS server listens. */
  embeddedDns(c: NetworkedContainer): string | undefined {
    for (const ep of Object.values(c.Networks ?? {})) {
      const net = this.networks.find(ep.NetworkID);
      if (net && net.Driver === 'bridge' && net.Name !== 'bridge' && this.networks.dnsServing(net.Id)) return net.IPAM.Config[0]!.Gateway;
    }
    return undefined;
  }

  /**
   * Undoes a failed attach while the namespace stays: DEL with the namespace, so an interface
   * a plugin already made is removed and a retry can make it again.
   */
  private async rollback(c: NetworkedContainer, netns: string): Promise<void> {
    for (const [name, ep] of Object.entries(c.Networks ?? {})) {
      const net = ep.NetworkID ? this.networks.find(ep.NetworkID) : undefined;
      if (net && net.Driver === 'bridge' && ep.IfName) {
        const ports = name === Object.keys(c.Networks!)[0] ? c.PortMappings ?? [] : [];
        const runtimeConfig = ports.length ? { portMappings: cniPorts(ports) } : {};
        await delNetworkList(this.host, networkList(net, this.dataRoot, ports.length > 0), { containerId: c.Id, netns, ifName: ep.IfName, runtimeConfig }, ep.Cni).catch((err) =>
          log.warn('network rollback failed', { id: c.Id, network: name, error: messageOf(err) }),
        );
      }
      Object.assign(ep, { EndpointID: '', IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', IfName: '', Cni: undefined });
    }
    c.Ports = undefined;
    c.PortMappings = undefined;
  }

  /**
   * Detaches the container from its networks once its namespace is going away: the records
   * are cleared at once and CNI DEL runs in the background, off the stop path. DEL is given no
   * namespace — the veth pair dies with the namespace — so it releases the address and the
   * published ports only. A crash that lost the record of an ADD is covered too: DEL of what
   * was never added is a no-op.
   */
  detach(c: NetworkedContainer): void {
    for (const [name, ep] of Object.entries(c.Networks ?? {})) {
      const net = ep.NetworkID ? this.networks.find(ep.NetworkID) : undefined;
      if (net && net.Driver === 'bridge') {
        const ports = name === Object.keys(c.Networks!)[0] ? c.PortMappings ?? [] : [];
        const runtimeConfig = ports.length ? { portMappings: cniPorts(ports) } : {};
        const job = delNetworkList(this.host, networkList(net, this.dataRoot, ports.length > 0), { containerId: c.Id, netns: '', ifName: ep.IfName || 'eth0', runtimeConfig }, ep.Cni)
          .catch((err) => log.warn('network detach failed', { id: c.Id, network: name, error: messageOf(err) }))
          .finally(() => {
            this.pending.delete(job);
            if (this.byContainer.get(c.Id) === job) this.byContainer.delete(c.Id);
          });
        this.pending.add(job);
        this.byContainer.set(c.Id, Promise.all([this.byContainer.get(c.Id), job]).then(() => undefined));
      }
      if (ep.EndpointID && net) this.onEvent('disconnect', net.Id, c.Id);
      Object.assign(ep, { EndpointID: '', IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', IfName: '', Cni: undefined });
    }
    c.Ports = undefined;
    c.PortMappings = undefined;
  }

  private pending = new Set<Promise<void>>();
  /** A container's detach still running: its next attach waits, so DEL never frees a new lease. */
  private byContainer = new Map<string, Promise<void>>();

  /** Waits for background detaches (daemon shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}

/** portmap's form: an empty host IP means every address. */
function cniPorts(ports: PortMapping[]): PortMapping[] {
  return ports.map((m) => ({ ...m, hostIP: m.hostIP === '0.0.0.0' ? '' : m.hostIP }));
}

function fillEndpoint(ep: EndpointRecord, r: CniResult): void {
  const ip = r.ips?.[0];
  const [addr = '', prefix = '0'] = (ip?.address ?? '').split('/');
  const iface = ip?.interface !== undefined ? r.interfaces?.[ip.interface] : r.interfaces?.find((i) => i.sandbox);
  Object.assign(ep, { IPAddress: addr, IPPrefixLen: Number(prefix), Gateway: ip?.gateway ?? '', MacAddress: iface?.mac ?? '', Cni: r });
}
