/**
 * The flags shared by `run` and `create` and their translation into the Docker create body
 * (`POST /containers/create`: Config + HostConfig + NetworkingConfig), after the docker CLI's
 * container/opts.go. Flag values are checked while parsing (exit 125 with pflag's wording);
 * the rest (ports, restart policy, env files) is checked when the body is built.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { collect, flagLabel, intFlag } from '../command.js';
import { invalidFlagValue } from '../errors.js';
import { parseCpus, parseRamInBytes } from '../format/units.js';
import { addExposed, addNetworkFlags, networkBody, sortedKeys, standardPortNotation, type EndpointSettings, type NetworkFlags } from './container-net.js';
import {
  effectiveCaps,
  kvToMap,
  parseKvFile,
  parsePortSpecs,
  parseRestartPolicy,
  validateEnv,
  validateRestartPolicy,
  type PortBinding,
  type RestartPolicy,
} from './container-parse.js';
import { mountBody, mountFlag, type MountFlags, type MountSpec } from './mount-opts.js';

/** Parsed `run`/`create` flags as commander stores them. */
export interface ContainerFlags extends MountFlags, NetworkFlags {
  attach?: string[];
  detach?: boolean;
  rm?: boolean;
  env?: string[];
  envFile?: string[];
  name?: string;
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  label?: string[];
  labelFile?: string[];
  restart?: string;
  memory?: number;
  memorySwap?: number;
  cpus?: number;
  pidsLimit?: number;
  readOnly?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  init?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  interactive?: boolean;
  tty?: boolean;
  pull?: string;
  publishAll?: boolean;
  quiet?: boolean;
  sigProxy?: boolean;
  detachKeys?: string;
}

/** The create request body (container.Config with HostConfig and NetworkingConfig). */
export interface CreateBody {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, Record<string, never>>;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: {
    Binds: string[] | null;
    VolumeDriver: string;
    VolumesFrom: string[] | null;
    Tmpfs?: Record<string, string>;
    Mounts?: MountSpec[];
    AutoRemove: boolean;
    RestartPolicy: RestartPolicy;
    Memory: number;
    MemorySwap: number;
    MemorySwappiness: number;
    NanoCpus: number;
    PidsLimit: number;
    ReadonlyRootfs: boolean;
    CapAdd: string[] | null;
    CapDrop: string[] | null;
    Privileged: boolean;
    Init?: boolean;
    PortBindings: Record<string, PortBinding[]>;
    PublishAllPorts: boolean;
    NetworkMode: string;
    Dns: string[];
    DnsOptions: string[];
    DnsSearch: string[];
    ExtraHosts: string[] | null;
    ConsoleSize: [number, number];
  };
  NetworkingConfig: { EndpointsConfig: Record<string, EndpointSettings> };
}

function sizeFlag(flags: string, allowMinusOne = false): (v: string) => number {
  return (v) => {
    if (allowMinusOne && v === '-1') return -1;
    try {
      return parseRamInBytes(v);
    } catch (e) {
      throw invalidFlagValue(flagLabel(flags), v, (e as Error).message);
    }
  };
}

function cpusFlag(flags: string): (v: string) => number {
  return (v) => {
    try {
      return parseCpus(v);
    } catch (e) {
      throw invalidFlagValue(flagLabel(flags), v, (e as Error).message);
    }
  };
}

/** `-e` values are checked while parsing, as pflag's ValidateEnv does. */
function envFlag(v: string, prev: string[] | undefined): string[] {
  if (v.split('=')[0] === '') throw invalidFlagValue('-e, --env', v, `invalid environment variable: ${v}`);
  return collect(v, prev);
}

/** Registers the container flags of `run` and `create` on `cmd` (docker's names and shorthands). */
export function addContainerFlags(cmd: Command): void {
  const opt = (flags: string, desc: string, parse?: (v: string, prev: never) => unknown, dflt?: unknown) => {
    if (parse) cmd.option(flags, desc, parse as (v: string, p: unknown) => unknown, dflt);
    else cmd.option(flags, desc, dflt as string | boolean | undefined);
  };
  opt('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', collect);
  opt('--cap-add <list>', 'Add Linux capabilities', collect);
  opt('--cap-drop <list>', 'Drop Linux capabilities', collect);
  opt('--cpus <decimal>', 'Number of CPUs', cpusFlag('--cpus <decimal>'));
  opt('-e, --env <list>', 'Set environment variables', envFlag);
  opt('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image');
  opt('--env-file <list>', 'Read in a file of environment variables', collect);
  opt('--expose <list>', 'Expose a port or a range of ports', collect);
  opt('-h, --hostname <string>', 'Container host name');
  opt('--init', 'Run an init inside the container that forwards signals and reaps processes');
  opt('-i, --interactive', 'Keep STDIN open even if not attached');
  opt('-l, --label <list>', 'Set meta data on a container', collect);
  opt('--label-file <list>', 'Read in a line delimited file of labels', collect);
  opt('-m, --memory <bytes>', 'Memory limit', sizeFlag('-m, --memory <bytes>'));
  opt('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", sizeFlag('--memory-swap <bytes>', true));
  opt('--mount <mount>', 'Attach a filesystem mount to the container', mountFlag);
  opt('--name <string>', 'Assign a name to the container');
  opt('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', intFlag('--pids-limit <int>'));
  opt('--privileged', 'Give extended privileges to this container');
  opt('-p, --publish <list>', "Publish a container's port(s) to the host", collect);
  opt('-P, --publish-all', 'Publish all exposed ports to random ports');
  opt('--pull <string>', 'Pull image before running ("always", "missing", "never")', undefined, 'missing');
  opt('-q, --quiet', 'Suppress the pull output');
  opt('--read-only', "Mount the container's root filesystem as read only");
  opt('--restart <string>', 'Restart policy to apply when a container exits', undefined, 'no');
  opt('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits');
  opt('--stop-signal <string>', 'Signal to stop the container');
  opt('--stop-timeout <int>', 'Timeout (in seconds) to stop a container', intFlag('--stop-timeout <int>'));
  opt('--tmpfs <list>', 'Mount a tmpfs directory', collect);
  opt('-t, --tty', 'Allocate a pseudo-TTY');
  opt('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])');
  opt('-v, --volume <list>', 'Bind mount a volume', collect);
  opt('--volume-driver <string>', 'Optional volume driver for the container');
  opt('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect);
  opt('-w, --workdir <string>', 'Working directory inside the container');
  addNetworkFlags(cmd);
  // pflag lists flags by name; keep `--help` in the same order as docker's.
  const key = (o: { long?: string; short?: string }) => (o.long ?? o.short ?? '').replace(/^-+/, '');
  (cmd.options as unknown as { long?: string }[]).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Where buildCreateBody reads files and the caller's environment (replaceable in tests). */
export interface BuildEnv {
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
  consoleSize?: [number, number];
}

/** validatePullOpt's wording for a bad `--pull` value. */
export function validatePull(pull: string): void {
  if (!['always', 'missing', 'never', ''].includes(pull)) {
    throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
}

/**
 * Builds the create body from parsed flags, the image and the command after it
 * (docker's `parse`). Throws Error with docker's wording on invalid input.
 */
export function buildCreateBody(f: ContainerFlags, image: string, args: readonly string[], be: BuildEnv = {}): CreateBody {
  const env = be.env ?? process.env;
  const readFile = be.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const attach = new Set<string>();
  for (const a of f.attach ?? []) {
    const s = a.toLowerCase();
    if (!['stdin', 'stdout', 'stderr'].includes(s)) throw new Error(`valid streams are STDIN, STDOUT and STDERR`);
    attach.add(s);
  }
  const attachAll = attach.size === 0;
  const readFileOrThrow = (p: string) => {
    try {
      return readFile(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `open ${p}: no such file or directory` : (e as Error).message);
    }
  };
  const envList = [
    ...(f.envFile ?? []).flatMap((p) => parseKvFile(readFileOrThrow(p), (k) => env[k])),
    ...(f.env ?? []).map((e) => validateEnv(e, env)),
  ];
  const labels = kvToMap([...(f.labelFile ?? []).flatMap((p) => parseKvFile(readFileOrThrow(p))), ...(f.label ?? [])]);
  const restart = parseRestartPolicy(f.restart ?? 'no');
  if (f.rm && restart.Name !== 'no' && restart.Name !== '') {
    throw new Error('conflicting options: cannot specify both --restart and --rm');
  }
  // docker's client validates the policy after this conflict check, so its error comes second.
  validateRestartPolicy(restart);
  const { exposed, bindings } = parsePortSpecs(standardPortNotation(f.publish ?? []));
  addExposed(exposed, f.expose ?? []);
  const caps = effectiveCaps(f.capAdd ?? [], f.capDrop ?? []);
  const stdin = (f.interactive ?? false) || attach.has('stdin');
  const openStdin = f.interactive ?? false;
  const mounts = mountBody(f);
  const net = networkBody(f);
  const body: CreateBody = {
    Hostname: f.hostname ?? '',
    Domainname: net.Domainname,
    User: f.user ?? '',
    AttachStdin: stdin,
    AttachStdout: attachAll || attach.has('stdout'),
    AttachStderr: attachAll || attach.has('stderr'),
    ...(Object.keys(exposed).length ? { ExposedPorts: sortedKeys(exposed) } : {}),
    Tty: f.tty ?? false,
    OpenStdin: openStdin,
    // With stdin attached, the daemon closes the container's stdin when the client's ends.
    StdinOnce: openStdin && stdin,
    // No variables is `null`, as docker sends it (the image's environment is kept).
    Env: envList.length ? envList : null,
    Cmd: args.length ? [...args] : null,
    Image: image,
    Volumes: mounts.Volumes,
    WorkingDir: f.workdir ?? '',
    // `--entrypoint ""` resets the image's entrypoint; absent means "keep the image's".
    Entrypoint: f.entrypoint === undefined ? null : f.entrypoint === '' ? [''] : [f.entrypoint],
    Labels: labels,
    ...(f.stopSignal ? { StopSignal: f.stopSignal } : {}),
    ...(f.stopTimeout !== undefined ? { StopTimeout: f.stopTimeout } : {}),
    HostConfig: {
      ...mounts.HostConfig,
      AutoRemove: f.rm ?? false,
      RestartPolicy: restart,
      Memory: f.memory ?? 0,
      MemorySwap: f.memorySwap ?? 0,
      // docker always sends -1 ("not set") here; the daemon keeps the kernel default.
      MemorySwappiness: -1,
      NanoCpus: f.cpus ?? 0,
      PidsLimit: f.pidsLimit ?? 0,
      ReadonlyRootfs: f.readOnly ?? false,
      CapAdd: caps.add,
      CapDrop: caps.drop,
      Privileged: f.privileged ?? false,
      ...(f.init !== undefined ? { Init: f.init } : {}),
      PortBindings: sortedKeys(bindings),
      PublishAllPorts: f.publishAll ?? false,
      NetworkMode: net.NetworkMode,
      Dns: net.Dns,
      DnsOptions: net.DnsOptions,
      DnsSearch: net.DnsSearch,
      ExtraHosts: net.ExtraHosts,
      ConsoleSize: be.consoleSize ?? [0, 0],
    },
    NetworkingConfig: { EndpointsConfig: sortedKeys(net.EndpointsConfig) },
  };
  return body;
}
