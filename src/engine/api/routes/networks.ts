/** Docker Engine API routes for networks: create, list, inspect, remove, prune, connect, disconnect. */
import { invalidArgument, messageOf } from '../../../lib/errors.js';
import type { ContainerService } from '../../containers/service.js';
import { pluggedNetns } from '../../containers/sandbox.js';
import { writeEtcFiles } from '../../containers/start.js';
import type { EndpointRequest, Endpoints } from '../../network/endpoints.js';
import type { NetworkRecord } from '../../network/record.js';
import type { CreateNetworkRequest, NetworkService } from '../../network/service.js';
import { filtersParam, sendEmpty, sendJson, type Ctx, type Router } from '../router.js';

async function jsonBody<T>(ctx: Ctx): Promise<T> {
  const raw = (await ctx.body()).toString();
  try {
    return (raw.trim() ? JSON.parse(raw) : {}) as T;
  } catch (err) {
    throw invalidArgument(`invalid JSON body: ${messageOf(err)}`);
  }
}

const BUILTIN = new Set(['bridge', 'host', 'none']);

export function registerNetworkRoutes(r: Router, svc: ContainerService, nets: NetworkService, eps: Endpoints): void {
  const containersOf = (n: NetworkRecord) =>
    svc.all().filter((c) => Object.values(c.Networks ?? {}).some((e) => e.NetworkID === n.Id));

  const view = (n: NetworkRecord, withContainers: boolean): Record<string, unknown> => {
    const { BridgeName, ...rest } = n;
    const containers: Record<string, unknown> = {};
    if (withContainers)
      for (const c of containersOf(n)) {
        const ep = Object.values(c.Networks ?? {}).find((e) => e.NetworkID === n.Id)!;
        if (!ep.EndpointID) continue; // only running containers have endpoints, as in Docker
        containers[c.Id] = { Name: c.Name.slice(1), EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : '', IPv6Address: '' };
      }
    // Docker names the bridge in Options only for the default network (docker0) or when the
    // creator asked for a name; docker-compose 1.29 treats any other option as a changed
    // network and refuses to reuse it.
    const options = n.Name === 'bridge' ? { 'com.docker.network.bridge.name': BridgeName!, ...rest.Options } : rest.Options;
    return { ...rest, Options: options, EnableIPv4: true, Containers: containers };
  };

  const event = (action: string, n: NetworkRecord, extra: Record<string, string> = {}) => {
    const now = Date.now();
    svc.emit('event', { Type: 'network', Action: action, Actor: { ID: n.Id, Attributes: { name: n.Name, type: n.Driver, ...extra } }, scope: 'local', time: Math.floor(now / 1000), timeNano: now * 1e6 });
  };

  r.add('GET', '/networks', async (ctx) => {
    const f = filtersParam(ctx.query);
    const match = (n: NetworkRecord) =>
      (!f.name || f.name.some((x) => n.Name.includes(x))) &&
      (!f.id || f.id.some((x) => n.Id.startsWith(x))) &&
      (!f.driver || f.driver.includes(n.Driver)) &&
      (!f.type || f.type.includes(BUILTIN.has(n.Name) ? 'builtin' : 'custom')) &&
      (!f.label || f.label.every((l) => { const [k, v] = l.split('='); return k! in n.Labels && (v === undefined || n.Labels[k!] === v); })) &&
      (!f.dangling || f.dangling.includes(String(!BUILTIN.has(n.Name) && containersOf(n).length === 0)));
    sendJson(ctx.res, 200, nets.list().filter(match).map((n) => view(n, false)));
  });
  r.add('GET', '/networks/{id}', async (ctx) => sendJson(ctx.res, 200, view(nets.get(ctx.params.id!), true)));
  r.add('POST', '/networks/create', async (ctx) => {
    const n = await nets.create(await jsonBody<CreateNetworkRequest>(ctx));
    event('create', n);
    sendJson(ctx.res, 201, { Id: n.Id, Warning: '' });
  });
  r.add('DELETE', '/networks/{id}', async (ctx) => {
    const n = await nets.remove(ctx.params.id!);
    // Stopped containers keep no endpoint; forget their link to the network, as Docker does.
    for (const c of containersOf(n)) {
      const rest = Object.fromEntries(Object.entries(c.Networks ?? {}).filter(([, e]) => e.NetworkID !== n.Id));
      await svc.save({ ...c, Networks: rest });
    }
    event('destroy', n);
    sendEmpty(ctx.res, 204);
  });
  r.add('POST', '/networks/prune', async (ctx) => {
    const deleted: string[] = [];
    for (const n of nets.list()) {
      if (BUILTIN.has(n.Name) || containersOf(n).length) continue;
      await nets.remove(n.Id);
      event('destroy', n);
      deleted.push(n.Name);
    }
    sendJson(ctx.res, 200, { NetworksDeleted: deleted });
  });
  r.add('POST', '/networks/{id}/connect', async (ctx) => {
    const body = await jsonBody<{ Container?: string; EndpointConfig?: EndpointRequest }>(ctx);
    const n = nets.get(ctx.params.id!);
    const c = svc.get(body.Container ?? '');
    await svc.withLock(c.Id, async () => {
      const ns = await pluggedNetns(svc, c);
      await eps.connect(c, n.Id, body.EndpointConfig, ns);
      await svc.save(c);
      if (ns && c.State.Status !== 'created') await writeEtcFiles(svc, c);
    });
    event('connect', n, { container: c.Id });
    sendEmpty(ctx.res, 200);
  });
  r.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    const body = await jsonBody<{ Container?: string; Force?: boolean }>(ctx);
    const n = nets.get(ctx.params.id!);
    const c = svc.get(body.Container ?? '');
    await svc.withLock(c.Id, async () => {
      const ns = await pluggedNetns(svc, c);
      await eps.disconnect(c, n.Id, ns);
      await svc.save(c);
      if (ns && c.State.Status !== 'created') await writeEtcFiles(svc, c);
    });
    event('disconnect', n, { container: c.Id });
    sendEmpty(ctx.res, 200);
  });
}
