/**
 * What `up` must do for one service, decided from what the engine has: keep a container
 * whose config hash and image match, recreate one that drifted (or all with
 * --force-recreate), start a stopped one, create missing replicas and remove surplus
 * ones (the highest numbers first, as Compose does). Pure: no engine calls here.
 */
import { L } from './naming.js';

/** What the planner needs to know about an existing container. */
export interface Observed {
  id: string;
  name: string;
  service: string;
  number: number;
  hash: string;
  image: string;
  running: boolean;
}

export type Action =
  | { kind: 'create'; number: number }
  | { kind: 'recreate'; container: Observed }
  | { kind: 'start'; container: Observed }
  | { kind: 'keep'; container: Observed }
  | { kind: 'remove'; container: Observed };

export interface Desired {
  replicas: number;
  hash: string;
  /** The image ID the containers should run (undefined: not known, do not compare). */
  image?: string;
  forceRecreate?: boolean;
  noRecreate?: boolean;
}

/** Observed state from a container listing's labels. */
export function observe(c: { Id: string; Names: string[]; Labels: Record<string, string>; ImageID: string; State: string }): Observed {
  return {
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    service: c.Labels[L.service] ?? '',
    number: Number(c.Labels[L.number] ?? '0') || 0,
    hash: c.Labels[L.hash] ?? '',
    image: c.ImageID,
    running: c.State === 'running' || c.State === 'restarting',
  };
}

/** The actions for one service, in the order they should run. */
export function planService(existing: readonly Observed[], want: Desired): Action[] {
  const sorted = [...existing].sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
  const actions: Action[] = [];
  const used = new Set<number>();
  const keep: Observed[] = [];
  // Replicas beyond the wanted count go, highest numbers first; duplicates of a number too.
  for (const c of sorted) {
    if (c.number >= 1 && !used.has(c.number) && keep.length < want.replicas) {
      used.add(c.number);
      keep.push(c);
    }
  }
  for (const c of [...sorted].reverse()) if (!keep.includes(c)) actions.push({ kind: 'remove', container: c });
  for (const c of keep) {
    const drifted = c.hash !== want.hash || (want.image !== undefined && c.image !== want.image);
    if (!want.noRecreate && (want.forceRecreate || drifted)) actions.push({ kind: 'recreate', container: c });
    else if (!c.running) actions.push({ kind: 'start', container: c });
    else actions.push({ kind: 'keep', container: c });
  }
  for (let n = 1; keep.length + actions.filter((a) => a.kind === 'create').length < want.replicas; n++) {
    if (!used.has(n)) actions.push({ kind: 'create', number: n });
  }
  return actions;
}
