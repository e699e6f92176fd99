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
