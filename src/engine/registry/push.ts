/**
 * `docker push` (lecture concept: sharing an image through a registry: its layers, config and
 * manifest, then the tag). Per tag: every layer is checked (`Layer already exists`), mounted
 * from another repository of the same registry when one is known to have it (`Mounted from`),
 * or uploaded (`Pushing`/`Pushed`), at most `--max-concurrent-uploads` at a time; then the
 * config blob, then the manifest under the tag. The manifest an image came with is pushed
 * byte for byte when it still describes the image (so its digest survives a pull/push round
 * trip); otherwise one is built — Docker schema 2 for images that came as such, OCI otherwise.
 */
import { invalidArgument, notFound } from '../../lib/errors.js';
import { digestOf } from '../content/store.js';
import { familiarName, familiarString, fullName, parseReference, referenceString, type Reference } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import { MEDIA, type OciManifest, type StoredImage } from '../images/types.js';
import type { AuthConfig } from './auth.js';
import { repoScope, RegistryClient } from './client.js';
import type { RegistryHosts } from './hosts.js';
import { isRetryable } from './errors.js';
import { buildManifest } from './manifest.js';
import { ByteProgress, message, runLimited, shortId, update, type ProgressSink } from './progress.js';
import type { BlobSources } from './sources.js';
import { discard } from './transport.js';
import { blobExists, mountBlob, uploadBlob } from './upload.js';

export interface PushEnv {
  images: ImageService;
  hosts: RegistryHosts;
  sources: BlobSources;
  maxConcurrentUploads: number;
  chunkSize?: number;
}

export interface PushOptions {
  auth: AuthConfig;
  signal: AbortSignal;
}

/** Upload attempts per blob (dockerd makes 5). */
const MAX_UPLOAD_ATTEMPTS = 3;

/** Mount attempts per blob before uploading it. */
const MAX_MOUNT_CANDIDATES = 3;

/** The tags of repository `named` to push (one, or all of them), with their image IDs. */
function tagsToPush(images: ImageService, named: Reference, tag: string | undefined): Array<{ tag: string; id: string }> {
  const prefix = `${fullName(named)}:`;
  const all = [...images.store.refs].filter(([r]) => r.startsWith(prefix) && !r.includes('@')).map(([r, id]) => ({ tag: r.slice(prefix.length), id }));
  if (all.length === 0) throw notFound(`An image does not exist locally with the tag: ${familiarName(named)}`);
  if (tag === undefined) return all.sort((a, b) => a.tag.localeCompare(b.tag));
  const id = images.store.refs.get(referenceString({ ...named, tag }));
  if (!id) throw notFound(`tag does not exist: ${familiarString({ ...named, tag })}`);
  return [{ tag, id }];
}

/** Pushes `name` (`tag`, or every tag of the repository). Errors before the first message are thrown. */
export async function push(env: PushEnv, name: string, tag: string | undefined, o: PushOptions, out: ProgressSink): Promise<void> {
  const parsed = parseReference(name);
  if (parsed.digest !== undefined) throw invalidArgument('cannot push a digest reference');
  const named: Reference = { domain: parsed.domain, path: parsed.path };
  const work = tagsToPush(env.images, named, tag ?? parsed.tag);
  message(out, `The push refers to repository [${fullName(named)}]`);
  const client = await RegistryClient.connect(env.hosts.endpoint(named.domain), o.auth, o.signal);
  try {
    for (const w of work) {
      const img = env.images.store.images.get(w.id);
      if (!img) throw notFound(`tag does not exist: ${familiarString({ ...named, tag: w.tag })}`);
      await pushTag(env, client, named, w.tag, img, o, out);
    }
  } finally {
    client.close();
  }
}

async function pushTag(env: PushEnv, client: RegistryClient, named: Reference, tag: string, img: StoredImage, o: PushOptions, out: ProgressSink): Promise<void> {
  const { images, sources } = env;
  const { path, domain } = named;
  const here = `${domain}/${path}`;
  // Docker names push lines after the layer's diff ID (pull lines after the blob digest).
  for (const l of img.layers) update(out, shortId(l.diffId), 'Preparing');
  await runLimited(
    img.layers,
    env.maxConcurrentUploads,
    async (l) => {
      const id = shortId(l.diffId);
      if (await blobExists(client, path, l.digest, o.signal)) {
        update(out, id, 'Layer already exists');
        sources.add(l.digest, here);
        return;
      }
      let location: URL | undefined;
      for (const from of sources.candidates(l.digest, domain, path).slice(0, MAX_MOUNT_CANDIDATES)) {
        const r = await mountBlob(client, path, l.digest, from, o.signal).catch(() => undefined);
        if (r === true) {
          update(out, id, `Mounted from ${from}`);
          sources.add(l.digest, here);
          return;
        }
        if (r) {
          location = r;
          break;
        }
      }
      const progress = new ByteProgress(out, id, 'Pushing', l.blobSize);
      const file = images.content.path(l.digest);
      for (let attempt = 1; ; attempt++) {
        try {
          await uploadBlob({ client, path, digest: l.digest, size: l.blobSize, file, signal: o.signal, progress, chunkSize: env.chunkSize, ...(location ? { location } : {}) });
          break;
        } catch (err) {
          // A broken upload starts over in a new session (a registry keeps no partial state we could trust).
          if (o.signal.aborted || !isRetryable(err) || attempt >= MAX_UPLOAD_ATTEMPTS) throw err;
          location = undefined;
          update(out, id, `Retrying in ${attempt} second${attempt === 1 ? '' : 's'}`);
          await new Promise((r) => setTimeout(r, attempt * 1000));
        }
      }
      update(out, id, 'Pushed');
      sources.add(l.digest, here);
    },
    (l) => update(out, shortId(l.diffId), 'Waiting'),
  );
  const configSize = await images.content.size(img.id);
  if (!(await blobExists(client, path, img.id, o.signal)))
    await uploadBlob({ client, path, digest: img.id, size: configSize, file: images.content.path(img.id), signal: o.signal });
  const manifest = await manifestFor(images, img, configSize);
  const res = await client.expect('PUT', `/v2/${path}/manifests/${tag}`, [201], {
    scopes: [repoScope(path, 'pull,push')],
    headers: { 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
    signal: o.signal,
  });
  discard(res);
  const digest = digestOf(manifest.bytes);
  message(out, `${tag}: digest: ${digest} size: ${manifest.bytes.length}`);
  out({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.bytes.length } });
  // As dockerd does, the pushed digest becomes one of the image's RepoDigests.
  await images.lock.run(async () => {
    if (!images.store.images.has(img.id)) return;
    images.store.refs.set(referenceString({ ...named, digest }), img.id);
    await images.store.saveRefs();
  });
}

/** The manifest to push for `img` (see file header). */
async function manifestFor(images: ImageService, img: StoredImage, configSize: number): Promise<{ mediaType: string; bytes: Buffer }> {
  let kind: 'docker' | 'oci' = 'oci';
  if (img.manifestDigest && (await images.content.exists(img.manifestDigest))) {
    const bytes = await images.content.readBytes(img.manifestDigest);
    let m: OciManifest | undefined;
    try {
      m = JSON.parse(bytes.toString('utf8')) as OciManifest;
    } catch {
      m = undefined;
    }
    const mediaType = m?.mediaType ?? MEDIA.ociManifest;
    if (mediaType === MEDIA.dockerManifest) kind = 'docker';
    const same =
      m?.config?.digest === img.id && Array.isArray(m.layers) && m.layers.length === img.layers.length && m.layers.every((l, i) => l.digest === img.layers[i]!.digest);
    if (same && (mediaType === MEDIA.dockerManifest || mediaType === MEDIA.ociManifest)) return { mediaType, bytes };
  }
  return buildManifest(kind, { digest: img.id, size: configSize }, img.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blobSize })));
}
