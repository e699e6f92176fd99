/**
 * `docker pull` (lecture concept: `run` fetches a missing image from a registry; the image is
 * its manifest, config and layers). Order of work, chosen so that an interrupted pull leaves
 * nothing but verified blobs, which the next pull reuses:
 *
 * 1. resolve the tag to a manifest (an index: the entry for the wanted platform), check it;
 * 2. fetch the config blob; if an image with that ID is already stored, nothing else moves;
 * 3. download missing layers in parallel (`--max-concurrent-downloads`), each verified into
 *    the content store and handed at once to the background unpacker, which also checks its
 *    diff ID against the config;
 * 4. once every layer is stored and unpacked, record the image and its tag and digest
 *    references in one step (images/commit.ts), under leases so that a concurrent `rmi`
 *    cannot collect blobs and snapshots the pull still needs.
 */
import { invalidArgument } from '../../lib/errors.js';
import { parseConfig, type PendingLayer } from '../images/commit.js';
import { familiarName, familiarString, referenceString, type Reference } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import type { OciManifest } from '../images/types.js';
import { chainIds } from '../snapshots/snapshotter.js';
import type { AuthConfig } from './auth.js';
import { repoScope, RegistryClient } from './client.js';
import { downloadBlob } from './download.js';
import { translatePullError } from './errors.js';
import type { RegistryHosts } from './hosts.js';
import { fetchManifest, isIndex, parseImageManifest, parsePlatform, selectManifest, type FetchedManifest } from './manifest.js';
import { ByteProgress, message, runLimited, shortId, update, type ProgressSink } from './progress.js';
import type { BlobSources } from './sources.js';
import { readBody } from './transport.js';

/** What a pull needs from the daemon. */
export interface PullEnv {
  images: ImageService;
  hosts: RegistryHosts;
  sources: BlobSources;
  maxConcurrentDownloads: number;
  maxDownloadAttempts: number;
}

export interface PullOptions {
  auth: AuthConfig;
  /** `os[/arch[/variant]]`; the host's platform when absent. */
  platform?: string;
  signal: AbortSignal;
}

const MAX_CONFIG_BYTES = 8 << 20;

/**
 * Pulls `ref`: its tag or digest, or every tag of the repository when it has neither
 * (`docker pull -a`). Errors before the first message are thrown for the caller to send as
 * an HTTP error; `out` receives Docker's progress messages.
 */
export async function pull(env: PullEnv, ref: Reference, o: PullOptions, out: ProgressSink): Promise<void> {
  const client = await RegistryClient.connect(env.hosts.endpoint(ref.domain), o.auth, o.signal);
  try {
    if (ref.tag === undefined && ref.digest === undefined) {
      const res = await client.expect('GET', `/v2/${ref.path}/tags/list`, [200], { scopes: [repoScope(ref.path, 'pull')], signal: o.signal }).catch((e) => {
        throw translatePullError(e, ref);
      });
      const tags = (JSON.parse((await readBody(res)).toString('utf8')) as { tags?: string[] | null }).tags ?? [];
      let updated = false;
      for (const tag of tags) updated = (await pullOne(env, client, { ...ref, tag }, o, out)) || updated;
      message(out, `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarName(ref)}`);
      return;
    }
    const updated = await pullOne(env, client, ref, o, out);
    message(out, `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(ref)}`);
  } finally {
    client.close();
  }
}

/** Resolves `ref` to an image manifest (through an index if need be). */
async function resolve(client: RegistryClient, ref: Reference, o: PullOptions): Promise<{ top: FetchedManifest; image: FetchedManifest; manifest: OciManifest }> {
  try {
    const top = await fetchManifest(client, ref.path, ref.digest ?? ref.tag!, o.signal);
    let image = top;
    if (isIndex(top.mediaType)) {
      const d = selectManifest(top.bytes, parsePlatform(o.platform));
      image = await fetchManifest(client, ref.path, d.digest, o.signal);
    }
    return { top, image, manifest: parseImageManifest(image) };
  } catch (err) {
    throw translatePullError(err, ref);
  }
}

/** Pulls one tag or digest; true when the reference now names a different image than before. */
async function pullOne(env: PullEnv, client: RegistryClient, ref: Reference, o: PullOptions, out: ProgressSink): Promise<boolean> {
  const { images } = env;
  const { top, image, manifest } = await resolve(client, ref, o);
  message(out, `Pulling from ${ref.path}`, ref.digest ?? ref.tag);
  const blobDigests = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
  const releases = [images.leases.hold(blobDigests)];
  try {
    const id = manifest.config.digest;
    if (manifest.config.size > MAX_CONFIG_BYTES) throw invalidArgument(`image config ${id} is too large (${manifest.config.size} bytes)`);
    if (!(await images.content.exists(id)))
      await downloadBlob({ client, path: ref.path, desc: manifest.config, content: images.content, signal: o.signal, attempts: env.maxDownloadAttempts });
    const configBytes = await images.content.readBytes(id);
    const config = parseConfig(configBytes);
    if (config.os && config.os !== 'linux') throw invalidArgument(`image operating system "${config.os}" cannot be used on this platform`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) throw invalidArgument(`image config lists ${diffIds.length} layers, the manifest ${manifest.layers.length}`);
    const chain = chainIds(diffIds);
    releases.push(images.leases.hold(chain));

    const named = { domain: ref.domain, path: ref.path };
    const refs = [referenceString({ ...named, digest: top.digest })];
    if (ref.tag !== undefined && ref.digest === undefined) refs.unshift(referenceString({ ...named, tag: ref.tag }));
    const before = images.store.refs.get(refs[0]!);
    // An image with this ID is already stored (perhaps from other blobs: a load, or the same
    // layers compressed differently): as in dockerd, nothing is downloaded, only names change.
    if (!(await tagExisting(images, id, refs))) {
      const sizes = await fetchLayers(env, client, ref, manifest, chain, diffIds, o, out);
      const layers: PendingLayer[] = manifest.layers.map((l, i) => ({ digest: l.digest, blobSize: l.size, mediaType: l.mediaType, diffId: diffIds[i]!, size: sizes[i] ?? 0 }));
      await images.addImages([{ image: { configBytes, layers, manifestBytes: image.bytes }, refs }]);
    }
    for (const d of blobDigests) env.sources.add(d, `${ref.domain}/${ref.path}`);
    message(out, `Digest: ${top.digest}`);
    return before !== id;
  } finally {
    for (const r of releases) r();
  }
}

/** Points `refs` at image `id` if it is stored; false when it is not. */
function tagExisting(images: ImageService, id: string, refs: string[]): Promise<boolean> {
  return images.lock.run(async () => {
    if (!images.store.images.has(id)) return false;
    for (const r of refs) images.store.setRef(r, id);
    await images.store.saveRefs();
    return true;
  });
}

/**
 * Downloads the layers not in the content store and waits for all of them to be unpacked.
 * Returns each layer's unpacked size.
 */
async function fetchLayers(
  env: PullEnv,
  client: RegistryClient,
  ref: Reference,
  manifest: OciManifest,
  chain: string[],
  diffIds: string[],
  o: PullOptions,
  out: ProgressSink,
): Promise<number[]> {
  const { images } = env;
  const unpacks: Array<Promise<void>> = [];
  const source = (i: number) => ({ chainId: chain[i]!, digest: manifest.layers[i]!.digest, diffId: diffIds[i]!, ...(i > 0 ? { parent: chain[i - 1] } : {}) });
  const unpack = (i: number) => {
    const p = images.unpacker.schedule(source(i));
    p.catch(() => undefined); // awaited below; a download failure may come first
    unpacks.push(p);
    return p;
  };
  const missing: number[] = [];
  for (const [i, l] of manifest.layers.entries()) {
    if (await images.content.exists(l.digest)) {
      update(out, shortId(l.digest), 'Already exists');
      unpack(i);
    } else {
      update(out, shortId(l.digest), 'Pulling fs layer');
      missing.push(i);
    }
  }
  // The first failed download stops the others (their partial ingest files are dropped).
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await runLimited(
      missing,
      env.maxConcurrentDownloads,
      async (i) => {
        const l = manifest.layers[i]!;
        const id = shortId(l.digest);
        const progress = new ByteProgress(out, id, 'Downloading', l.size);
        // The layer is unpacked while it downloads; it is committed only once the blob is
        // verified, and a streamed attempt that fails is retried from the stored blob.
        const live = images.unpacker.stream(source(i));
        await downloadBlob({ client, path: ref.path, desc: l, content: images.content, signal: stop.signal, attempts: env.maxDownloadAttempts, progress, retryStatus: { out, id }, ...(live ? { tee: live.feed } : {}) }).catch((err) => {
          stop.abort();
          throw o.signal.aborted ? err : translatePullError(err, ref);
        });
        update(out, id, 'Verifying Checksum');
        update(out, id, 'Download complete');
        const done = live ? live.done.catch(() => unpack(i)) : unpack(i);
        done.catch(() => undefined); // awaited below
        unpacks.push(done);
        void done.then(() => update(out, id, 'Pull complete'), () => undefined);
      },
      (i) => update(out, shortId(manifest.layers[i]!.digest), 'Waiting'),
    );
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
  for (const p of unpacks) await p;
  const sizes: number[] = [];
  for (const c of chain) sizes.push((await images.overlay.info(c))?.size ?? 0);
  return sizes;
}
