/**
 * `docker stats`: a container's resource use read from its cgroups (the lecture's "cgroups
 * limit and account what a container uses"), in Docker's stats JSON. CPU % is computed by the
 * client from two samples (`cpu_stats` and `precpu_stats`), so each sample carries the last.
 */
import { netDev, sampleCgroup, systemCpuNs } from '../../host/cgroups.js';
import os from 'node:os';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';

export type StatsJson = Record<string, unknown> & { cpu_stats: Record<string, unknown> };

const ZERO_CPU = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };

/** One stats sample; `prev` (the previous sample) becomes `precpu_stats`. */
export async function statsSample(svc: ContainerService, rec: ContainerRecord, prev?: StatsJson): Promise<StatsJson> {
  const base = { name: rec.Name, id: rec.Id, read: new Date().toISOString(), preread: (prev?.read as string) ?? '0001-01-01T00:00:00Z', num_procs: 0, storage_stats: {} };
  const live = rec.State.Status === 'running' || rec.State.Status === 'paused';
  if (!live) {
    // Docker reports zeros for a container that is not running.
    return { ...base, pids_stats: {}, blkio_stats: {}, cpu_stats: ZERO_CPU, precpu_stats: ZERO_CPU, memory_stats: {} };
  }
  const [cg, system, networks] = await Promise.all([sampleCgroup(`${svc.opts.cgroupParent}/${rec.Id}`), systemCpuNs(), netDev(rec.State.Pid)]);
  const hostMemory = os.totalmem();
  return {
    ...base,
    pids_stats: { current: cg.pids, ...(cg.pidsLimit ? { limit: cg.pidsLimit } : {}) },
    blkio_stats: { io_service_bytes_recursive: cg.blkio.length ? cg.blkio : null },
    cpu_stats: {
      cpu_usage: { total_usage: cg.cpuTotalNs, percpu_usage: cg.perCpuNs, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      system_cpu_usage: system,
      online_cpus: os.cpus().length,
      throttling_data: ZERO_CPU.throttling_data,
    },
    precpu_stats: prev?.cpu_stats ?? ZERO_CPU,
    // v1 reports "no limit" as a huge number; Docker shows the host's memory instead.
    memory_stats: { usage: cg.memUsage, max_usage: cg.memMaxUsage, stats: cg.memStat, limit: Math.min(cg.memLimit || hostMemory, hostMemory) },
    networks,
  };
}
