/**
 * `create`: validates a Docker create request, resolves the image, prepares the container's
 * writable layer (the lecture's "container layer" on top of the image layers) and records it.
 * The OCI bundle is written later, at start, as Docker does.
 */
import { randomBytes } from 'node:crypto';
import { conflict, invalidArgument, notFound } from '../../lib/errors.js';
import { span } from '../../lib/trace.js';
import { registerMounts } from './mounts.js';
import { generateName, validateName } from './names.js';
import { initialState, type ContainerConfig, type ContainerRecord, type HostConfig, type RestartPolicy } from './record.js';
import { prepareInBackground } from './sandbox.js';
import type { ContainerService } from './service.js';

export interface CreateRequest extends Partial<ContainerConfig> {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null }> | null } | null;
}

const POLICIES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];
const MIN_MEMORY = 6 * 1024 * 1024;

function validateHostConfig(hc: HostConfig): void {
  const rp = hc.RestartPolicy;
  if (rp && !POLICIES.includes(rp.Name))
    throw invalidArgument(`invalid restart policy: unknown policy '${rp.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  if (rp && rp.Name !== 'on-failure' && (rp.MaximumRetryCount ?? 0) > 0)
    throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if ((rp?.MaximumRetryCount ?? 0) < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  if (hc.AutoRemove && rp && !['', 'no'].includes(rp.Name)) throw invalidArgument(`can't create 'AutoRemove' container with restart policy`);
  if (hc.Memory !== undefined && hc.Memory !== 0 && hc.Memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (hc.MemorySwap !== undefined && hc.MemorySwap > 0 && hc.Memory && hc.MemorySwap < hc.Memory)
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (hc.NanoCpus !== undefined && hc.NanoCpus < 0) throw invalidArgument('Range of CPUs is from 0.01 to the number of CPUs available');
  if (hc.NanoCpus && (hc.CpuQuota || hc.CpuPeriod)) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
}

/**
 * The container's networks: the mode (`default`/`bridge`, `host`, `none`, `container:<ref>`
 * or a user network) and any extra endpoints, checked now so a bad name fails the create.
 */
function planNetworks(svc: ContainerService, hc: HostConfig, req: CreateRequest): ContainerRecord['Networks'] {
  const mode = hc.NetworkMode || 'default';
  if (mode.startsWith('container:')) {
    const other = svc.get(mode.slice('container:'.length));
    hc.NetworkMode = `container:${other.Id}`;
    if (hc.PortBindings && Object.keys(hc.PortBindings).length) throw invalidArgument('conflicting options: port publishing and the container type network mode');
    if (req.Hostname) throw invalidArgument('conflicting options: hostname and the network mode');
  }
  if (!svc.opts.network) {
    if (!['default', 'bridge', 'none', 'host'].includes(mode) && !mode.startsWith('container:')) throw notFound(`network ${mode} not found`);
    return undefined;
  }
  return svc.opts.network.plan(mode, req.NetworkingConfig?.EndpointsConfig ?? undefined);
}

function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const kv of [...base, ...extra]) out.set(kv.split('=')[0]!, kv);
  return [...out.values()];
}

/** Creates a container from a Docker create request; returns its id and warnings. */
export async function createContainer(svc: ContainerService, nameParam: string | null, req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
  if (!req.Image) throw invalidArgument('Config cannot be empty in order to create a container');
  const hc: HostConfig = { NetworkMode: 'default', RestartPolicy: { Name: 'no' }, ...(req.HostConfig ?? {}) };
  validateHostConfig(hc);
  const networks = planNetworks(svc, hc, req);
  const id = randomBytes(32).toString('hex');
  const image = await span(id, 'resolve image', () => svc.opts.images.resolve(req.Image!));
  const ic = image.config.config ?? {};

  const name = nameParam ? validateName(nameParam) : generateName((n) => !!svc.nameTaken(n));
  const holder = svc.nameTaken(name);
  if (holder)
    throw conflict(`Conflict. The container name "/${name}" is already in use by container "${holder.Id}". You have to remove (or rename) that container to be able to reuse that name.`);

  // Docker's rule: no entrypoint in the request keeps the image's, `[]` clears it, and a new
  // entrypoint also drops the image's default command.
  const userEntrypoint = Array.isArray(req.Entrypoint);
  const entrypoint = userEntrypoint ? req.Entrypoint! : ic.Entrypoint ?? [];
  const cmd = req.Cmd && req.Cmd.length ? req.Cmd : userEntrypoint && req.Entrypoint!.length ? [] : ic.Cmd ?? [];
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) throw invalidArgument('No command specified');

  const config: ContainerConfig = {
    ...req,
    Hostname: req.Hostname || id.slice(0, 12),
    Domainname: req.Domainname ?? '',
    User: req.User || ic.User || '',
    AttachStdin: !!req.AttachStdin,
    AttachStdout: !!req.AttachStdout,
    AttachStderr: !!req.AttachStderr,
    Tty: !!req.Tty,
    OpenStdin: !!req.OpenStdin,
    StdinOnce: !!req.StdinOnce,
    Env: mergeEnv(ic.Env ?? [], req.Env ?? []),
    Cmd: cmd.length ? cmd : null,
    Entrypoint: entrypoint.length ? entrypoint : null,
    Image: req.Image,
    // The image's VOLUMEs and the request's anonymous volumes, merged as Docker merges them.
    Volumes: req.Volumes || ic.Volumes ? { ...(ic.Volumes ?? {}), ...(req.Volumes ?? {}) } : null,
    WorkingDir: req.WorkingDir || ic.WorkingDir || '',
    Labels: { ...(ic.Labels ?? {}), ...(req.Labels ?? {}) },
    ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...(req.ExposedPorts ?? {}) },
    ...(req.StopSignal || ic.StopSignal ? { StopSignal: req.StopSignal || ic.StopSignal } : {}),
  };
  delete (config as Record<string, unknown>).HostConfig;
  delete (config as Record<string, unknown>).NetworkingConfig;
  const mounts = await span(id, 'volumes', () => registerMounts(svc, id, config, hc));

  const rec: ContainerRecord = {
    Id: id,
    Name: `/${name}`,
    Created: new Date().toISOString(),
    ImageRef: req.Image,
    ImageId: image.id,
    ChainIds: image.chainIds,
    Path: argv[0]!,
    Args: argv.slice(1),
    Config: config,
    HostConfig: { ...hc, RestartPolicy: { MaximumRetryCount: 0, ...(hc.RestartPolicy as RestartPolicy) } },
    State: initialState(),
    RestartCount: 0,
    ...(networks ? { Networks: networks } : {}),
    MountPoints: mounts.points,
  };
  try {
    await span(id, 'prepare snapshot', () => svc.opts.snapshots.prepare(id, image.chainIds));
    await svc.save(rec);
  } catch (err) {
    await svc.opts.snapshots.remove(id).catch(() => undefined);
    await mounts.undo();
    throw err;
  } finally {
    mounts.done();
  }
  svc.announce('create', rec);
  prepareInBackground(svc, rec);
  const warnings: string[] = [];
  return { Id: id, Warnings: warnings };
}
