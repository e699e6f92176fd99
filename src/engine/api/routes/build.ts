/**
 * `POST /build`, the legacy builder's endpoint (notes §2: what `DOCKER_BUILDKIT=0 docker build` and
 * docker-py's `images.build` send). The query carries the options, the body the context tar;
 * the answer is the JSON message stream of build/output.ts. Options Berth cannot honour are
 * refused by name rather than ignored.
 */
import { invalidArgument, messageOf, notImplemented } from '../../../lib/errors.js';
import { BuildOutput } from '../../build/output.js';
import { decodeRegistryConfig } from '../../registry/auth.js';
import { hostPlatform } from '../../images/platform.js';
import type { BuildOptions, BuildService } from '../../build/service.js';
import { boolParam, type Ctx, type Router } from '../router.js';

function jsonParam<T>(q: URLSearchParams, name: string, what: string): T | undefined {
  const v = q.get(name);
  if (!v) return undefined;
  try {
    return JSON.parse(v) as T;
  } catch (err) {
    throw invalidArgument(`error reading ${what}: ${messageOf(err)}`);
  }
}

const RESOURCES: Array<[string, string, 'int' | 'string']> = [
  ['memory', 'Memory', 'int'],
  ['memswap', 'MemorySwap', 'int'],
  ['cpushares', 'CpuShares', 'int'],
  ['cpuperiod', 'CpuPeriod', 'int'],
  ['cpuquota', 'CpuQuota', 'int'],
  ['cpusetcpus', 'CpusetCpus', 'string'],
  ['cpusetmems', 'CpusetMems', 'string'],
  ['shmsize', 'ShmSize', 'int'],
];

/** The build options of a request; what cannot be honoured is refused by name. */
export function buildOptions(q: URLSearchParams): BuildOptions & { quiet: boolean } {
  const remote = q.get('remote');
  if (remote) throw notImplemented(`build contexts from a URL or git repository are not implemented: ${remote}`);
  const version = q.get('version');
  if (version && version !== '1' && version !== '2') throw invalidArgument(`invalid version "${version}"`);
  if (version === '2') throw notImplemented('BuildKit builds (version=2) are not implemented; the legacy builder (version=1) is');
  if (boolParam(q, 'squash')) throw invalidArgument('squash is only supported with experimental mode');
  const cacheFrom = jsonParam<string[]>(q, 'cachefrom', 'cache-from') ?? [];
  if (cacheFrom.length) throw notImplemented('cachefrom is not implemented');
  if (q.get('outputs')) throw notImplemented('build outputs are not implemented');
  const platform = q.get('platform');
  const host = hostPlatform();
  if (platform && platform !== host.os && platform !== `${host.os}/${host.architecture}`) throw notImplemented(`building for platform ${platform} is not implemented`);
  const buildArgs = jsonParam<Record<string, string | null>>(q, 'buildargs', 'build args') ?? {};
  const labels = jsonParam<Record<string, string>>(q, 'labels', 'labels') ?? {};
  if (typeof buildArgs !== 'object' || Array.isArray(buildArgs)) throw invalidArgument('error reading build args: not an object');
  if (typeof labels !== 'object' || Array.isArray(labels)) throw invalidArgument('error reading labels: not an object');
  const forceRm = boolParam(q, 'forcerm');
  const resources: Record<string, number | string> = {};
  for (const [param, field, kind] of RESOURCES) {
    const v = q.get(param);
    if (!v) continue;
    if (kind === 'int' && !/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for ${param}: ${v}`);
    if (kind === 'string' || Number(v) !== 0) resources[field] = kind === 'int' ? Number(v) : v;
  }
  return {
    tags: q.getAll('t'),
    dockerfile: q.get('dockerfile') || 'Dockerfile',
    buildArgs,
    labels,
    ...(q.get('target') ? { target: q.get('target')! } : {}),
    noCache: boolParam(q, 'nocache'),
    rm: forceRm || boolParam(q, 'rm', true),
    forceRm,
    pull: boolParam(q, 'pull'),
    ...(q.get('networkmode') ? { networkMode: q.get('networkmode')! } : {}),
    extraHosts: q.getAll('extrahosts').filter(Boolean),
    resources,
    quiet: boolParam(q, 'q'),
  };
}

/** The request body's chunks, without destroying the request when the build stops reading early. */
function chunksOf(ctx: Ctx): AsyncIterable<Uint8Array> {
  const r = ctx.req as unknown as { iterator: (o: { destroyOnReturn: boolean }) => AsyncIterable<Uint8Array> };
  return r.iterator({ destroyOnReturn: false });
}

export function registerBuildRoutes(r: Router, builds: BuildService): void {
  r.add('POST', '/build', async (ctx) => {
    let opts: ReturnType<typeof buildOptions>;
    try {
      opts = { ...buildOptions(ctx.query), registryAuths: decodeRegistryConfig(ctx.req.headers['x-registry-config']) };
    } catch (err) {
      ctx.req.resume();
      throw err;
    }
    const out = new BuildOutput(ctx.res, opts.quiet, ctx.version >= 1.3);
    // A client that goes away (Ctrl-C) cancels the build, as with Docker.
    const abort = new AbortController();
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) abort.abort();
    });
    try {
      await builds.build(opts, chunksOf(ctx), out, abort.signal);
    } catch (err) {
      ctx.req.resume();
      if (!out.fail(err)) throw err;
    }
    ctx.res.end();
  });
}
