/**
 * How a container's networking looks in `inspect` (`NetworkSettings`) and `ps` (`Ports`,
 * `NetworkSettings.Networks`), in Docker's shapes.
 */
import type { EndpointRecord } from '../network/record.js';
import type { ContainerRecord } from './record.js';

function endpointView(rec: ContainerRecord, ep: EndpointRecord): Record<string, unknown> {
  return {
    IPAMConfig: ep.IPAMConfig, Links: null, Aliases: ep.Aliases, MacAddress: ep.MacAddress, DriverOpts: null,
    NetworkID: ep.NetworkID, EndpointID: ep.EndpointID, Gateway: ep.Gateway, IPAddress: ep.IPAddress, IPPrefixLen: ep.IPPrefixLen,
    IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    DNSNames: ep.IPAddress ? [rec.Name.slice(1), rec.Id.slice(0, 12), ...(ep.Aliases ?? [])] : null,
  };
}

export function networksView(rec: ContainerRecord): Record<string, unknown> {
  return Object.fromEntries(Object.entries(rec.Networks ?? {}).map(([name, ep]) => [name, endpointView(rec, ep)]));
}

/** `NetworkSettings` of inspect; the top-level address fields describe the default bridge, as in Docker. */
export function networkSettingsView(rec: ContainerRecord, sandboxKey: string): Record<string, unknown> {
  const bridge = rec.Networks?.['bridge'];
  const running = rec.State.Status === 'running' || rec.State.Status === 'paused';
  const ports: Record<string, unknown> = {};
  for (const k of Object.keys(rec.Config.ExposedPorts ?? {})) ports[k] = null;
  Object.assign(ports, rec.Ports ?? {});
  return {
    Bridge: '', SandboxID: running ? rec.Id : '', SandboxKey: running ? sandboxKey : '', HairpinMode: false, LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0, Ports: ports, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '', Gateway: bridge?.Gateway ?? '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    IPAddress: bridge?.IPAddress ?? '', IPPrefixLen: bridge?.IPPrefixLen ?? 0, IPv6Gateway: '', MacAddress: bridge?.MacAddress ?? '',
    Networks: networksView(rec),
  };
}

/** The `Ports` list of `GET /containers/json`. */
export function portsList(rec: ContainerRecord): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  // Ports belong to a running container's network endpoint; a stopped one shows none.
  if (rec.State.Status !== 'running' && rec.State.Status !== 'paused') return out;
  const published = rec.Ports ?? {};
  const keys = new Set([...Object.keys(rec.Config.ExposedPorts ?? {}), ...Object.keys(published)]);
  for (const key of keys) {
    const [port, type = 'tcp'] = key.split('/');
    const binds = published[key] ?? [];
    if (!binds.length) out.push({ PrivatePort: Number(port), Type: type });
    for (const b of binds) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}
