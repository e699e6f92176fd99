/**
 * Waiting for `depends_on` conditions: `service_started` (running), `service_healthy` (the
 * engine's health check says healthy, as `State.Health` shows it) and
 * `service_completed_successfully` (exited 0), with Compose's wording when one fails.
 */
import { failedPrecondition } from '../lib/errors.js';
import type { ComposeContext } from './context.js';
import type { DependsCondition } from './model.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(ctx: ComposeContext, id: string, name: string): Promise<void> {
  // The engine reports health from its first watch of the started container on; a moment
  // without `State.Health` is not yet the absence of a check.
  const noCheckBy = Date.now() + 5000;
  for (;;) {
    const c = await ctx.engine.inspect(id);
    if (!c.State.Health) {
      if (Date.now() > noCheckBy) throw failedPrecondition(`container ${name} has no healthcheck configured`);
      await sleep(200);
      continue;
    }
    if (c.State.Health.Status === 'healthy') return;
    if (c.State.Health.Status === 'unhealthy') throw failedPrecondition(`container ${name} is unhealthy`);
    if (!c.State.Running) throw failedPrecondition(`container ${name} exited (${c.State.ExitCode})`);
    await sleep(200);
  }
}

/** Waits until container `id` (named `name`, of `service`) meets `condition`. */
export async function waitCondition(ctx: ComposeContext, id: string, name: string, service: string, condition: DependsCondition): Promise<void> {
  if (condition === 'service_healthy') return waitHealthy(ctx, id, name);
  if (condition === 'service_completed_successfully') {
    const code = await ctx.engine.wait(id);
    if (code !== 0) throw failedPrecondition(`service "${service}" didn't complete successfully: exit ${code}`);
    return;
  }
  const c = await ctx.engine.inspect(id);
  if (!c.State.Running && c.State.Status !== 'exited') throw failedPrecondition(`container ${name} is not running`);
}
