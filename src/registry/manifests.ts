/**
 * Manifests: `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<tag|digest>` — the document a
 * pull starts from and a push ends with. A `PUT` is accepted only when the manifest is valid
 * and everything it references is already in the repository, so a tag never points at an
 * image that cannot be pulled.
 */
import { digestOf } from '../engine/content/store.js';
import { regErr } from './errors.js';
import { acceptedTypes, readBody, repoPath, send, type Ctx } from './http.js';
import { MAX_MANIFEST_BYTES, MEDIA, parseManifest, type ParsedManifest } from './manifest-schema.js';
import { isSha256, parseReference } from './names.js';
import type { ManifestRecord } from './storage.js';

/** The platform a manifest list falls back to for old clients (distribution uses its own). */
const DEFAULT_PLATFORM = { os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch };

const unknownManifest = (detail: unknown, message?: string) => regErr('MANIFEST_UNKNOWN', message, detail);

/**
 * Resolves what to serve for a GET, negotiating on `Accept` as distribution 2.8 does: an OCI
 * manifest or index is only served to a client that accepts that type (others get
 * MANIFEST_UNKNOWN), and a Docker manifest list fetched by tag by a client that does not
 * accept lists is answered with the default platform's image manifest. Docker image
 * manifests are served as they are (distribution would rewrite them to schema 1, which this
 * registry does not produce).
 */
async function negotiate(ctx: Ctx, digest: string, byTag: boolean): Promise<{ digest: string; rec: ManifestRecord }> {
  const rec = await ctx.storage.manifest(ctx.name, digest);
  if (!rec) throw unknownManifest(byTag ? { Tag: ctx.param } : undefined);
  const accept = acceptedTypes(ctx.req);
  if (rec.mediaType === MEDIA.ociManifest && !accept.has(MEDIA.ociManifest)) {
    throw unknownManifest(undefined, 'OCI manifest found, but accept header does not support OCI manifests');
  }
  if (rec.mediaType === MEDIA.ociIndex && !accept.has(MEDIA.ociIndex)) {
    throw unknownManifest(undefined, 'OCI index found, but accept header does not support OCI indexes');
  }
  if (byTag && rec.mediaType === MEDIA.dockerList && !accept.has(MEDIA.dockerList)) {
    const list = parseManifest(await ctx.storage.content.readBytes(digest), rec.mediaType);
    const entry = list.manifests.find((m) => m.platform?.os === DEFAULT_PLATFORM.os && m.platform?.architecture === DEFAULT_PLATFORM.architecture);
    const child = entry && isSha256(entry.digest) ? await ctx.storage.manifest(ctx.name, entry.digest) : undefined;
    if (!entry || !child) throw unknownManifest({ Tag: ctx.param });
    return { digest: entry.digest, rec: child };
  }
  return { digest, rec };
}

/** `GET`/`HEAD /v2/<name>/manifests/<reference>`. */
export async function getManifest(ctx: Ctx): Promise<void> {
  const ref = parseReference(ctx.param);
  let digest: string | undefined = ref.digest;
  if (ref.tag !== undefined) digest = await ctx.storage.resolveTag(ctx.name, ref.tag);
  if (!digest || !isSha256(digest)) throw unknownManifest(ref.tag !== undefined ? { Tag: ref.tag } : undefined);
  const chosen = await negotiate(ctx, digest, ref.tag !== undefined);
  const headers = { 'Docker-Content-Digest': chosen.digest, ETag: `"${chosen.digest}"` };
  if (ctx.req.headers['if-none-match'] === `"${chosen.digest}"`) return send(ctx.res, 304, headers);
  const full = { ...headers, 'Content-Type': chosen.rec.mediaType, 'Content-Length': chosen.rec.size };
  if (ctx.req.method === 'HEAD') return send(ctx.res, 200, full);
  send(ctx.res, 200, full, await ctx.storage.content.readBytes(chosen.digest));
}

/** MANIFEST_BLOB_UNKNOWN unless everything `m` references is in repository `name`. */
async function checkReferences(ctx: Ctx, m: ParsedManifest): Promise<void> {
  for (const b of m.blobs) {
    const size = isSha256(b.digest) ? await ctx.storage.blobSize(ctx.name, b.digest) : undefined;
    if (size === undefined) throw regErr('MANIFEST_BLOB_UNKNOWN', undefined, b.digest);
    if (size !== b.size) throw regErr('MANIFEST_INVALID', `manifest invalid: blob ${b.digest} has ${size} bytes, the manifest says ${b.size}`, { digest: b.digest });
  }
  for (const d of m.manifests) {
    const rec = isSha256(d.digest) ? await ctx.storage.manifest(ctx.name, d.digest) : undefined;
    if (!rec) throw regErr('MANIFEST_BLOB_UNKNOWN', `manifest ${d.digest} unknown to registry`, d.digest);
    if (rec.size !== d.size) throw regErr('MANIFEST_INVALID', `manifest invalid: manifest ${d.digest} has ${rec.size} bytes, the index says ${d.size}`, { digest: d.digest });
  }
}

/** `PUT /v2/<name>/manifests/<reference>`: validates, stores, links, tags (201). */
export async function putManifest(ctx: Ctx): Promise<void> {
  const { name, storage } = ctx;
  const ref = parseReference(ctx.param);
  const bytes = await readBody(ctx.req, MAX_MANIFEST_BYTES);
  const m = parseManifest(bytes, ctx.req.headers['content-type']);
  const digest = digestOf(bytes);
  if (ref.digest !== undefined && ref.digest !== digest) {
    throw regErr('DIGEST_INVALID', `provided digest ${ref.digest} did not match the manifest's digest ${digest}`, { digest: ref.digest });
  }
  await checkReferences(ctx, m);
  // The subject need not exist (OCI 1.1 lets referrers be pushed before their subject).
  const subject = m.subject && isSha256(m.subject.digest) ? m.subject.digest : undefined;
  await storage.putManifest(name, digest, bytes, { mediaType: m.mediaType, size: bytes.length, ...(subject ? { subject } : {}) });
  if (subject) {
    await storage.addReferrer(name, subject, {
      mediaType: m.mediaType,
      digest,
      size: bytes.length,
      ...(m.artifactType ? { artifactType: m.artifactType } : {}),
      ...(m.annotations ? { annotations: m.annotations } : {}),
    });
  }
  if (ref.tag !== undefined) await storage.tag(name, ref.tag, digest);
  send(ctx.res, 201, {
    Location: repoPath(name, `manifests/${digest}`),
    'Docker-Content-Digest': digest,
    ...(m.subject ? { 'OCI-Subject': m.subject.digest } : {}),
  });
}

/** `DELETE /v2/<name>/manifests/<reference>`: a digest deletes the manifest and its tags, a tag only the tag (202). */
export async function deleteManifest(ctx: Ctx): Promise<void> {
  const ref = parseReference(ctx.param);
  const found =
    ref.tag !== undefined
      ? await ctx.storage.untag(ctx.name, ref.tag)
      : isSha256(ref.digest) && (await ctx.storage.deleteManifest(ctx.name, ref.digest));
  if (!found) throw unknownManifest(ref.tag !== undefined ? { Tag: ref.tag } : undefined);
  send(ctx.res, 202);
}
