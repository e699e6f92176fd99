/**
 * `berth daemon`: the engine daemon (the lecture's dockerd + containerd). It opens the image
 * and container stores, re-adopts containers that outlived a previous daemon, loads images
 * dropped into `<data-root>/images-import/`, and serves the Docker Engine API on a unix socket.
 */
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { boundingCapNumbers } from '../../host/caps.js';
import { removeCgroupParent } from '../../host/cgroups.js';
import { ALL_CAPS } from '../runtime/defaults.js';
import { realMountHost } from '../../host/mounts.js';
import { realHost } from '../../host/real.js';
import { messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { readJson, writeJsonAtomic } from '../../lib/fsutil.js';
import { ApiServer } from '../api/server.js';
import { registerArchiveRoutes } from '../api/routes/archive.js';
import { registerBuildRoutes } from '../api/routes/build.js';
import { BuildService } from '../build/service.js';
import { registerContainerRoutes } from '../api/routes/containers.js';
import { registerEventRoutes } from '../api/routes/events.js';
import { registerExecRoutes } from '../api/routes/exec.js';
import { registerNetworkRoutes } from '../api/routes/networks.js';
import { ExecService } from '../exec/service.js';
import { registerStatsRoutes } from '../api/routes/stats.js';
import { EventLog, type EngineEvent } from '../events/log.js';
import { registerImageRoutes } from '../api/routes/images.js';
import { pullHandler, registerDistributionRoutes } from '../api/routes/distribution.js';
import { RegistryService, type RegistryOptions } from '../registry/service.js';
import type { HealthConfig } from '../health/config.js';
import { HealthMonitor } from '../health/monitor.js';
import { registerSystemRoutes } from '../api/routes/system.js';
import { registerVolumeRoutes } from '../api/routes/volumes.js';
import { runningVolumeUsers, volumeUsers } from '../containers/mounts.js';
import { VolumeService } from '../volumes/service.js';
import { stopContainer } from '../containers/lifecycle.js';
import { restore, watchExits } from '../containers/monitor.js';
import { netnsDir } from '../containers/sandbox.js';
import { ContainerService } from '../containers/service.js';
import { ImageService } from '../images/service.js';
import { ConmonRuntime } from '../runtime/conmon-runc.js';
import { startNetworking } from './networking.js';
import { importDroppedImages } from './import-dir.js';
import { claimPidFiles, releasePidFiles } from './pidfile.js';

export interface DaemonOptions {
  dataRoot: string;
  execRoot: string;
  host: string;
  runtime: string;
  liveRestore: boolean;
  /** Gateway address and prefix of the default bridge (`--bip`). */
  bip?: string;
  /** Registry client settings (`--insecure-registry`, `--max-concurrent-downloads`, …). */
  registry?: RegistryOptions;
}

function socketPath(host: string): string {
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  throw new Error(`unsupported host address ${host}: only unix:// sockets are served`);
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths) if (await fs.access(p).then(() => true, () => false)) return p;
  return undefined;
}

/** A running daemon; `stop()` shuts it down (stopping containers unless live-restore is on). */
export interface Daemon {
  stop(): Promise<void>;
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const sock = socketPath(o.host);
  for (const d of [o.dataRoot, o.execRoot, path.dirname(sock)]) await fs.mkdir(d, { recursive: true, mode: 0o711 });
  const pidFiles = [path.join(o.dataRoot, 'berth.pid'), path.join(o.execRoot, 'berth.pid')];
  await claimPidFiles(pidFiles);
  const idFile = path.join(o.dataRoot, 'engine-id.json');
  const daemonId = (await readJson<{ id: string }>(idFile))?.id ?? randomUUID();
  await writeJsonAtomic(idFile, { id: daemonId });

  // One cgroup parent per daemon, so daemons side by side never share container cgroups.
  const cgroupParent = `/berth-${daemonId.slice(0, 8)}`;
  const images = await ImageService.open(o.dataRoot, realHost);
  const registry = await RegistryService.open(images, o.dataRoot, o.registry);
  const runtime = new ConmonRuntime(realHost, o.execRoot, o.runtime);
  await runtime.init();
  const volumes = await VolumeService.open(o.dataRoot, realMountHost);
  const { network, endpoints } = await startNetworking(realHost, o.dataRoot, daemonId.slice(0, 8), o.bip, () => svc);
  const svc: ContainerService = new ContainerService({
    network: endpoints,
    dataRoot: o.dataRoot,
    execRoot: o.execRoot,
    host: realHost,
    runtime,
    images,
    snapshots: images.snapshots,
    initBinary: await firstExisting(['/usr/bin/tini-static', '/usr/libexec/podman/catatonit']),
    cgroupParent,
    volumes,
    availableCaps: boundingCapNumbers().map((n) => ALL_CAPS[n]).filter((c): c is string => !!c),
  });
  const nsDir = netnsDir(svc);
  await fs.mkdir(nsDir, { recursive: true });
  await realHost.privateMountDir(nsDir);
  const events = new EventLog();
  svc.on('event', (e: EngineEvent) => events.publish(e));
  volumes.on('event', (e: EngineEvent) => events.publish(e));
  volumes.setUsers((name) => volumeUsers(svc, name));
  const unwatch = watchExits(svc);
  await restore(svc);
  await volumes.adopt(runningVolumeUsers(svc));
  await importDroppedImages(images, path.join(o.dataRoot, 'images-import'));
  const execs = new ExecService(svc);
  const health = new HealthMonitor(svc, execs, (id) => {
    try {
      return images.resolve(id).config.config?.Healthcheck as HealthConfig | undefined;
    } catch {
      return undefined;
    }
  });
  health.adopt(svc.all());
  const builds = await BuildService.open({ images, containers: svc, host: realHost, workDir: path.join(o.dataRoot, 'build'), mountDir: path.join(o.execRoot, 'build'), pull: (name, auths, out, signal) => registry.pullByName(name, auths, out, signal) });

  const api = new ApiServer();
  registerSystemRoutes(api, svc, { dataRoot: o.dataRoot, runtime: o.runtime, imageCount: () => images.list().length, liveRestore: o.liveRestore, daemonId, registryConfig: () => registry.info() });
  registerEventRoutes(api.router, events);
  registerStatsRoutes(api.router, svc);
  registerExecRoutes(api, svc, execs);
  registerNetworkRoutes(api.router, svc, network, endpoints);
  registerArchiveRoutes(api.router, svc);
  registerVolumeRoutes(api.router, volumes);
  registerBuildRoutes(api.router, builds);
  registerContainerRoutes(
    api,
    svc,
    (ref) => {
      try {
        return images.resolve(ref).id;
      } catch {
        return undefined;
      }
    },
    images,
  );
  registerImageRoutes(
    api.router,
    images,
    (id) => svc.usingImage(id),
    (cid) => ['running', 'paused', 'restarting'].includes(svc.find(cid)?.State.Status ?? ''),
    pullHandler(registry),
  );
  registerDistributionRoutes(api.router, registry);

  await fs.rm(sock, { force: true });
  await api.listen(sock);
  await fs.chmod(sock, 0o660);
  log.info('berth daemon listening', { socket: sock, dataRoot: o.dataRoot, execRoot: o.execRoot });

  return {
    async stop() {
      await api.close();
      // Builds are cancelled first: their step containers and mounts go before containers stop.
      await builds.close();
      health.close();
      if (!o.liveRestore) {
        // Like dockerd without live-restore: containers stop with the daemon. A shutdown is not a
        // stop by hand, so restart policies still apply to them at the next start.
        const live = svc.all().filter((c) => ['running', 'paused', 'restarting'].includes(c.State.Status));
        await Promise.all(live.map((c) => stopContainer(svc, c, 10).catch(() => false)));
        for (const c of live) if (svc.find(c.Id)) await svc.save({ ...c, State: { ...c.State, ManuallyStopped: false } }).catch(() => undefined);
      }
      unwatch();
      // Background layer unpacks are abandoned; their staging is cleared at the next start.
      await images.close();
      await endpoints.drain();
      // Networks stay up for containers that live on (live-restore); with none running, nothing needs them.
      const keepNetworks = o.liveRestore && svc.all().some((c) => ['running', 'paused', 'restarting'].includes(c.State.Status));
      await network.shutdown(keepNetworks);
      if (!o.liveRestore) {
        await volumes.unmountAll();
        await removeCgroupParent(cgroupParent);
        await realHost.unmount(nsDir);
      }
      await fs.rm(sock, { force: true });
      await releasePidFiles(pidFiles);
    },
  };
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid value ${v}: a positive integer is required`);
  return n;
}

/** Entry point for `berth daemon [flags]`. */
export async function runDaemon(argv: string[]): Promise<void> {
  const cmd = new Command('daemon')
    .description('Run the Berth engine daemon (Docker Engine API on a unix socket)')
    .option('--data-root <dir>', 'root directory of persistent state', '/var/lib/berth')
    .option('--exec-root <dir>', 'root directory for execution state files', '/run/berth')
    .option('-H, --host <address>', 'daemon socket to listen on', 'unix:///run/berth/berth.sock')
    .option('--runtime <name>', 'OCI runtime binary', 'runc')
    .option('--live-restore', 'keep containers running when the daemon shuts down', false)
    .option('--bip <cidr>', 'gateway address and prefix of the default bridge network (e.g. 172.17.0.1/16)')
    .option('--insecure-registry <host:port|cidr>', 'registry reachable over plain HTTP (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--max-concurrent-downloads <n>', 'layers downloaded at once per pull', positiveInt, 3)
    .option('--max-concurrent-uploads <n>', 'layers uploaded at once per push', positiveInt, 5)
    .option('--max-download-attempts <n>', 'attempts per layer download', positiveInt, 5)
    .option('--log-level <level>', 'debug, info, warn or error', 'info');
  cmd.parse(argv, { from: 'user' });
  const opts = cmd.opts<{
    dataRoot: string; execRoot: string; host: string; runtime: string; liveRestore: boolean; logLevel: string; bip?: string;
    insecureRegistry: string[]; maxConcurrentDownloads: number; maxConcurrentUploads: number; maxDownloadAttempts: number;
  }>();
  if (process.getuid && process.getuid() !== 0) {
    process.stderr.write('berth daemon must run as root\n');
    process.exit(1);
  }
  const { setLogLevel } = await import('../../lib/log.js');
  setLogLevel(opts.logLevel as 'info');
  let daemon: Daemon;
  try {
    daemon = await startDaemon({
      dataRoot: path.resolve(opts.dataRoot), execRoot: path.resolve(opts.execRoot), host: opts.host, runtime: opts.runtime, liveRestore: opts.liveRestore, bip: opts.bip,
      registry: {
        insecureRegistries: opts.insecureRegistry,
        maxConcurrentDownloads: opts.maxConcurrentDownloads,
        maxConcurrentUploads: opts.maxConcurrentUploads,
        maxDownloadAttempts: opts.maxDownloadAttempts,
      },
    });
  } catch (err) {
    process.stderr.write(`failed to start daemon: ${messageOf(err)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    // Containers get their stop timeouts; nothing may keep the daemon from exiting beyond that.
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 60_000).unref();
    await daemon.stop().catch((err) => log.error('shutdown failed', { error: messageOf(err) }));
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
