/** `GET /containers/{id}/stats`: one sample (`stream=false`), or one per second until the client leaves. */
import { statsSample, type StatsJson } from '../../containers/stats.js';
import type { ContainerService } from '../../containers/service.js';
import { boolParam, type Router } from '../router.js';

const INTERVAL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerStatsRoutes(r: Router, svc: ContainerService): void {
  r.add('GET', '/containers/{id}/stats', async (ctx) => {
    const rec = svc.get(ctx.params.id!);
    const stream = boolParam(ctx.query, 'stream', true);
    const oneShot = boolParam(ctx.query, 'one-shot');
    const res = ctx.res;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    let closed = false;
    res.on('close', () => (closed = true));
    let prev: StatsJson | undefined;
    if (!stream) {
      // Without one-shot, Docker answers with a second sample so the client can compute CPU %.
      if (!oneShot) {
        prev = await statsSample(svc, rec);
        await sleep(INTERVAL_MS);
      }
      res.end(JSON.stringify(await statsSample(svc, rec, prev)) + '\n');
      return;
    }
    while (!closed) {
      prev = await statsSample(svc, rec, prev);
      res.write(JSON.stringify(prev) + '\n');
      if (!svc.find(rec.Id)) break;
      await sleep(INTERVAL_MS);
    }
    res.end();
  });
}
