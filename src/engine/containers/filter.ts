/**
 * `docker ps` filters (`status`, `name`, `id`, `label`, `exited`, `ancestor`, `before`,
 * `since`) and the `all`/`limit` rules of `GET /containers/json`.
 */
import { invalidArgument } from '../../lib/errors.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const KNOWN = ['status', 'name', 'id', 'label', 'exited', 'ancestor', 'before', 'since', 'health', 'isolation', 'is-task', 'network', 'publish', 'expose', 'volume'];

function labelMatch(labels: Record<string, string>, want: string): boolean {
  const eq = want.indexOf('=');
  if (eq < 0) return want in labels;
  return labels[want.slice(0, eq)] === want.slice(eq + 1);
}

export function listContainers(svc: ContainerService, opts: { all: boolean; limit?: number; filters: Record<string, string[]>; imageIdOf: (ref: string) => string | undefined }): ContainerRecord[] {
  const f = opts.filters;
  for (const k of Object.keys(f)) if (!KNOWN.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  for (const s of f.status ?? []) if (!STATUSES.includes(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
  let recs = svc.all().sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || (b.Id < a.Id ? -1 : 1));
  const before = f.before?.[0] ? svc.get(f.before[0]) : undefined;
  const since = f.since?.[0] ? svc.get(f.since[0]) : undefined;
  const ancestors = (f.ancestor ?? []).map((a) => opts.imageIdOf(a) ?? a);
  recs = recs.filter((r) => {
    const status = r.State.Status;
    if (!opts.all && !f.status && status !== 'running' && status !== 'paused' && status !== 'restarting' && !opts.limit) return false;
    if (f.status && !f.status.includes(status)) return false;
    if (f.name && !f.name.some((n) => new RegExp(n.replace(/^\//, '')).test(r.Name.slice(1)))) return false;
    if (f.id && !f.id.some((p) => r.Id.startsWith(p))) return false;
    if (f.label && !f.label.every((l) => labelMatch(r.Config.Labels ?? {}, l))) return false;
    // Docker's health filter: starting, healthy, unhealthy, or none (no health check).
    if (f.health && !f.health.includes(r.State.Health?.Status ?? 'none')) return false;
    if (f.exited && !(status === 'exited' && f.exited.map(Number).includes(r.State.ExitCode))) return false;
    if (f.ancestor && !ancestors.some((a) => a === r.ImageId || a === r.ImageRef)) return false;
    // A volume by name (a bind by its host path) or any mount by its destination, as Docker matches them.
    if (f.volume && !f.volume.some((v) => (r.MountPoints ?? []).some((m) => (m.Name ?? m.Source) === v || m.Destination === v))) return false;
    if (before && Date.parse(r.Created) >= Date.parse(before.Created)) return false;
    if (since && Date.parse(r.Created) <= Date.parse(since.Created)) return false;
    return true;
  });
  if (opts.limit && opts.limit > 0) recs = recs.slice(0, opts.limit);
  return recs;
}
