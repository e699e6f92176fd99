/**
 * A service replica as an engine create request: command, environment, labels, ports,
 * mounts, restart policy, healthcheck, and the first network with its aliases (the
 * service name and the container name, so `http://web/` reaches any replica). Further
 * networks are connected after create, as Compose does.
 */
import { serviceEnv } from './load.js';
import type { Project, ServiceConfig } from './model.js';
import { containerLabels, containerName, networkName, volumeName } from './naming.js';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration (`1m30s`, `500ms`) in nanoseconds. */
export function durationNs(d: string | undefined): number | undefined {
  if (d === undefined) return undefined;
  let ns = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ns += Number(m[1]) * UNIT_NS[m[2]!]!;
  return Math.round(ns);
}

function restartPolicy(r: string | undefined): { Name: string; MaximumRetryCount?: number } {
  if (!r) return { Name: 'no' };
  const [name, max] = r.split(':');
  return max === undefined ? { Name: name! } : { Name: name!, MaximumRetryCount: Number(max) };
}

function healthcheck(s: ServiceConfig): Record<string, unknown> | undefined {
  const h = s.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  return {
    Test: h.test,
    Interval: durationNs(h.interval),
    Timeout: durationNs(h.timeout),
    Retries: h.retries,
    StartPeriod: durationNs(h.start_period),
  };
}

/** Binds that may create their host directory go as `HostConfig.Binds`, which does. */
function binds(s: ServiceConfig): string[] {
  return (s.volumes ?? []).filter((v) => v.type === 'bind' && v.bind?.create_host_path).map((v) => `${v.source}:${v.target}${v.read_only ? ':ro' : ''}`);
}

function mounts(project: Project, s: ServiceConfig): Array<Record<string, unknown>> {
  return (s.volumes ?? []).filter((v) => !(v.type === 'bind' && v.bind?.create_host_path)).map((v) => {
    if (v.type === 'tmpfs') return { Type: 'tmpfs', Target: v.target, ReadOnly: !!v.read_only, TmpfsOptions: v.tmpfs?.size ? { SizeBytes: v.tmpfs.size } : undefined };
    if (v.type === 'bind') return { Type: 'bind', Source: v.source, Target: v.target, ReadOnly: !!v.read_only };
    return { Type: 'volume', Source: v.source ? volumeName(project, v.source) : '', Target: v.target, ReadOnly: !!v.read_only };
  });
}

/** The service's networks in the order they are joined (the first is given at create). */
export function serviceNetworks(s: ServiceConfig): string[] {
  if (s.network_mode) return [];
  return Object.keys(s.networks ?? { default: null }).sort();
}

/** `HostConfig.NetworkMode` for `network_mode:`; `service:x` joins x's first replica. */
function networkMode(project: Project, mode: string): string {
  const other = /^service:(.+)$/.exec(mode)?.[1];
  return other ? `container:${project.model.services[other]?.container_name ?? containerName(project.name, other, 1)}` : mode;
}

/** Aliases a replica has on `net`: the service name, its container name and the configured ones. */
export function aliasesOn(project: Project, service: string, name: string, net: string): string[] {
  const extra = project.model.services[service]!.networks?.[net]?.aliases ?? [];
  return [...new Set([service, name, ...extra])];
}

export interface CreateOptions {
  /** `run`: a one-off container with its own command and no published ports unless asked. */
  oneoff?: { command?: string[]; entrypoint?: string[]; tty?: boolean; stdin?: boolean; publish?: boolean; name: string; env?: string[] };
}

/** The create request for replica `n` of `service`, running image `image`. */
export function createRequest(project: Project, service: string, n: number, image: string, opts: CreateOptions = {}): { name: string; body: Record<string, unknown> } {
  const s = project.model.services[service]!;
  const name = opts.oneoff?.name ?? s.container_name ?? containerName(project.name, service, n);
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const e of s.expose ?? []) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  for (const p of s.ports ?? []) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    if (opts.oneoff && !opts.oneoff.publish) continue;
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  const first = serviceNetworks(s)[0];
  const labels = containerLabels(project, service, n, !!opts.oneoff);
  const body: Record<string, unknown> = {
    Image: image,
    Cmd: opts.oneoff?.command?.length ? opts.oneoff.command : s.command ?? undefined,
    Entrypoint: opts.oneoff?.entrypoint ?? s.entrypoint ?? undefined,
    Env: [...serviceEnv(project, service), ...(opts.oneoff?.env ?? [])],
    Labels: labels,
    ExposedPorts: exposed,
    WorkingDir: s.working_dir ?? '',
    User: s.user ?? '',
    Hostname: s.hostname ?? '',
    Healthcheck: healthcheck(s),
    Tty: opts.oneoff ? !!opts.oneoff.tty : !!s.tty,
    OpenStdin: opts.oneoff ? !!opts.oneoff.stdin : !!s.stdin_open,
    AttachStdin: !!opts.oneoff?.stdin,
    StopSignal: s.stop_signal,
    StopTimeout: s.stop_grace_period === undefined ? undefined : Math.floor(durationNs(s.stop_grace_period)! / 1e9),
    AttachStdout: !!opts.oneoff,
    AttachStderr: !!opts.oneoff,
    HostConfig: {
      NetworkMode: first === undefined ? networkMode(project, s.network_mode!) : networkName(project, first),
      PortBindings: bindings,
      Binds: binds(s),
      Mounts: mounts(project, s),
      RestartPolicy: opts.oneoff ? { Name: 'no' } : restartPolicy(s.restart),
      Init: s.init,
      Privileged: !!s.privileged,
      ReadonlyRootfs: !!s.read_only,
      CapAdd: s.cap_add,
      CapDrop: s.cap_drop,
      Dns: s.dns,
      ExtraHosts: s.extra_hosts,
    },
    NetworkingConfig: first === undefined ? undefined : { EndpointsConfig: { [networkName(project, first)]: { Aliases: opts.oneoff ? [] : aliasesOn(project, service, name, first) } } },
  };
  return { name, body };
}
