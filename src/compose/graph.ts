/**
 * The services' dependency graph (`depends_on`): a start order in which every service comes
 * after the services it depends on, and cycle detection that names the loop.
 */
import { ModelError, type ComposeModel } from './model.js';

/** Service names in dependency order (dependencies first); a cycle is a ModelError. */
export function startOrder(model: ComposeModel, only?: Iterable<string>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const loop = [...trail.slice(trail.indexOf(name)), name];
      throw new ModelError(`services.${loop[0]}.depends_on`, `dependency cycle detected: ${loop.join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const dep of Object.keys(model.services[name]?.depends_on ?? {})) if (model.services[dep]) visit(dep, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of only ?? Object.keys(model.services).sort()) visit(name, []);
  return order;
}

/** `names` and everything they depend on, transitively. */
export function withDependencies(model: ComposeModel, names: readonly string[]): string[] {
  const seen = new Set<string>();
  const walk = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const d of Object.keys(model.services[n]?.depends_on ?? {})) walk(d);
  };
  names.forEach(walk);
  return [...seen];
}

/** Services that depend on `name` (directly). */
export function dependents(model: ComposeModel, name: string): string[] {
  return Object.keys(model.services).filter((s) => model.services[s]!.depends_on?.[name]);
}
