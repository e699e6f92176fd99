/**
 * Reading container cgroups (v1 hierarchy, as runc's cgroupfs driver lays it out on this kind
 * of hybrid host). Used for OOM detection now and for `stats` later.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const V1_ROOT = '/sys/fs/cgroup';

/** How many times the kernel's OOM killer fired in the container's memory cgroup. */
export async function oomKills(cgroupPath: string): Promise<number> {
  const text = await fs.readFile(path.join(V1_ROOT, 'memory', cgroupPath, 'memory.oom_control'), 'utf8').catch(() => '');
  const m = /^oom_kill (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Removes the (empty) parent cgroup `name` from every v1 hierarchy; busy ones are left alone. */
export async function removeCgroupParent(name: string): Promise<void> {
  const hierarchies = await fs.readdir(V1_ROOT).catch(() => [] as string[]);
  await Promise.all(hierarchies.map((h) => fs.rmdir(path.join(V1_ROOT, h, name)).catch(() => undefined)));
}

/** The v1 hierarchies in which cgroup `name` exists (for leak checks). */
export async function cgroupPresence(name: string): Promise<string[]> {
  const hierarchies = await fs.readdir(V1_ROOT).catch(() => [] as string[]);
  const found: string[] = [];
  for (const h of hierarchies) if (await fs.access(path.join(V1_ROOT, h, name)).then(() => true, () => false)) found.push(h);
  return found;
}

export interface CgroupSample {
  cpuTotalNs: number;
  perCpuNs: number[];
  memUsage: number;
  memMaxUsage: number;
  memLimit: number;
  memStat: Record<string, number>;
  pids: number;
  pidsLimit?: number;
  /** blkio bytes per device and operation, as `major:minor Op value`. */
  blkio: Array<{ major: number; minor: number; op: string; value: number }>;
}

const read = (p: string) => fs.readFile(path.join(V1_ROOT, p), 'utf8').catch(() => '');
const num = (s: string) => (s.trim() === '' || s.trim() === 'max' ? 0 : Number(s.trim()));

/** One reading of a container's v1 cgroups (missing files read as zero). */
export async function sampleCgroup(cgroupPath: string): Promise<CgroupSample> {
  const [usage, percpu, memUsage, memMax, memLimit, memStat, pids, pidsMax, blkio] = await Promise.all([
    read(`cpuacct/${cgroupPath}/cpuacct.usage`),
    read(`cpuacct/${cgroupPath}/cpuacct.usage_percpu`),
    read(`memory/${cgroupPath}/memory.usage_in_bytes`),
    read(`memory/${cgroupPath}/memory.max_usage_in_bytes`),
    read(`memory/${cgroupPath}/memory.limit_in_bytes`),
    read(`memory/${cgroupPath}/memory.stat`),
    read(`pids/${cgroupPath}/pids.current`),
    read(`pids/${cgroupPath}/pids.max`),
    read(`blkio/${cgroupPath}/blkio.throttle.io_service_bytes`),
  ]);
  const stat: Record<string, number> = {};
  for (const line of memStat.split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) stat[k] = Number(v);
  }
  const io = blkio.split('\n').flatMap((line) => {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    return m ? [{ major: Number(m[1]), minor: Number(m[2]), op: m[3]!.toLowerCase(), value: Number(m[4]) }] : [];
  });
  return {
    cpuTotalNs: num(usage),
    perCpuNs: percpu.trim().split(/\s+/).filter(Boolean).map(Number),
    memUsage: num(memUsage),
    memMaxUsage: num(memMax),
    memLimit: num(memLimit),
    memStat: stat,
    pids: num(pids),
    ...(pidsMax.trim() && pidsMax.trim() !== 'max' ? { pidsLimit: Number(pidsMax) } : {}),
    blkio: io,
  };
}

/** Host-wide CPU time in nanoseconds (the `cpu` line of /proc/stat, in USER_HZ = 100). */
export async function systemCpuNs(): Promise<number> {
  const line = (await fs.readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  return line.split(/\s+/).slice(1, 8).reduce((a, v) => a + Number(v || 0), 0) * 1e7;
}

/** Interface counters seen by process `pid` (its network namespace), loopback excluded. */
export async function netDev(pid: number): Promise<Record<string, { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }>> {
  const text = await fs.readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => '');
  const out: Awaited<ReturnType<typeof netDev>> = {};
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name!.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    out[name!.trim()] = { rx_bytes: f[0]!, rx_packets: f[1]!, rx_errors: f[2]!, rx_dropped: f[3]!, tx_bytes: f[8]!, tx_packets: f[9]!, tx_errors: f[10]!, tx_dropped: f[11]! };
  }
  return out;
}
