/** System routes: `/_ping`, `/version`, `/info`, and Berth's own `/berth/trace/{id}`. */
import os from 'node:os';
import { spansOf } from '../../../lib/trace.js';
import type { ContainerService } from '../../containers/service.js';
import type { ApiServer } from '../server.js';
import { sendJson } from '../router.js';
import { ENGINE_VERSION, MAX_API_VERSION, MIN_API_VERSION } from '../version.js';

export interface SystemInfo {
  dataRoot: string;
  runtime: string;
  imageCount: () => number;
  liveRestore: boolean;
  daemonId: string;
  /** `RegistryConfig` (insecure registries, index configs); loopback only when absent. */
  registryConfig?: () => object;
}

export function registerSystemRoutes(api: ApiServer, svc: ContainerService, info: SystemInfo): void {
  const r = api.router;
  r.add('GET', '/_ping', async (ctx) => {
    const headers = {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Builder-Version': '1',
      Swarm: 'inactive',
    };
    if (ctx.req.method === 'HEAD') {
      ctx.res.writeHead(200, { ...headers, 'Content-Length': '0' });
      ctx.res.end();
      return;
    }
    ctx.res.writeHead(200, { ...headers, 'Content-Length': '2' });
    ctx.res.end('OK');
  });
  r.add('GET', '/version', async (ctx) => {
    const details = { ApiVersion: MAX_API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: 'amd64', KernelVersion: os.release() };
    sendJson(ctx.res, 200, {
      Platform: { Name: 'Berth' },
      Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: { ...details, GitCommit: '', GoVersion: process.version, BuildTime: '' } }],
      Version: ENGINE_VERSION,
      GitCommit: '',
      GoVersion: process.version,
      BuildTime: '',
      ...details,
    });
  });
  r.add('GET', '/info', async (ctx) => {
    const all = svc.all();
    const count = (s: string[]) => all.filter((c) => s.includes(c.State.Status)).length;
    sendJson(ctx.res, 200, {
      ID: info.daemonId,
      Containers: all.length,
      ContainersRunning: count(['running', 'restarting']),
      ContainersPaused: count(['paused']),
      ContainersStopped: count(['created', 'exited', 'dead', 'removing']),
      Images: info.imageCount(),
      Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
      IPv4Forwarding: true, BridgeNfIptables: false, BridgeNfIp6tables: false, Debug: false, NFd: 0, OomKillDisable: true,
      NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'json-file', CgroupDriver: 'cgroupfs', CgroupVersion: '1',
      NEventsListener: 0, KernelVersion: os.release(), OperatingSystem: 'Berth', OSVersion: '', OSType: 'linux', Architecture: os.machine(),
      IndexServerAddress: 'https://index.docker.io/v1/', RegistryConfig: info.registryConfig?.() ?? { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
      NCPU: os.cpus().length, MemTotal: os.totalmem(), DockerRootDir: info.dataRoot, HttpProxy: '', HttpsProxy: '', NoProxy: '',
      Name: os.hostname(), Labels: [], ExperimentalBuild: false, ServerVersion: ENGINE_VERSION,
      Runtimes: { [info.runtime]: { path: info.runtime } }, DefaultRuntime: info.runtime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: info.liveRestore, Isolation: '', InitBinary: 'docker-init',
      ContainerdCommit: { ID: '' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin'], Warnings: [],
    });
  });
  r.add('GET', '/berth/trace/{id}', async (ctx) => {
    const id = svc.find(ctx.params.id!)?.Id ?? ctx.params.id!;
    sendJson(ctx.res, 200, { Spans: spansOf(id).map((s) => ({ Stage: s.stage, StartMs: s.startMs, DurationMs: s.durationMs })) });
  });
}
