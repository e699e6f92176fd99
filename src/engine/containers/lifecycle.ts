/**
 * The verbs that move a running container along its lifecycle: stop, kill, restart, pause,
 * unpause, and wait. Waiting for an exit never holds the container's lock, because the exit
 * handler needs it to record the exit.
 */
import { constants } from 'node:os';
import { invalidArgument } from '../../lib/errors.js';
import { cancelRestart } from './monitor.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';
import { check } from './state.js';

/** Parses a signal given as `SIGTERM`, `TERM`, `term` or `15` into its number. */
export function parseSignal(raw: string | undefined | null, dflt = 'SIGTERM'): number {
  const s = (raw || dflt).trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw invalidArgument(`Invalid signal: ${s}`);
    return n;
  }
  const name = (s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`) as keyof typeof constants.signals;
  const n = constants.signals[name];
  if (n === undefined) throw invalidArgument(`Invalid signal: ${s}`);
  return n;
}

const isLive = (rec: ContainerRecord) => ['running', 'paused', 'restarting'].includes(rec.State.Status);

/** Resolves when the container's process has exited (or at once if it is not running). */
export function exited(svc: ContainerService, rec: ContainerRecord, timeoutMs?: number): Promise<boolean> {
  if (!isLive(rec) || rec.State.Status === 'restarting') return Promise.resolve(true);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onExit = (id: string) => {
      if (id !== rec.Id) return;
      cleanup();
      resolve(true);
    };
    const cleanup = () => {
      svc.off('exit', onExit);
      if (timer) clearTimeout(timer);
    };
    svc.on('exit', onExit);
    if (timeoutMs !== undefined)
      timer = setTimeout(() => {
        cleanup();
        resolve(false);
      }, timeoutMs);
  });
}

async function signal(svc: ContainerService, rec: ContainerRecord, sig: number): Promise<void> {
  if (rec.State.Pid <= 0) return;
  if (rec.State.Status === 'paused') {
    // A frozen process cannot act on a signal; thaw it so it can (Docker does the same).
    svc.opts.host.kill(rec.State.Pid, sig);
    await svc.opts.runtime.resume(rec.Id);
    rec.State.Status = 'running';
    svc.announce('unpause', rec);
    return;
  }
  svc.opts.host.kill(rec.State.Pid, sig);
}

/**
 * Stops a container: its stop signal, then SIGKILL after `timeoutSec` (the container's
 * StopTimeout, else 10 s). Returns false when it was not running (the API answers 304).
 */
export async function stopContainer(svc: ContainerService, rec: ContainerRecord, timeoutSec?: number, sigName?: string): Promise<boolean> {
  const sent = await svc.withLock(rec.Id, async () => {
    if (rec.State.Status === 'restarting') {
      cancelRestart(svc, rec);
      rec.State.ManuallyStopped = true;
      await svc.save(rec);
      return false;
    }
    if (!isLive(rec)) return false;
    rec.State.ManuallyStopped = true;
    await svc.save(rec);
    const sig = parseSignal(sigName || rec.Config.StopSignal);
    const done = exited(svc, rec);
    await signal(svc, rec, sig);
    // Wrapped so the lock is released now: the exit handler needs it to record the exit.
    return { done };
  });
  if (sent === false) return false;
  const t = timeoutSec ?? rec.Config.StopTimeout ?? 10;
  const inTime = t < 0 ? await sent.done : await Promise.race([sent.done, new Promise<boolean>((r) => setTimeout(() => r(false), t * 1000).unref())]);
  if (!inTime && isLive(rec)) {
    svc.opts.host.kill(rec.State.Pid, 'SIGKILL');
    await exited(svc, rec, 30_000);
  }
  svc.announce('stop', rec);
  return true;
}

/** Sends a signal (default SIGKILL) to the container's main process. */
export async function killContainer(svc: ContainerService, rec: ContainerRecord, sigName?: string): Promise<void> {
  const sig = parseSignal(sigName, 'SIGKILL');
  await svc.withLock(rec.Id, async () => {
    if (rec.State.Status === 'restarting') cancelRestart(svc, rec);
    check('kill', rec.State.Status, rec.Id);
    if (sig === constants.signals.SIGKILL || sig === parseSignal(rec.Config.StopSignal)) {
      rec.State.ManuallyStopped = true;
      await svc.save(rec);
    }
    await signal(svc, rec, sig);
    svc.announce('kill', rec, { signal: String(sig) });
  });
}

export async function pauseContainer(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  await svc.withLock(rec.Id, async () => {
    check('pause', rec.State.Status, rec.Id);
    await svc.opts.runtime.pause(rec.Id);
    rec.State.Status = 'paused';
    await svc.save(rec);
    svc.announce('pause', rec);
  });
}

export async function unpauseContainer(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  await svc.withLock(rec.Id, async () => {
    check('unpause', rec.State.Status, rec.Id);
    await svc.opts.runtime.resume(rec.Id);
    rec.State.Status = 'running';
    await svc.save(rec);
    svc.announce('unpause', rec);
  });
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** Docker's wait: resolves with the exit code once `condition` holds. */
export function waitContainer(svc: ContainerService, rec: ContainerRecord, condition: WaitCondition): Promise<{ StatusCode: number; Error: null | { Message: string } }> {
  const result = () => ({ StatusCode: rec.State.ExitCode, Error: null });
  if (condition === 'not-running' && !isLive(rec)) return Promise.resolve(result());
  const event = condition === 'removed' ? 'destroy' : 'exit';
  return new Promise((resolve) => {
    const on = (id: string) => {
      if (id !== rec.Id) return;
      svc.off(event, on);
      svc.off('destroy', on);
      resolve(result());
    };
    svc.on(event, on);
    // A container removed while someone waits for its exit ends that wait too.
    if (event !== 'destroy') svc.on('destroy', on);
  });
}
