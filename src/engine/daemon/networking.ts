/**
 * Wiring the daemon's networking: the network service (bridges, rules, embedded DNS) and the
 * container endpoints, which learn about containers through the container service — given
 * as a getter, since that service is built after them and is handed the endpoints.
 */
import type { Host } from '../../host/host.js';
import type { ContainerRecord } from '../containers/record.js';
import type { ContainerService } from '../containers/service.js';
import { Endpoints } from '../network/endpoints.js';
import { NetworkService } from '../network/service.js';

const live = (r: ContainerRecord) => ['running', 'paused', 'restarting'].includes(r.State.Status);

export async function startNetworking(host: Host, dataRoot: string, tag: string, bip: string | undefined, containers: () => ContainerService) {
  const network: NetworkService = new NetworkService({
    host, dataRoot, tag, bip,
    usersOf: (netId) => containers().all().filter((r) => live(r) && Object.values(r.Networks ?? {}).some((e) => e.NetworkID === netId)).map((r) => r.Id),
    namesOn: (netId) =>
      containers().all().flatMap((r) =>
        Object.values(r.Networks ?? {})
          .filter((e) => e.NetworkID === netId && e.IPAddress)
          .map((e) => ({ names: [r.Name.slice(1), r.Id.slice(0, 12), ...(e.Aliases ?? [])], ip: e.IPAddress, dns: r.HostConfig.Dns as string[] | undefined })),
      ),
  });
  await network.init();
  const endpoints = new Endpoints(
    network, host, dataRoot,
    (except) => containers().all().filter((r) => r.Id !== except).flatMap((r) => r.PortMappings ?? []),
    (action, netId, containerId) => {
      const n = network.find(netId);
      const now = Date.now();
      if (n) containers().emit('event', { Type: 'network', Action: action, Actor: { ID: n.Id, Attributes: { name: n.Name, type: n.Driver, container: containerId } }, scope: 'local', time: Math.floor(now / 1000), timeNano: now * 1e6 });
    },
  );
  return { network, endpoints };
}
