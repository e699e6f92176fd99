/**
 * The container record: what Berth remembers about one container (Docker's `Config`,
 * `HostConfig` and `State`), kept as one JSON file per container, written atomically.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readJson, removeTempFiles, writeJsonAtomic } from '../../lib/fsutil.js';
import type { PortMapping } from '../network/ports.js';
import type { EndpointRecord, PortMap } from '../network/record.js';
import type { MountPoint } from './mount-spec.js';
import type { Status } from './state.js';
import type { HealthState } from '../health/config.js';

/** Docker's container `Config` (the fields Berth reads; others are kept as sent). */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Image: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  [key: string]: unknown;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

/** Docker's `HostConfig` (the fields Berth reads; others are kept as sent). */
export interface HostConfig {
  AutoRemove?: boolean;
  RestartPolicy?: RestartPolicy;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  PidsLimit?: number | null;
  ReadonlyRootfs?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Privileged?: boolean;
  Init?: boolean | null;
  NetworkMode?: string;
  PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }>>;
  ConsoleSize?: [number, number];
  [key: string]: unknown;
}


export interface ContainerState {
  Status: Status;
  Pid: number;
  /** conmon's pid: it outlives the container's process until the log is fully written. */
  MonitorPid?: number;
  ExitCode: number;
  Error: string;
  OOMKilled: boolean;
  StartedAt: string;
  FinishedAt: string;
  /** True when a user stopped it (restart policies `unless-stopped` and daemon restart care). */
  ManuallyStopped: boolean;
  /** The health check's state while it has one (health/monitor.ts). */
  Health?: HealthState;
}

export interface ContainerRecord {
  Id: string;
  Name: string; // with Docker's leading slash
  Created: string;
  ImageRef: string; // as the user wrote it
  ImageId: string;
  ChainIds: string[];
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  State: ContainerState;
  RestartCount: number;
  /** Networks the container is connected to, by network name. */
  Networks?: Record<string, EndpointRecord>;
  /** Host ports published while running (Docker's `NetworkSettings.Ports`). */
  Ports?: PortMap;
  PortMappings?: PortMapping[];
  /** Volumes, binds and tmpfs mounts (mounts.ts); absent in records older than volumes. */
  MountPoints?: MountPoint[];
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return { Status: 'created', Pid: 0, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME, ManuallyStopped: false };
}

/** Per-container files under `<data-root>/containers/<id>/`. */
export class ContainerDirs {
  constructor(readonly root: string) {}
  dir(id: string): string {
    return path.join(this.root, id);
  }
  recordFile(id: string): string {
    return path.join(this.root, id, 'config.v2.json');
  }
  logFile(id: string): string {
    return path.join(this.root, id, `${id}-json.log`);
  }
  file(id: string, name: string): string {
    return path.join(this.root, id, name);
  }
}

/** Loads, saves and deletes container records. */
export class RecordStore {
  readonly dirs: ContainerDirs;
  constructor(root: string) {
    this.dirs = new ContainerDirs(root);
  }

  async loadAll(): Promise<ContainerRecord[]> {
    await fs.mkdir(this.dirs.root, { recursive: true });
    const out: ContainerRecord[] = [];
    for (const id of await fs.readdir(this.dirs.root)) {
      await removeTempFiles(this.dirs.dir(id));
      const rec = await readJson<ContainerRecord>(this.dirs.recordFile(id)).catch(() => undefined);
      if (rec) out.push(rec);
      // A directory without a record is a create that died half-way: nothing refers to it.
      else await fs.rm(this.dirs.dir(id), { recursive: true, force: true });
    }
    return out;
  }

  async save(rec: ContainerRecord): Promise<void> {
    await fs.mkdir(this.dirs.dir(rec.Id), { recursive: true });
    await writeJsonAtomic(this.dirs.recordFile(rec.Id), rec);
  }

  /** Deletes the record first (the commit point), then the rest of the directory. */
  async delete(id: string): Promise<void> {
    await fs.rm(this.dirs.recordFile(id), { force: true });
    await fs.rm(this.dirs.dir(id), { recursive: true, force: true });
  }
}
