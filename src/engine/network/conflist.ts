/**
 * The CNI configuration of a bridge network: the `bridge` plugin (with `host-local` address
 * management keeping its leases under the daemon's data root), `portmap` for published ports
 * and `firewall` to let the containers' traffic through the host's FORWARD chain.
 */
import path from 'node:path';
import type { CniNetworkList } from './cni.js';
import { cidrSize, intToIp, parseCidr } from './ipnet.js';
import type { NetworkRecord } from './record.js';

export function networkList(net: NetworkRecord, dataRoot: string): CniNetworkList {
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
        // An internal network reaches nothing outside: no NAT and no default route.
        ipMasq: !net.Internal,
        hairpinMode: true,
        capabilities: { ips: true, mac: true },
        ipam: {
          type: 'host-local',
          dataDir: path.join(dataRoot, 'network', 'ipam'),
          ranges: [[range]],
          routes: net.Internal ? [] : [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'firewall', backend: 'iptables' },
    ],
  };
}


function rangeBounds(cidr: string): [string, string] {
  const c = parseCidr(cidr);
  // Skip the network address; the last address is the broadcast of a full subnet.
  return [intToIp(c.base + (c.bits < 31 ? 1 : 0)), intToIp(c.base + cidrSize(c) - (c.bits < 31 ? 2 : 1))];
}
