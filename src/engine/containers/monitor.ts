/**
 * Exit monitoring and re-adoption.
 *
 * conmon writes `<exec-root>/exits/<id>` with the exit code when a container's process ends;
 * the daemon watches that directory (inotify through fs.watch). Because conmon, not the daemon,
 * is the container's parent, containers outlive the daemon: at start-up `restore` re-adopts
 * running ones and finalizes those that exited while the daemon was down.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { oomKills } from '../../host/cgroups.js';
import { log } from '../../lib/log.js';
import { messageOf } from '../../lib/errors.js';
import type { ContainerRecord } from './record.js';
import { removeContainer } from './remove.js';
import type { ContainerService } from './service.js';
import { releaseSandbox } from './sandbox.js';
import { startContainer } from './start.js';

async function readExitCode(file: string): Promise<number | undefined> {
  for (let i = 0; i < 20; i++) {
    const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    if (text.trim() !== '') return Number(text.trim());
    await new Promise((r) => setTimeout(r, 5));
  }
  return 255;
}

/**
 * Waits (briefly) for conmon to exit: it writes the exit file first and drains the container's
 * last output into the log after, so "exited" is announced only once the log is complete.
 */
async function monitorGone(svc: ContainerService, pid: number | undefined): Promise<void> {
  if (!pid) return;
  for (let i = 0; i < 400 && svc.opts.host.alive(pid); i++) await new Promise((r) => setTimeout(r, 5));
}

/** Releases what a stopped container held: runtime state and cgroup, rootfs mount, netns (independent, so in parallel). */
export async function releaseRuntime(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  svc.stdin.release(rec.Id);
  await Promise.all([
    svc.opts.runtime.delete(rec.Id, true).catch((err) => log.warn('runtime delete failed', { id: rec.Id, error: messageOf(err) })),
    releaseSandbox(svc, rec).catch((err) => log.warn('sandbox release failed', { id: rec.Id, error: messageOf(err) })),
  ]);
}

/** Records that `rec`'s process ended with `code`, then applies --rm or the restart policy. */
export async function finalizeExit(svc: ContainerService, rec: ContainerRecord, code: number): Promise<void> {
  if (!['running', 'paused', 'restarting'].includes(rec.State.Status)) return;
  await monitorGone(svc, rec.State.MonitorPid);
  const oom = (await oomKills(`${svc.opts.cgroupParent}/${rec.Id}`)) > 0;
  await releaseRuntime(svc, rec);
  await fsp.rm(svc.opts.runtime.exitFile(rec.Id), { force: true });
  rec.State = { ...rec.State, Status: 'exited', Pid: 0, ExitCode: code, OOMKilled: oom, FinishedAt: new Date().toISOString() };
  await svc.save(rec);
  // Decided before the exit is announced (Docker too is `restarting` by its `die` event), so
  // whoever hears the exit knows whether the container will run again.
  if (!rec.HostConfig.AutoRemove && shouldRestart(rec)) scheduleRestart(svc, rec);
  if (oom) svc.announce('oom', rec);
  svc.announce('die', rec, { exitCode: String(code) });
  svc.emit('exit', rec.Id, code);
  if (rec.HostConfig.AutoRemove) {
    await removeContainer(svc, rec, { force: true, volumes: true }).catch((err: unknown) => log.warn('auto-remove failed', { id: rec.Id, error: messageOf(err) }));
    return;
  }
  svc.settle(rec);
}

function shouldRestart(rec: ContainerRecord): boolean {
  const p = rec.HostConfig.RestartPolicy;
  if (!p || rec.State.ManuallyStopped) return false;
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return rec.State.ExitCode !== 0 && (!p.MaximumRetryCount || rec.RestartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

const pending = new Map<string, NodeJS.Timeout>();

/** Restarts after Docker's back-off: 100 ms doubling per consecutive restart, at most 1 minute. */
function scheduleRestart(svc: ContainerService, rec: ContainerRecord): void {
  const delay = Math.min(100 * 2 ** Math.min(rec.RestartCount, 10), 60_000);
  rec.State.Status = 'restarting';
  const t = setTimeout(() => {
    pending.delete(rec.Id);
    // A log follower arriving while the start is under way (the record reads `exited` then)
    // must still follow: the start is coming.
    const started = svc.expectStart(rec.Id);
    void svc.withLock(rec.Id, async () => {
      if (rec.State.Status !== 'restarting') return;
      rec.State.Status = 'exited';
      rec.RestartCount++;
      await startContainer(svc, rec);
      svc.announce('restart', rec);
    })
      .catch((err) => log.warn('restart failed', { id: rec.Id, error: messageOf(err) }))
      .finally(started);
  }, delay);
  t.unref();
  pending.set(rec.Id, t);
}

/** Cancels a pending policy restart (stop, kill and rm call this). */
export function cancelRestart(svc: ContainerService, rec: ContainerRecord): void {
  const t = pending.get(rec.Id);
  if (t) clearTimeout(t);
  pending.delete(rec.Id);
  if (rec.State.Status !== 'restarting') return;
  rec.State.Status = 'exited';
  svc.settle(rec);
}

/** Handles an exit file for `id`, if the container is one of ours and the file is complete. */
async function onExitFile(svc: ContainerService, id: string): Promise<void> {
  const rec = svc.find(id);
  if (!rec || rec.Id !== id) return;
  const code = await readExitCode(svc.opts.runtime.exitFile(id));
  if (code === undefined) return;
  await svc.withLock(id, () => finalizeExit(svc, rec, code));
}

/** Watches the exit directory; returns a function that stops watching. */
export function watchExits(svc: ContainerService): () => void {
  const watcher = fs.watch(svc.opts.runtime.exitDir, (_event, name) => {
    if (name && /^[0-9a-f]{64}$/.test(name)) void onExitFile(svc, name).catch((err) => log.error('exit handling failed', { id: name, error: messageOf(err) }));
  });
  return () => watcher.close();
}

/**
 * Re-adopts containers after a daemon (re)start: running ones keep running; ones that exited
 * while the daemon was away get their real exit code; policy restarts happen as Docker does.
 */
export async function restore(svc: ContainerService): Promise<void> {
  for (const rec of await svc.loadRecords()) {
    if (rec.State.Status === 'removing') rec.State.Status = 'dead';
    if (rec.State.Status === 'created' || rec.State.Status === 'exited') {
      // A sandbox prepared for a start that never came (or a crash mid-exit) is released.
      await releaseSandbox(svc, rec).catch(() => undefined);
    }
    if (!['running', 'paused', 'restarting'].includes(rec.State.Status)) {
      // Docker restarts `always` containers at daemon start even after a manual stop; `unless-stopped` ones only if not stopped by hand.
      const policy = rec.HostConfig.RestartPolicy?.Name;
      if (rec.State.Status === 'exited' && (policy === 'always' || (policy === 'unless-stopped' && !rec.State.ManuallyStopped))) {
        rec.State.ManuallyStopped = false;
        scheduleRestart(svc, rec);
      }
      continue;
    }
    const code = await readExitCode(svc.opts.runtime.exitFile(rec.Id));
    if (code !== undefined) {
      await finalizeExit(svc, rec, code);
      continue;
    }
    const st = await svc.opts.runtime.state(rec.Id);
    if (st && (st.status === 'running' || st.status === 'paused')) {
      rec.State.Status = st.status;
      rec.State.Pid = st.pid;
      await svc.save(rec);
      // Re-open the stdin connection (the old one closed with the previous daemon).
      if (rec.Config.OpenStdin) await svc.stdin.connect(rec.Id, svc.bundleDir(rec.Id)).catch((err) => log.warn('stdin reconnect failed', { id: rec.Id, error: messageOf(err) }));
      continue;
    }
    // Neither an exit file nor a live process: the monitor itself died with the container.
    rec.State.Error = 'container monitor exited without recording an exit code';
    await finalizeExit(svc, rec, 255);
  }
}
