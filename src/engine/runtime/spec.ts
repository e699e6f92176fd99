/**
 * OCI runtime spec generation: turns a container record and its image config into the
 * `config.json` that runc reads (the bundle of the lecture's "runc runs a bundle").
 */
import type { ContainerRecord } from '../containers/record.js';
import { ALL_CAPS, DEFAULT_CAPS, MASKED_PATHS, READONLY_PATHS, defaultMounts, deviceRules, type OciMount } from './defaults.js';
import { seccompProfile } from './seccomp.js';
import type { ResolvedUser } from './user.js';
import { invalidArgument } from '../../lib/errors.js';

export const INIT_PATH = '/sbin/docker-init';

export interface SpecInput {
  rec: ContainerRecord;
  env: string[];
  user: ResolvedUser;
  /** Files Berth generates per container, bind-mounted into it. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** Host path of a static init (tini) for `--init`. */
  initBinary?: string;
  /** Capabilities the daemon holds (its bounding set); defaults to every known one. */
  availableCaps?: string[];
  cgroupParent: string;
}

function capName(c: string): string {
  const up = c.toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/**
 * The effective capability set after --privileged, --cap-add and --cap-drop. `available` is the
 * set the daemon itself holds (ALL_CAPS order = kernel numbering); nothing outside it is granted.
 */
export function capabilities(rec: ContainerRecord, available: string[] = ALL_CAPS): string[] {
  if (rec.HostConfig.Privileged) return available.slice();
  const add = (rec.HostConfig.CapAdd ?? []).map(capName);
  const drop = (rec.HostConfig.CapDrop ?? []).map(capName);
  for (const c of [...add, ...drop]) if (c !== 'CAP_ALL' && !ALL_CAPS.includes(c)) throw invalidArgument(`unknown capability: "${c}"`);
  let caps = add.includes('CAP_ALL') ? ALL_CAPS.slice() : DEFAULT_CAPS.concat(add.filter((c) => !DEFAULT_CAPS.includes(c)));
  if (drop.includes('CAP_ALL')) caps = add.filter((c) => c !== 'CAP_ALL');
  else caps = caps.filter((c) => !drop.includes(c));
  return [...new Set(caps)].filter((c) => available.includes(c));
}

function resources(rec: ContainerRecord, privileged: boolean): Record<string, unknown> {
  const hc = rec.HostConfig;
  const r: Record<string, unknown> = { devices: deviceRules(privileged) };
  if (hc.Memory) {
    // Docker's default swap allowance is as much again as the memory limit; -1 means unlimited.
    const swap = hc.MemorySwap === -1 ? -1 : hc.MemorySwap && hc.MemorySwap > 0 ? hc.MemorySwap : hc.Memory * 2;
    r.memory = { limit: hc.Memory, swap, ...(hc.MemoryReservation ? { reservation: hc.MemoryReservation } : {}) };
  }
  const cpu: Record<string, number> = {};
  if (hc.NanoCpus) {
    cpu.period = 100_000;
    cpu.quota = Math.round((hc.NanoCpus / 1e9) * 100_000);
  } else if (hc.CpuQuota) {
    cpu.quota = hc.CpuQuota;
    cpu.period = hc.CpuPeriod || 100_000;
  }
  if (hc.CpuShares) cpu.shares = hc.CpuShares;
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (hc.PidsLimit && hc.PidsLimit > 0) r.pids = { limit: hc.PidsLimit };
  return r;
}

/** Builds the OCI runtime spec for `input`. */
export function buildSpec(input: SpecInput): Record<string, unknown> {
  const { rec, user } = input;
  const privileged = !!rec.HostConfig.Privileged;
  const caps = capabilities(rec, input.availableCaps);
  const args = [rec.Path, ...rec.Args];
  const init = rec.HostConfig.Init && input.initBinary;
  const mounts: OciMount[] = defaultMounts(privileged);
  const bind = (destination: string, source: string, ro = false): OciMount => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate', ro ? 'ro' : 'rw'] });
  mounts.push(bind('/etc/resolv.conf', input.etcFiles.resolvConf), bind('/etc/hostname', input.etcFiles.hostname), bind('/etc/hosts', input.etcFiles.hosts));
  if (init) mounts.push(bind(INIT_PATH, input.initBinary!, true));
  const tty = !!rec.Config.Tty;
  const size = rec.HostConfig.ConsoleSize;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: tty,
      ...(tty && size && size[0] > 0 ? { consoleSize: { height: size[0], width: size[1] } } : {}),
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args: init ? [INIT_PATH, '--', ...args] : args,
      env: input.env,
      cwd: rec.Config.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: false,
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs', readonly: !!rec.HostConfig.ReadonlyRootfs },
    hostname: rec.Config.Hostname || rec.Id.slice(0, 12),
    mounts,
    linux: {
      resources: resources(rec, privileged),
      cgroupsPath: `${input.cgroupParent}/${rec.Id}`,
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount'].map((type) => ({ type })),
      ...(privileged ? {} : { maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS, seccomp: seccompProfile(new Set(caps)) }),
    },
  };
}

/** The process environment: image env, then user env overriding by key, plus Docker's extras. */
export function mergeEnv(imageEnv: string[], userEnv: string[], hostname: string, tty: boolean, home: string): string[] {
  const out = new Map<string, string>();
  const put = (kv: string) => out.set(kv.split('=')[0]!, kv);
  put('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  put(`HOSTNAME=${hostname}`);
  imageEnv.forEach(put);
  userEnv.forEach((kv) => (kv.includes('=') ? put(kv) : undefined));
  if (tty) put('TERM=xterm');
  if (!out.has('HOME')) put(`HOME=${home}`);
  return [...out.values()];
}
