/**
 * `docker load` (lecture concept: moving images between machines without a registry). Two
 * archive formats are understood:
 * - docker-archive: `manifest.json` = [{Config, RepoTags, Layers}] with paths into the tar
 *   (legacy `<id>/layer.tar` and Docker ≥25's `blobs/sha256/<hex>` alike);
 * - OCI image layout: `oci-layout` + `index.json` whose descriptors name `blobs/sha256/<hex>`,
 *   possibly through nested indexes (multi-platform); names come from the
 *   `io.containerd.image.name` or `org.opencontainers.image.ref.name` annotations.
 * When both are present (Docker ≥25 writes both), manifest.json wins, as in Docker.
 */
import { invalidArgument } from '../../lib/errors.js';
import { detectCompression } from '../snapshots/compression.js';
import { Archive, type ArchiveFile } from './archive.js';
import type { PendingImage, PendingLayer } from './commit.js';
import { hostPlatform } from './platform.js';
import { isTagOnly, normalize } from './reference.js';
import type { ImageService } from './service.js';
import { MEDIA, type Descriptor, type OciIndex, type OciManifest } from './types.js';

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

type Pending = { image: PendingImage; refs: string[] };

/** Loads every image of the archive; returns Docker's "Loaded image…" lines. */
export async function loadArchive(svc: ImageService, input: AsyncIterable<Uint8Array>): Promise<string[]> {
  const archive = new Archive(svc.stores);
  await archive.read(input);
  try {
    const layers = new Map<string, Promise<PendingLayer>>();
    let pending: Pending[];
    if (archive.get('manifest.json')) pending = await fromDockerManifest(archive, layers);
    else if (archive.get('index.json')) pending = await fromOciLayout(archive, layers);
    else throw invalidArgument('invalid archive: neither manifest.json nor index.json found');
    if (pending.length === 0) throw invalidArgument('invalid archive: no images found');
    return (await svc.addImages(pending)).lines;
  } finally {
    await archive.release();
  }
}

/** Checks that a file stored under `blobs/sha256/<hex>` really has that digest. */
function verifiedBlob(f: ArchiveFile, expect?: { digest: string; size: number }): ArchiveFile {
  const m = /^blobs\/(\w+)\/([a-f0-9]+)$/.exec(f.name);
  if (m && `${m[1]}:${m[2]}` !== f.digest) throw invalidArgument(`invalid archive: ${f.name} is corrupt (its digest is ${f.digest})`);
  if (expect && (expect.digest !== f.digest || expect.size !== f.size))
    throw invalidArgument(`invalid archive: blob ${expect.digest} does not match its descriptor`);
  return f;
}

/** The pending layer for archive file `name`, shared by every image that uses it. */
function layerFor(cache: Map<string, Promise<PendingLayer>>, f: ArchiveFile, mediaType?: string): Promise<PendingLayer> {
  let p = cache.get(f.name);
  if (!p) {
    p = (async () => {
      const u = await f.unpack;
      if (u && !u.ok) throw u.error; // a layer candidate that failed its scan: hostile or corrupt
      const gz = detectCompression(f.head) === 'gzip';
      const l: PendingLayer = {
        digest: f.digest,
        blobSize: f.size,
        mediaType: mediaType ?? (gz ? MEDIA.ociLayerGzip : MEDIA.ociLayer),
        blob: f.writer,
      };
      if (u?.ok) Object.assign(l, { diffId: u.diffId, size: u.size });
      return l;
    })();
    cache.set(f.name, p);
  }
  return p;
}

async function fromDockerManifest(archive: Archive, cache: Map<string, Promise<PendingLayer>>): Promise<Pending[]> {
  const manifest = await archive.json<DockerManifestEntry[]>('manifest.json');
  if (!Array.isArray(manifest)) throw invalidArgument('invalid archive: manifest.json is not a list');
  const out: Pending[] = [];
  for (const m of manifest) {
    if (typeof m?.Config !== 'string' || !Array.isArray(m.Layers)) throw invalidArgument('invalid archive: manifest.json entry without Config or Layers');
    const configFile = verifiedBlob(archive.need(m.Config));
    const configBytes = await archive.bytes(configFile.name);
    const layers: PendingLayer[] = [];
    for (const name of m.Layers) layers.push(await layerFor(cache, verifiedBlob(archive.need(name))));
    const refs = (m.RepoTags ?? []).map((t) => normalize(t));
    out.push({ image: { configBytes, layers }, refs });
  }
  return out;
}

function blobName(digest: string): string {
  const m = /^(\w+):([a-f0-9]+)$/.exec(digest ?? '');
  if (!m) throw invalidArgument(`invalid archive: bad digest "${digest}"`);
  return `blobs/${m[1]}/${m[2]}`;
}

/** Image names from an index descriptor's annotations (a bare tag names nothing). */
function namesOf(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const full = a['io.containerd.image.name'];
  if (full) return [normalize(full)];
  const ref = a['org.opencontainers.image.ref.name'];
  if (ref && !isTagOnly(ref)) return [normalize(ref)];
  return [];
}

async function fromOciLayout(archive: Archive, cache: Map<string, Promise<PendingLayer>>): Promise<Pending[]> {
  const index = await archive.json<OciIndex>('index.json');
  if (!Array.isArray(index?.manifests)) throw invalidArgument('invalid archive: index.json has no manifests');
  const byConfig = new Map<string, Pending>();
  const visit = async (d: Descriptor, names: string[], depth: number): Promise<void> => {
    if (depth > 4) throw invalidArgument('invalid archive: indexes nested too deeply');
    const f = verifiedBlob(archive.need(blobName(d.digest)), { digest: d.digest, size: d.size });
    if (d.mediaType === MEDIA.ociIndex || d.mediaType === MEDIA.dockerManifestList) {
      const child = await archive.json<OciIndex>(f.name);
      const want = hostPlatform();
      const candidates = (child.manifests ?? []).filter((m) => m.mediaType !== MEDIA.ociIndex && m.platform?.architecture !== 'unknown');
      const pick = candidates.find((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture) ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (!pick) throw invalidArgument(`invalid archive: no image for ${want.os}/${want.architecture} in the index`);
      return visit(pick, names, depth + 1);
    }
    if (d.mediaType !== MEDIA.ociManifest && d.mediaType !== MEDIA.dockerManifest) return; // attestations, artifacts
    const manifestBytes = await archive.bytes(f.name);
    let manifest: OciManifest;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as OciManifest;
    } catch {
      throw invalidArgument(`invalid archive: manifest ${d.digest} is not JSON`);
    }
    if (!manifest.config || !Array.isArray(manifest.layers)) throw invalidArgument(`invalid archive: manifest ${d.digest} has no config or layers`);
    const cfgFile = verifiedBlob(archive.need(blobName(manifest.config.digest)), manifest.config);
    const prev = byConfig.get(cfgFile.digest);
    if (prev) {
      prev.refs.push(...names.filter((n) => !prev.refs.includes(n)));
      return;
    }
    const layers: PendingLayer[] = [];
    for (const l of manifest.layers) {
      const lf = verifiedBlob(archive.need(blobName(l.digest)), l);
      layers.push(await layerFor(cache, lf, l.mediaType));
    }
    byConfig.set(cfgFile.digest, { image: { configBytes: await archive.bytes(cfgFile.name), layers, manifestBytes }, refs: [...names] });
  };
  for (const d of index.manifests) await visit(d, namesOf(d), 0);
  return [...byConfig.values()];
}
