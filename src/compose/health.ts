/**
 * Waiting for `depends_on` conditions: `service_started` (running), `service_healthy`
 * (healthy), `service_completed_successfully` (exited 0). Health comes from the engine's
 * `State.Health` when it reports one; an engine that does not run healthchecks gets the
 * check run here, through exec, with the service's test, interval, timeout and retries.
 */
import { failedPrecondition } from '../lib/errors.js';
import type { ComposeContext } from './context.js';
import { durationNs } from './convert.js';
import type { ContainerInspect } from './engine.js';
import type { DependsCondition, Healthcheck } from './model.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the healthcheck test once in the container; true when it exits 0 within the timeout. */
async function probe(ctx: ComposeContext, id: string, test: string[], timeoutMs: number): Promise<boolean> {
  const cmd = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test.slice(1);
  const api = ctx.engine.api;
  const created = await api.request('POST', `/containers/${encodeURIComponent(id)}/exec`, { body: { Cmd: cmd, AttachStdout: true, AttachStderr: true } });
  const execId = created.json<{ Id: string }>().Id;
  // A probe that outlives its timeout keeps running; its late answer (or failure) is ignored.
  const done = api.request('POST', `/exec/${encodeURIComponent(execId)}/start`, { body: { Detach: false, Tty: false } }).then(() => true, () => false);
  const inTime = await Promise.race([done, sleep(timeoutMs).then(() => false)]);
  if (!inTime) return false;
  const info = (await api.request('GET', `/exec/${encodeURIComponent(execId)}/json`)).json<{ ExitCode: number | null }>();
  return info.ExitCode === 0;
}

type ApiHealthcheck = NonNullable<ContainerInspect['Config']['Healthcheck']>;

/** The service's healthcheck in the engine's form (nanoseconds), as convert.ts sends it. */
function apiForm(hc: Healthcheck | undefined): ApiHealthcheck | undefined {
  if (!hc?.test) return undefined;
  return { Test: hc.disable ? ['NONE'] : hc.test, Interval: durationNs(hc.interval), Timeout: durationNs(hc.timeout), Retries: hc.retries, StartPeriod: durationNs(hc.start_period) };
}

async function waitHealthy(ctx: ComposeContext, id: string, name: string, hc: Healthcheck | undefined): Promise<void> {
  const first = await ctx.engine.inspect(id);
  // The container's own record covers a HEALTHCHECK inherited from the image too.
  const check = first.Config.Healthcheck?.Test?.length ? first.Config.Healthcheck : apiForm(hc);
  const test = check?.Test ?? [];
  if (!first.State.Health && (!test.length || test[0] === 'NONE')) throw failedPrecondition(`container ${name} has no healthcheck configured`);
  // Docker's defaults: every 30s, 30s timeout, 3 retries.
  const nsToMs = (ns: number | undefined, dflt: number) => (ns ? ns / 1e6 : dflt);
  const interval = nsToMs(check?.Interval, 30_000);
  const timeout = nsToMs(check?.Timeout, 30_000);
  const retries = check?.Retries || 3;
  const startPeriodEnds = Date.now() + nsToMs(check?.StartPeriod, 0);
  let failures = 0;
  for (;;) {
    const c = await ctx.engine.inspect(id);
    if (!c.State.Running) throw failedPrecondition(`container ${name} exited (${c.State.ExitCode})`);
    if (c.State.Health) {
      if (c.State.Health.Status === 'healthy') return;
      if (c.State.Health.Status === 'unhealthy') throw failedPrecondition(`container ${name} is unhealthy`);
      await sleep(200);
      continue;
    }
    if (await probe(ctx, id, test, timeout)) return;
    if (Date.now() >= startPeriodEnds && ++failures >= retries) throw failedPrecondition(`container ${name} is unhealthy`);
    await sleep(interval);
  }
}

/** Waits until container `id` (named `name`, of `service`) meets `condition`; fails with Compose's wording. */
export async function waitCondition(ctx: ComposeContext, id: string, name: string, service: string, condition: DependsCondition, hc: Healthcheck | undefined): Promise<void> {
  if (condition === 'service_healthy') return waitHealthy(ctx, id, name, hc);
  if (condition === 'service_completed_successfully') {
    const code = await ctx.engine.wait(id);
    if (code !== 0) throw failedPrecondition(`service "${service}" didn't complete successfully: exit ${code}`);
    return;
  }
  const c = await ctx.engine.inspect(id);
  if (!c.State.Running && c.State.Status !== 'exited') throw failedPrecondition(`container ${name} is not running`);
}
