/** Docker Engine API routes for volumes: one line per endpoint, the work is in volumes/. */
import { invalidArgument, notImplemented } from '../../../lib/errors.js';
import type { CreateVolumeRequest, VolumeService } from '../../volumes/service.js';
import { boolParam, filtersParam, sendEmpty, sendJson, type Router } from '../router.js';

function stringMap(v: unknown, field: string): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw invalidArgument(`invalid ${field}: expected an object of strings`);
  }
  return v as Record<string, string>;
}

function createRequest(body: Record<string, unknown>): CreateVolumeRequest {
  if (body.ClusterVolumeSpec) throw notImplemented('NotImplemented: cluster volumes (ClusterVolumeSpec) need swarm mode');
  for (const k of ['Name', 'Driver'] as const) if (body[k] !== undefined && typeof body[k] !== 'string') throw invalidArgument(`invalid ${k}: expected a string`);
  return { Name: body.Name as string | undefined, Driver: body.Driver as string | undefined, DriverOpts: stringMap(body.DriverOpts, 'DriverOpts'), Labels: stringMap(body.Labels, 'Labels') };
}

export function registerVolumeRoutes(r: Router, volumes: VolumeService): void {
  r.add('GET', '/volumes', async (ctx) => sendJson(ctx.res, 200, { Volumes: volumes.list(filtersParam(ctx.query)), Warnings: null }));
  r.add('POST', '/volumes/create', async (ctx) => sendJson(ctx.res, 201, await volumes.create(createRequest(await ctx.json()))));
  r.add('POST', '/volumes/prune', async (ctx) => sendJson(ctx.res, 200, await volumes.prune(filtersParam(ctx.query), ctx.version)));
  r.add('GET', '/volumes/{name}', async (ctx) => sendJson(ctx.res, 200, volumes.get(ctx.params.name!)));
  r.add('PUT', '/volumes/{name}', async () => {
    throw notImplemented('NotImplemented: volume update is only valid for cluster volumes, which need swarm mode');
  });
  r.add('DELETE', '/volumes/{name}', async (ctx) => {
    await volumes.remove(ctx.params.name!, boolParam(ctx.query, 'force'));
    sendEmpty(ctx.res, 204);
  });
}
