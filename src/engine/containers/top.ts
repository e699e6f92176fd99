/**
 * `top`: the container's processes as the host's `ps` shows them, filtered to the pids the
 * runtime reports for the container (as Docker does; default arguments `-ef`).
 */
import { failedPrecondition, invalidArgument } from '../../lib/errors.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';

export async function topContainer(svc: ContainerService, rec: ContainerRecord, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
  if (rec.State.Status !== 'running' && rec.State.Status !== 'paused') throw failedPrecondition(`Container ${rec.Id} is not running`);
  const pids = new Set((await svc.opts.runtime.pids(rec.Id)).map(String));
  const args = psArgs.split(/\s+/).filter(Boolean);
  const r = await svc.opts.host.run('ps', args);
  if (r.code !== 0) throw invalidArgument(`Error running ps: ${r.stderr.trim() || `exit status ${r.code}`}`);
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  const titles = lines[0]!.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw invalidArgument("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!pids.has(fields[pidCol]!)) continue;
    // The last column (the command) may contain spaces: keep it whole.
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { Titles: titles, Processes: processes };
}
