/**
 * Published ports: turning `HostConfig.PortBindings` (and `-P` with the image's EXPOSE) into
 * concrete host ports — an ephemeral port when none was given, the first free one of a range —
 * refusing a port that another container or a host program already holds, with Docker's words.
 */
import { probePort } from '../../host/net.js';
import { conflict, invalidArgument } from '../../lib/errors.js';
import type { PortMap } from './record.js';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIP: string;
}

type Binding = { HostIp?: string; HostPort?: string };

function splitKey(key: string): { port: number; proto: 'tcp' | 'udp' } {
  const [p, proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || (proto !== 'tcp' && proto !== 'udp')) throw invalidArgument(`invalid port specification: "${key}"`);
  return { port, proto };
}

const overlapsIp = (a: string, b: string) => a === b || a === '0.0.0.0' || b === '0.0.0.0';

/**
 * Allocates host ports for one container. `inUse` holds the mappings of this daemon's other
 * running containers. Returns the mappings for CNI and the `Ports` map for inspect/ps.
 */
export async function allocatePorts(
  bindings: Record<string, Binding[] | null> | undefined,
  exposed: Record<string, unknown> | undefined,
  publishAll: boolean,
  inUse: PortMapping[],
): Promise<{ mappings: PortMapping[]; ports: PortMap }> {
  const want: Record<string, Binding[]> = {};
  for (const [k, v] of Object.entries(bindings ?? {})) want[k] = v && v.length ? v : [{}];
  if (publishAll) for (const k of Object.keys(exposed ?? {})) want[k] ??= [{}];
  const mappings: PortMapping[] = [];
  const ports: PortMap = {};
  for (const k of Object.keys(exposed ?? {})) ports[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const [key, list] of Object.entries(want)) {
    const { port, proto } = splitKey(key);
    const norm = `${port}/${proto}`;
    ports[norm] = [];
    for (const b of list) {
      const hostIP = b.HostIp || '0.0.0.0';
      const taken = (hp: number) => [...inUse, ...mappings].some((m) => m.protocol === proto && m.hostPort === hp && overlapsIp(m.hostIP, hostIP));
      const spec = b.HostPort ?? '';
      let hostPort: number | undefined;
      if (!spec) {
        for (let i = 0; i < 20 && hostPort === undefined; i++) {
          const p = await probePort(hostIP, 0, proto);
          if (p !== undefined && !taken(p)) hostPort = p;
        }
      } else {
        const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
        if (!m) throw invalidArgument(`invalid port specification: "${spec}"`);
        const lo = Number(m[1]);
        const hi = Number(m[2] ?? m[1]);
        if (lo < 1 || hi > 65535 || lo > hi) throw invalidArgument(`invalid port specification: "${spec}"`);
        for (let p = lo; p <= hi && hostPort === undefined; p++) if (!taken(p) && (await probePort(hostIP, p, proto)) !== undefined) hostPort = p;
        if (hostPort === undefined) throw conflict(`Bind for ${hostIP}:${spec} failed: port is already allocated`);
      }
      if (hostPort === undefined) throw conflict(`Bind for ${hostIP}:0 failed: no free ephemeral port`);
      mappings.push({ hostPort, containerPort: port, protocol: proto, hostIP });
      ports[norm]!.push({ HostIp: hostIP, HostPort: String(hostPort) });
    }
  }
  return { mappings, ports };
}
