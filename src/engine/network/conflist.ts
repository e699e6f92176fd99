/**
 * The CNI configuration of a bridge network: the `bridge` plugin (a veth pair into the
 * network's bridge, with `host-local` address management keeping its leases under the
 * daemon's data root), and `portmap` when the container publishes ports. Forwarding, NAT and
 * isolation are per-network host rules (rules.ts), so a container start runs no iptables.
 */
import path from 'node:path';
import type { CniNetworkList } from './cni.js';
import { cidrSize, intToIp, parseCidr } from './ipnet.js';
import type { NetworkRecord } from './record.js';

export function networkList(net: NetworkRecord, dataRoot: string, withPorts = false): CniNetworkList {
  const ipam = net.IPAM.Config[0]!;
  const range: Record<string, string> = { subnet: ipam.Subnet, gateway: ipam.Gateway };
  if (ipam.IPRange) {
    // host-local hands out addresses within rangeStart..rangeEnd of the subnet.
    const [start, end] = rangeBounds(ipam.IPRange);
    range.rangeStart = start;
    range.rangeEnd = end;
  }
  return {
    name: net.Name,
    plugins: [
      {
        type: 'bridge',
        bridge: net.BridgeName,
        isGateway: true,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: true,
        capabilities: { ips: true, mac: true },
        ipam: {
          type: 'host-local',
          dataDir: path.join(dataRoot, 'network', 'ipam'),
          ranges: [[range]],
          // An internal network reaches nothing outside: no default route.
          routes: net.Internal ? [] : [{ dst: '0.0.0.0/0' }],
        },
      },
      ...(withPorts ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : []),
    ],
  };
}


function rangeBounds(cidr: string): [string, string] {
  const c = parseCidr(cidr);
  // Skip the network address; the last address is the broadcast of a full subnet.
  return [intToIp(c.base + (c.bits < 31 ? 1 : 0)), intToIp(c.base + cidrSize(c) - (c.bits < 31 ? 2 : 1))];
}
