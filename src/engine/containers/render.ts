/**
 * Docker's JSON views of a container: `GET /containers/{id}/json` (inspect) and
 * `GET /containers/json` (list), including the status text the server composes
 * ("Up 3 seconds", "Exited (0) 2 minutes ago").
 */
import { humanDuration } from '../../lib/human.js';
import { mountsView } from './mounts.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';
import { networkSettingsView, networksView, portsList } from './network-view.js';
import { netnsFile } from './sandbox.js';

export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const st = rec.State;
  switch (st.Status) {
    case 'running':
      return `Up ${humanDuration(now - Date.parse(st.StartedAt))}${st.Health ? (st.Health.Status === 'starting' ? ' (health: starting)' : ` (${st.Health.Status})`) : ''}`;
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(st.StartedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${st.ExitCode}) ${humanDuration(now - Date.parse(st.FinishedAt))} ago`;
    case 'exited':
      return `Exited (${st.ExitCode}) ${humanDuration(now - Date.parse(st.FinishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      return 'Created';
  }
}

function hostConfigView(rec: ContainerRecord): Record<string, unknown> {
  return {
    // Clients (docker-py's run) read output only from drivers they know `docker logs` can read;
    // conmon's local log file serves `logs` exactly as Docker's default json-file driver does.
    Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: 'default', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0],
    CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null,
    IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false,
    ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 67108864, Runtime: 'runc', Isolation: '',
    CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0, CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '',
    CpusetMems: '', Devices: [], MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: null,
    PidsLimit: null, Ulimits: null, Init: null, MaskedPaths: null, ReadonlyPaths: null,
    ...rec.HostConfig,
  };
}


/** `GET /containers/{id}/json`. */
export async function inspectView(svc: ContainerService, rec: ContainerRecord, withSize: boolean): Promise<Record<string, unknown>> {
  const st = rec.State;
  const dirs = svc.store.dirs;
  const layer = svc.opts.snapshots.paths(rec.Id, rec.ChainIds);
  const view: Record<string, unknown> = {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: {
      Status: st.Status, Running: st.Status === 'running' || st.Status === 'paused', Paused: st.Status === 'paused',
      Restarting: st.Status === 'restarting', OOMKilled: st.OOMKilled, Dead: st.Status === 'dead', Pid: st.Pid,
      ExitCode: st.ExitCode, Error: st.Error, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt,
      ...(st.Health ? { Health: st.Health } : {}),
    },
    Image: rec.ImageId,
    ResolvConfPath: dirs.file(rec.Id, 'resolv.conf'),
    HostnamePath: dirs.file(rec.Id, 'hostname'),
    HostsPath: dirs.file(rec.Id, 'hosts'),
    LogPath: dirs.logFile(rec.Id),
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: hostConfigView(rec),
    GraphDriver: {
      Name: 'overlay2',
      Data: { LowerDir: layer.lower.join(':'), UpperDir: layer.upper, WorkDir: layer.work, MergedDir: svc.rootfsDir(rec.Id) },
    },
    Mounts: mountsView(svc, rec),
    Config: { AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false, ...rec.Config },
    NetworkSettings: networkSettingsView(rec, netnsFile(svc, rec) ?? ''),
  };
  if (withSize) {
    view.SizeRw = await svc.opts.snapshots.usage(rec.Id).catch(() => 0);
    view.SizeRootFs = view.SizeRw;
  }
  return view;
}

/** One entry of `GET /containers/json`. */
export async function listView(svc: ContainerService, rec: ContainerRecord, withSize: boolean): Promise<Record<string, unknown>> {
  const view: Record<string, unknown> = {
    Id: rec.Id,
    Names: [rec.Name],
    Image: rec.ImageRef,
    ImageID: rec.ImageId,
    // Docker quotes arguments that contain spaces in the list view.
    Command: [rec.Path, ...rec.Args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' '),
    Created: Math.floor(Date.parse(rec.Created) / 1000),
    Ports: portsList(rec),
    Labels: rec.Config.Labels ?? {},
    State: rec.State.Status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: rec.HostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: networksView(rec) },
    Mounts: mountsView(svc, rec),
  };
  if (withSize) {
    view.SizeRw = await svc.opts.snapshots.usage(rec.Id).catch(() => 0);
    view.SizeRootFs = view.SizeRw;
  }
  return view;
}
