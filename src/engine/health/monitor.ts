/**
 * Runs containers' health checks (Docker's HEALTHCHECK; Compose's `service_healthy` waits on
 * it): while a container runs, its test is executed inside it like `docker exec` — its own
 * conmon, every namespace and the cgroup — every interval, cut off at the timeout. The result
 * goes into State.Health (last five outputs kept), `ps` shows `(healthy)`, and a change of
 * status is announced as a `health_status: …` event, as dockerd does.
 */
import { connectAttach } from '../../host/seqpacket.js';
import { log } from '../../lib/log.js';
import { messageOf } from '../../lib/errors.js';
import type { ContainerRecord } from '../containers/record.js';
import type { ContainerService } from '../containers/service.js';
import type { ExecService } from '../exec/service.js';
import { effectiveCheck, nextState, type EffectiveCheck, type HealthConfig, type HealthResult } from './config.js';

const MAX_OUTPUT = 4096;

export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly svc: ContainerService,
    private readonly execs: ExecService,
    /** The image's HEALTHCHECK, merged under the container's own. */
    private readonly imageCheck: (imageId: string) => HealthConfig | undefined,
  ) {
    svc.on('event', (e: { Type: string; Action: string; Actor: { ID: string } }) => {
      if (e.Type !== 'container') return;
      if (e.Action === 'start') this.watch(e.Actor.ID);
      else if (e.Action === 'die' || e.Action === 'destroy') this.unwatch(e.Actor.ID);
    });
  }

  /** Resumes checks of containers that run already (after a daemon restart). */
  adopt(records: ContainerRecord[]): void {
    for (const r of records) if (r.State.Status === 'running') this.watch(r.Id, false);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private check(rec: ContainerRecord): EffectiveCheck | undefined {
    return effectiveCheck(rec.Config.Healthcheck as HealthConfig | undefined, this.imageCheck(rec.ImageId));
  }

  private watch(id: string, fresh = true): void {
    const rec = this.svc.find(id);
    if (!rec) return;
    const check = this.check(rec);
    this.unwatch(id);
    if (!check) {
      delete rec.State.Health;
      return;
    }
    if (fresh || !rec.State.Health) rec.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    this.schedule(rec, check);
  }

  private unwatch(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private inStartPeriod(rec: ContainerRecord, check: EffectiveCheck): boolean {
    return Date.now() < Date.parse(rec.State.StartedAt) + check.startPeriodMs;
  }

  private schedule(rec: ContainerRecord, check: EffectiveCheck): void {
    // During the start period a container still `starting` is probed at the start interval.
    const starting = rec.State.Health?.Status === 'starting' && this.inStartPeriod(rec, check);
    const t = setTimeout(() => void this.tick(rec, check), starting ? Math.min(check.startIntervalMs, check.intervalMs) : check.intervalMs);
    t.unref();
    this.timers.set(rec.Id, t);
  }

  private async tick(rec: ContainerRecord, check: EffectiveCheck): Promise<void> {
    if (rec.State.Status !== 'running' || !this.timers.has(rec.Id)) return;
    let result: HealthResult;
    try {
      result = await this.probe(rec, check);
    } catch (err) {
      const now = new Date().toISOString();
      result = { Start: now, End: now, ExitCode: -1, Output: messageOf(err) };
    }
    // The container may have stopped (or been restarted) while the probe ran.
    if (rec.State.Status !== 'running' || !this.timers.has(rec.Id) || !rec.State.Health) return;
    const before = rec.State.Health.Status;
    rec.State.Health = nextState(rec.State.Health, result, check, this.inStartPeriod(rec, check));
    await this.svc.save(rec).catch((err) => log.warn('saving health state failed', { id: rec.Id, error: messageOf(err) }));
    if (rec.State.Health.Status !== before) this.svc.announce(`health_status: ${rec.State.Health.Status}`, rec);
    if (this.timers.has(rec.Id)) this.schedule(rec, check);
  }

  /** Runs the test once inside the container; its exit code and (bounded) output. */
  private async probe(rec: ContainerRecord, check: EffectiveCheck): Promise<HealthResult> {
    const start = new Date();
    const e = this.execs.create(rec.Id, { Cmd: check.cmd, AttachStdout: true, AttachStderr: true });
    const handle = await this.execs.start(e, true);
    let output = '';
    const conn = await handle.attachReady.then(
      () => connectAttach(e.dir, (_stream, data) => (output = (output + data.toString('utf8')).slice(0, MAX_OUTPUT))),
      () => undefined,
    );
    handle.go();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      e.done!.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), check.timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut && e.pid) this.svc.opts.host.kill(e.pid, 'SIGKILL');
    // The output is complete once conmon closes the socket; never wait long for a stuck one.
    await Promise.race([conn?.closed, new Promise((r) => setTimeout(r, 1000).unref())]);
    conn?.close();
    const end = new Date().toISOString();
    if (timedOut) return { Start: start.toISOString(), End: end, ExitCode: -1, Output: `Health check exceeded timeout (${check.timeoutMs / 1000}s)` };
    return { Start: start.toISOString(), End: end, ExitCode: e.exitCode ?? -1, Output: output };
  }
}
