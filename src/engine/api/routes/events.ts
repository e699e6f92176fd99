/** `GET /events`: past events from `since`, then live ones until `until` or the client leaves. */
import { eventFilter, parseEventTime, type EngineEvent, type EventLog } from '../../events/log.js';
import { filtersParam, type Router } from '../router.js';

export function registerEventRoutes(r: Router, events: EventLog): void {
  r.add('GET', '/events', async (ctx) => {
    const q = ctx.query;
    const since = parseEventTime(q.get('since'), 'since');
    const until = parseEventTime(q.get('until'), 'until');
    const match = eventFilter(filtersParam(q));
    const res = ctx.res;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const write = (e: EngineEvent) => {
      if (match(e) && (until === undefined || e.timeNano <= until)) res.write(JSON.stringify(e) + '\n');
    };
    if (since !== undefined) events.past(since, until).forEach(write);
    const nowNano = Date.now() * 1e6;
    if (until !== undefined && until <= nowNano) return void res.end();
    const unsubscribe = events.subscribe(write);
    await new Promise<void>((resolve) => {
      res.on('close', () => resolve());
      if (until !== undefined) setTimeout(resolve, (until - nowNano) / 1e6).unref();
    });
    unsubscribe();
    res.end();
  });
}
