/**
 * Docker Engine API image routes (the dockerd front door for images; lecture concept: the
 * `docker images/rmi/tag/save/load/import/history` verbs are HTTP calls to the daemon). Pulls
 * are delegated to the registry routes (distribution.ts).
 * JSON shapes follow moby's API types at version ≤1.44; streams follow notes §3.4.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { invalidArgument, messageOf, notImplemented } from '../../../lib/errors.js';
import { parseReference, referenceString } from '../../images/reference.js';
import type { ImageService } from '../../images/service.js';
import type { ImageRecord } from '../../images/types.js';
import { boolParam, filtersParam, sendEmpty, sendJson, type Ctx, type Router } from '../router.js';
import { imageInspect, imageSummary } from './images-json.js';
import { createdBefore, labelsMatch, matchReference, untilCutoff } from './images-filters.js';

type UsedBy = (id: string) => string | undefined;

/** Starts a JSON message stream (notes §3.4): 200, application/json, headers flushed, `\r\n` after each message. */
function startStream(res: ServerResponse): (msg: object) => void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  return (msg) => res.write(`${JSON.stringify(msg)}\r\n`);
}

function streamError(message: string): object {
  return { errorDetail: { message }, error: message };
}

/** After a failure the rest of an upload is read and thrown away, so the client is not left blocked. */
function drain(ctx: Ctx): void {
  ctx.req.resume();
}

function listImages(images: ImageService, ctx: Ctx): object[] {
  const f = filtersParam(ctx.query);
  for (const k of Object.keys(f)) if (!['dangling', 'label', 'reference', 'before', 'since', 'until'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  let list: ImageRecord[] = images.list();
  if (!boolParam(ctx.query, 'all')) {
    // As Docker: untagged images that are parents of others (a build's steps) only show with -a.
    const parents = new Set(list.map((i) => i.parent).filter(Boolean));
    list = list.filter((i) => i.repoTags.length > 0 || i.repoDigests.length > 0 || !parents.has(i.id));
  }
  for (const v of f.dangling ?? []) {
    if (!['true', 'false', '1', '0'].includes(v)) throw invalidArgument(`invalid filter 'dangling=${v}'`);
    const want = v === 'true' || v === '1';
    list = list.filter((i) => (i.repoTags.length === 0) === want);
  }
  if (f.label?.length) list = list.filter((i) => labelsMatch(i.config.config?.Labels, f.label!));
  for (const b of f.before ?? []) list = list.filter(createdBefore(images.resolve(b)));
  for (const s of f.since ?? []) {
    const ref = images.resolve(s);
    list = list.filter((i) => Date.parse(i.created) > Date.parse(ref.created));
  }
  for (const u of f.until ?? []) {
    const cutoff = untilCutoff(u);
    list = list.filter((i) => Date.parse(i.created) < cutoff);
  }
  const patterns = f.reference ?? [];
  return list.flatMap((img) => {
    let tags = img.repoTags;
    if (patterns.length) {
      // As in Docker, only the matching names are listed, and images with none are dropped.
      tags = tags.filter((t) => patterns.some((p) => matchReference(p, t)));
      if (tags.length === 0) return [];
    }
    return [imageSummary({ ...img, repoTags: tags }, ctx.version)];
  });
}

/**
 * Registers the image routes on `r`. `usedBy` names a container using an image, if any;
 * `isRunning` tells whether that container runs (Docker words the refusal differently).
 */
export function registerImageRoutes(
  r: Router,
  images: ImageService,
  usedBy: UsedBy,
  isRunning?: (containerId: string) => boolean,
  /** Handles `fromImage` (a pull; routes/distribution.ts). */
  pull?: (ctx: Ctx) => Promise<void>,
): void {
  r.add('GET', '/images/json', async (ctx) => sendJson(ctx.res, 200, listImages(images, ctx)));

  const save = (ctx: Ctx, names: string[]) => {
    if (names.length === 0) throw invalidArgument('no image names given');
    const tar = images.save(names); // unknown names throw here, before any byte is sent
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    return new Promise<void>((resolve) => pipeline(tar, ctx.res, () => resolve()));
  };
  r.add('GET', '/images/get', (ctx) => save(ctx, ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean)));

  r.add('POST', '/images/load', async (ctx) => {
    const send = startStream(ctx.res);
    try {
      for (const line of await images.load(ctx.req)) send({ stream: `${line}\n` });
    } catch (err) {
      drain(ctx);
      send(streamError(messageOf(err)));
    }
    ctx.res.end();
  });

  r.add('POST', '/images/create', async (ctx) => {
    const q = ctx.query;
    if (q.get('fromImage')) {
      if (pull) return pull(ctx);
      drain(ctx);
      throw notImplemented('pulling images (fromImage) is not implemented');
    }
    const src = q.get('fromSrc');
    if (src === null) {
      drain(ctx);
      throw invalidArgument('fromImage or fromSrc is required');
    }
    if (src !== '-') {
      drain(ctx);
      throw notImplemented(`importing from a URL is not implemented: ${src}`);
    }
    let rec: ImageRecord;
    try {
      rec = await images.importRootfs(ctx.req, {
        repo: q.get('repo') || undefined,
        tag: q.get('tag') || undefined,
        changes: q.getAll('changes').filter(Boolean),
        message: q.get('message') || undefined,
      });
    } catch (err) {
      drain(ctx);
      throw err; // nothing was sent yet: a plain HTTP error is clearest
    }
    const send = startStream(ctx.res);
    send({ status: rec.id });
    ctx.res.end();
  });

  r.add('POST', '/images/prune', async (ctx) => {
    const f = filtersParam(ctx.query);
    for (const k of Object.keys(f)) if (!['dangling', 'label', 'label!', 'until'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
    const all = (f.dangling ?? []).some((v) => v === 'false' || v === '0');
    const cutoffs = (f.until ?? []).map(untilCutoff);
    const result = await images.prune({
      all,
      usedBy,
      filter: (img) =>
        (!f.label?.length || labelsMatch(img.config.config?.Labels, f.label)) &&
        (!f['label!']?.length || !f['label!'].some((l) => labelsMatch(img.config.config?.Labels, [l]))) &&
        cutoffs.every((c) => Date.parse(img.created) < c),
    });
    sendJson(ctx.res, 200, result);
  });

  r.add('GET', '/images/{name*}/json', async (ctx) => {
    const rec = images.resolve(ctx.params.name!);
    sendJson(ctx.res, 200, imageInspect(images, rec, ctx.version));
  });

  r.add('GET', '/images/{name*}/history', async (ctx) => sendJson(ctx.res, 200, images.history(ctx.params.name!)));

  r.add('GET', '/images/{name*}/get', (ctx) => save(ctx, [ctx.params.name!]));

  r.add('POST', '/images/{name*}/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw invalidArgument('repository name is required');
    const tag = ctx.query.get('tag');
    let target = parseReference(repo);
    if (tag) target = parseReference(`${referenceString({ domain: target.domain, path: target.path })}:${tag}`);
    await images.tag(ctx.params.name!, referenceString(target));
    sendEmpty(ctx.res, 201);
  });

  r.add('DELETE', '/images/{name*}', async (ctx) => {
    const items = await images.remove(ctx.params.name!, {
      force: boolParam(ctx.query, 'force'),
      noPrune: boolParam(ctx.query, 'noprune'),
      usedBy,
      isRunning,
    });
    sendJson(ctx.res, 200, items);
  });
}
