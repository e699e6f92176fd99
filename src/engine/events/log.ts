/**
 * The engine's event log (`docker events`): a bounded in-memory history for `since`, and live
 * fan-out to subscribers. Events have Docker's shape (api/types/events), including the
 * deprecated `status`/`id`/`from` fields that older clients still read.
 */
import { invalidArgument } from '../../lib/errors.js';

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number; // unix seconds
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

const HISTORY = 1024;

export class EventLog {
  private history: EngineEvent[] = [];
  private subscribers = new Set<(e: EngineEvent) => void>();

  publish(e: EngineEvent): void {
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const s of this.subscribers) s(e);
  }

  /** Past events at or after `sinceNano` (and at or before `untilNano`, when given). */
  past(sinceNano: number, untilNano = Infinity): EngineEvent[] {
    return this.history.filter((e) => e.timeNano >= sinceNano && e.timeNano <= untilNano);
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

const FILTERS = ['type', 'container', 'image', 'event', 'label', 'scope', 'network', 'volume'];

/** Compiles Docker's event filters into a predicate; unknown filter names are refused by name. */
export function eventFilter(f: Record<string, string[]>): (e: EngineEvent) => boolean {
  for (const k of Object.keys(f)) if (!FILTERS.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  const any = (key: string, test: (v: string) => boolean) => !f[key]?.length || f[key]!.some(test);
  return (e) =>
    any('type', (v) => v === e.Type) &&
    any('event', (v) => v === e.Action || e.Action.startsWith(`${v}:`)) &&
    any('scope', (v) => v === e.scope) &&
    any('container', (v) => e.Type === 'container' && (e.Actor.ID.startsWith(v) || e.Actor.Attributes.name === v)) &&
    any('image', (v) => e.Actor.Attributes.image === v || e.from === v || (e.Type === 'image' && e.Actor.ID === v)) &&
    any('network', (v) => e.Type === 'network' && (e.Actor.ID.startsWith(v) || e.Actor.Attributes.name === v)) &&
    any('volume', (v) => e.Type === 'volume' && e.Actor.ID === v) &&
    (!f.label?.length || f.label.every((l) => {
      const [k, val] = l.split('=', 2) as [string, string | undefined];
      return val === undefined ? k in e.Actor.Attributes : e.Actor.Attributes[k] === val;
    }));
}

/** Docker's time parameters: unix seconds with an optional fraction, or an RFC 3339 date. */
export function parseEventTime(raw: string | null, name: string): number | undefined {
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1e9);
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw invalidArgument(`invalid value for ${name}: ${raw}`);
  return ms * 1e6;
}
