/**
 * Calling CNI plugins as the CNI specification says: each plugin is a program run with
 * `CNI_COMMAND` (ADD, DEL, CHECK), the container id, the namespace path and the interface
 * name in its environment and its network configuration on stdin. A network is a list of
 * plugins (a "conflist"): ADD runs them in order, each given the previous one's result;
 * DEL runs them in reverse. This is the same path the kubelet will take for pods.
 */
import path from 'node:path';
import type { Host } from '../../host/host.js';
import { IPTABLES_LOCK } from '../../host/net.js';
import { failedPrecondition } from '../../lib/errors.js';

export const CNI_VERSION = '1.0.0';
export const CNI_PATH = '/usr/lib/cni';

/** Plugins that change iptables rules. */
const IPTABLES_PLUGINS = new Set(['portmap', 'firewall']);

export interface CniPlugin {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniNetworkList {
  name: string;
  plugins: CniPlugin[];
}

/** The parts of a CNI result Berth reads. */
export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: Record<string, unknown>;
}

export interface CniRuntime {
  containerId: string;
  netns: string;
  ifName: string;
  /** Values for plugins that declare the matching capability (e.g. `portMappings`). */
  runtimeConfig?: Record<string, unknown>;
}

async function invoke(host: Host, command: 'ADD' | 'DEL' | 'CHECK', plugin: CniPlugin, listName: string, rt: CniRuntime, prevResult?: CniResult): Promise<CniResult | undefined> {
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) if (on && rt.runtimeConfig?.[cap] !== undefined) runtimeConfig[cap] = rt.runtimeConfig[cap];
  const { capabilities: _caps, ...rest } = plugin;
  const conf = { cniVersion: CNI_VERSION, name: listName, ...rest, ...(Object.keys(runtimeConfig).length ? { runtimeConfig } : {}), ...(prevResult ? { prevResult } : {}) };
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifName,
    CNI_PATH,
  };
  const bin = path.join(CNI_PATH, plugin.type);
  // portmap rewrites iptables: it takes the daemons' iptables lock like every other writer.
  const [file, args] = IPTABLES_PLUGINS.has(plugin.type) ? ['flock', ['-w', '60', IPTABLES_LOCK, bin]] : [bin, []];
  const r = await host.run(file, args, { input: JSON.stringify(conf), env, timeoutMs: 60_000 });
  if (r.code !== 0) {
    let msg = r.stderr.trim() || `exit status ${r.code}`;
    try {
      const e = JSON.parse(r.stdout) as { msg?: string; details?: string };
      msg = [e.msg, e.details].filter(Boolean).join(': ') || msg;
    } catch {
      // not a CNI error object: keep stderr
    }
    throw failedPrecondition(`CNI plugin ${plugin.type} ${command} failed: ${msg}`);
  }
  return r.stdout.trim() ? (JSON.parse(r.stdout) as CniResult) : undefined;
}

/** ADD through every plugin of the list; returns the final result. */
export async function addNetworkList(host: Host, list: CniNetworkList, rt: CniRuntime): Promise<CniResult> {
  let result: CniResult | undefined;
  for (const plugin of list.plugins) result = (await invoke(host, 'ADD', plugin, list.name, rt, result)) ?? result;
  return result ?? {};
}

/**
 * DEL through every plugin in reverse, with the result of the ADD. DEL must succeed when
 * things are already gone, so one plugin's failure does not stop the others; the first
 * error is reported after all ran.
 */
export async function delNetworkList(host: Host, list: CniNetworkList, rt: CniRuntime, prevResult?: CniResult): Promise<void> {
  let first: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await invoke(host, 'DEL', plugin, list.name, rt, prevResult);
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
