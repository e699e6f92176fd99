/**
 * `start`: mounts the container's root file system (image layers + container layer as one
 * overlay), writes the OCI bundle, and has conmon run `runc create`, then `runc start`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { failedPrecondition, invalidArgument, isKind } from '../../lib/errors.js';
import { span } from '../../lib/trace.js';
import { hostsFile, resolvConf, type EtcInput } from '../network/etc.js';
import { buildSpec, mergeEnv } from '../runtime/spec.js';
import { resolveUser } from '../runtime/user.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';
import { removeContainer } from './remove.js';
import { netnsFile, prepareSandbox, releaseSandbox } from './sandbox.js';
import { check } from './state.js';

/**
 * Rewrites a running container's /etc/resolv.conf after `network connect`: joining a user
 * network switches it to that network's embedded DNS server, as Docker's resolver does. The
 * file is rewritten in place, so the container's bind mount sees the new content.
 */
export async function refreshResolvConf(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  const embeddedDns = svc.opts.network?.embeddedDns(rec);
  if (!embeddedDns) return;
  const input: EtcInput = {
    hostname: rec.Config.Hostname!, addresses: [], extraHosts: [], embeddedDns,
    dnsSearch: rec.HostConfig.DnsSearch as string[] | undefined, dnsOptions: rec.HostConfig.DnsOptions as string[] | undefined,
  };
  const host = await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await fs.writeFile(svc.store.dirs.file(rec.Id, 'resolv.conf'), resolvConf(input, host));
}

async function writeEtcFiles(svc: ContainerService, rec: ContainerRecord) {
  const dirs = svc.store.dirs;
  const files = { hostname: dirs.file(rec.Id, 'hostname'), hosts: dirs.file(rec.Id, 'hosts'), resolvConf: dirs.file(rec.Id, 'resolv.conf') };
  const eps = Object.values(rec.Networks ?? {}).filter((e) => e.IPAddress);
  const gateway = eps[0]?.Gateway ?? '';
  const extraHosts = ((rec.HostConfig.ExtraHosts as string[] | null | undefined) ?? []).map((h) => {
    const at = h.indexOf(':');
    const ip = h.slice(at + 1);
    return { name: h.slice(0, at), ip: ip === 'host-gateway' ? gateway : ip };
  });
  const input: EtcInput = {
    hostname: rec.Config.Hostname!,
    domainname: rec.Config.Domainname || undefined,
    addresses: eps.map((e) => e.IPAddress),
    extraHosts,
    dns: rec.HostConfig.Dns as string[] | undefined,
    dnsSearch: rec.HostConfig.DnsSearch as string[] | undefined,
    dnsOptions: rec.HostConfig.DnsOptions as string[] | undefined,
    embeddedDns: svc.opts.network?.embeddedDns(rec),
  };
  await fs.writeFile(files.hostname, `${rec.Config.Hostname}\n`);
  await fs.writeFile(files.hosts, hostsFile(input));
  await fs.writeFile(files.resolvConf, resolvConf(input, await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '')));
  return files;
}

/** Maps runc's start failure to Docker's exit code and error kind (127 not found, 126 cannot run). */
export function startFailure(message: string): { exitCode: number; error: Error } {
  const full = `OCI runtime create failed: ${message}: unknown`;
  if (/executable file not found|no such file or directory/.test(message)) return { exitCode: 127, error: invalidArgument(full) };
  if (/permission denied|is a directory/.test(message)) return { exitCode: 126, error: invalidArgument(full) };
  return { exitCode: 128, error: failedPrecondition(full) };
}

/** Starts a created or exited container. Resolves once the process is running. */
export async function startContainer(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  if (rec.State.Status === 'running') throw failedPrecondition('already running');
  check('start', rec.State.Status, rec.Id);
  const id = rec.Id;
  const { runtime } = svc.opts;
  const bundle = svc.bundleDir(id);
  const rootfs = svc.rootfsDir(id);
  try {
    await prepareSandbox(svc, rec);
    await span(id, 'write bundle', async () => {
      const etcFiles = await writeEtcFiles(svc, rec);
      const user = await resolveUser(rootfs, rec.Config.User);
      const env = mergeEnv([], rec.Config.Env ?? [], rec.Config.Hostname!, !!rec.Config.Tty, user.home);
      if (rec.HostConfig.Init && !svc.opts.initBinary) throw invalidArgument('--init requested but no init binary (tini) is installed');
      const spec = buildSpec({ rec, env, user, etcFiles, initBinary: svc.opts.initBinary, cgroupParent: svc.opts.cgroupParent, availableCaps: svc.opts.availableCaps });
      const linux = spec.linux as { namespaces: Array<{ type: string; path?: string }> };
      const ns = netnsFile(svc, rec);
      // Join the namespace prepared for the container, or the host's for --network host.
      linux.namespaces = linux.namespaces.filter((n) => n.type !== 'network').concat(ns ? [{ type: 'network', path: ns }] : []);
      // Docker keeps the whole log across restarts; conmon appends to it.
      await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
    });
    const { pid, monitorPid } = await span(id, 'runtime create', async () => {
      try {
        // Docker closes stdin when the first client's input ends only for StdinOnce without a TTY.
        const leaveStdinOpen = !(rec.Config.StdinOnce && !rec.Config.Tty);
        return await runtime.create({ id, bundle, logPath: svc.store.dirs.logFile(id), tty: !!rec.Config.Tty, stdin: !!rec.Config.OpenStdin, leaveStdinOpen });
      } catch (err) {
        if (isKind(err, 'FailedPrecondition')) throw Object.assign(new Error(err.message), { runtimeMessage: err.message });
        throw err;
      }
    });
    // Connected before the process runs, so input typed ahead of start is not lost.
    if (rec.Config.OpenStdin) await span(id, 'connect stdin', () => svc.stdin.connect(id, bundle));
    await span(id, 'runtime start', () => runtime.start(id));
    rec.State = { ...rec.State, Status: 'running', Pid: pid, MonitorPid: monitorPid, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: new Date().toISOString(), FinishedAt: rec.State.FinishedAt, ManuallyStopped: false };
    await svc.save(rec);
    svc.announce('start', rec);
    svc.emit('start', id);
  } catch (err) {
    await runtime.delete(id, true).catch(() => undefined);
    await releaseSandbox(svc, rec).catch(() => undefined);
    const runtimeMessage = (err as { runtimeMessage?: string }).runtimeMessage;
    const failure = runtimeMessage === undefined ? { exitCode: 128, error: err as Error } : startFailure(runtimeMessage);
    rec.State = { ...rec.State, Status: rec.State.Status === 'created' ? 'created' : 'exited', ExitCode: failure.exitCode, Error: failure.error.message, Pid: 0 };
    await svc.save(rec);
    // Docker removes an --rm container whose start failed; `docker run --rm` waits for that.
    if (rec.HostConfig.AutoRemove) await removeContainer(svc, rec, { force: true, volumes: true }).catch(() => undefined);
    throw failure.error;
  }
}
