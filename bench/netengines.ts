/**
 * The engines as the networking metrics need them: a second reference dockerd with its bridge
 * network, iptables and userland proxy (the first one runs with networking off, so the engine
 * metrics keep measuring what they always did), and the marks that tell each engine's host
 * network state from everyone else's (see hostnet.ts).
 */
import { docker, getJson, startDocker, type Engine } from './engines.js';
import { bridgePorts, freeDockerRange, markAddress, markWord, newMarks, type NetMarks, type NetState } from './hostnet.js';
import { runOk } from './proc.js';

/** The chains dockerd 20.10 makes in filter and nat. */
const DOCKER_CHAINS = ['DOCKER', 'DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2'];

/**
 * Starts dockerd with networking. Its bridge is made here, under a name of ours with an address
 * in a free 10.X/16, and its user networks come from the same /16; everything it adds to the
 * host is marked in `marks` before dockerd starts, so a failed start is cleaned up too.
 */
export async function startNetDocker(root: string, before: NetState, marks: NetMarks): Promise<{ engine: Engine; range: string }> {
  const range = await freeDockerRange();
  if (!range) throw new Error('no free 10.X.0.0/16 on this host for the reference dockerd\'s networks');
  const bridge = `bdn-${root.slice(-6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
  marks.hostWide = true;
  markWord(marks, bridge);
  marks.links.add(bridge);
  markAddress(marks, range.prefix);
  marks.proxies = new RegExp(`-container-ip ${range.prefix.replace(/\./g, '\\.')}`);
  // The chain names are ours only if no other dockerd on the host had made them already.
  const had = before.tables.get('iptables filter') ?? [];
  for (const c of DOCKER_CHAINS) if (!had.includes(`-N ${c}`)) markWord(marks, c);
  await runOk('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await runOk('ip', ['addr', 'add', range.bridgeAddr, 'dev', bridge]);
  await runOk('ip', ['link', 'set', bridge, 'up']);
  const engine = await startDocker(root, { bridge, pool: range.pool });
  return { engine, range: `${range.pool} (user networks), ${range.bridgeAddr} on bridge ${bridge}` };
}

interface NetInspect {
  Id: string;
  Options?: Record<string, string>;
  IPAM?: { Config?: Array<{ Subnet?: string }> };
}

/**
 * Marks a network of `e`: its bridge (Berth names it in the bridge.name option, Docker's user
 * networks are br-<id>) and subnet. Berth's default bridge also names its iptables chains.
 */
export async function markNetwork(e: Engine, marks: NetMarks, name: string): Promise<string | undefined> {
  const n = (await getJson(e, `/networks/${name}`)) as NetInspect | undefined;
  if (!n) return undefined;
  const bridge = n.Options?.['com.docker.network.bridge.name'] ?? (e.label === 'Docker' && name !== 'bridge' ? `br-${n.Id.slice(0, 12)}` : undefined);
  if (bridge) {
    markWord(marks, bridge);
    marks.links.add(bridge);
    const tag = /^bb-(\w+)$/.exec(bridge)?.[1];
    if (tag) for (const c of ['FWD', 'ISO1', 'ISO2', 'NAT']) markWord(marks, `BERTH-${c}-${tag}`);
  }
  for (const c of n.IPAM?.Config ?? []) if (c.Subnet) markAddress(marks, c.Subnet);
  return bridge;
}

/** The marks of Berth's daemon: its default bridge, chains and subnet claims. */
export async function berthMarks(e: Engine): Promise<NetMarks> {
  const m = newMarks('Berth');
  m.claimsOwner = e.dir + '/';
  m.idleCniChains = true;
  await markNetwork(e, m, 'bridge');
  return m;
}

/**
 * Marks a running container: its id (portmap's rules name it), addresses, and the host ends of
 * its veth pairs (every port of the bridges it is on: those bridges hold only our containers).
 */
export async function markContainer(e: Engine, marks: NetMarks, name: string): Promise<void> {
  const c = (await getJson(e, `/containers/${name}/json`)) as { Id: string; NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; NetworkID?: string }> } } | undefined;
  if (!c) return;
  markWord(marks, c.Id);
  for (const [net, ep] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    if (ep.IPAddress) markAddress(marks, ep.IPAddress);
    const bridge = await markNetwork(e, marks, net);
    if (bridge) for (const p of await bridgePorts(bridge)) marks.links.add(p);
  }
}

/** Removes a container and a network by name, ignoring "no such" (clean-up of a metric). */
export async function removeQuietly(e: Engine, containers: string[], network?: string): Promise<void> {
  if (containers.length) await docker(e, ['rm', '-f', ...containers], { timeoutMs: 60_000 });
  if (network) await docker(e, ['network', 'rm', network], { timeoutMs: 60_000 });
}

