/**
 * Manifests on the wire (lecture concept: an image in a registry is a manifest naming its
 * config and layer blobs; a multi-platform image is an index of manifests). Fetching checks
 * the bytes against the digest asked for; parsing accepts Docker schema 2 and OCI manifests
 * and indexes and refuses the rest by name (schema 1, foreign or zstd layers, non-image
 * artifacts), as dockerd does.
 */
import { invalidArgument, notFound } from '../../lib/errors.js';
import { digestOf, isDigest } from '../content/store.js';
import { hostPlatform } from '../images/platform.js';
import { MEDIA, type Descriptor, type OciIndex, type OciManifest } from '../images/types.js';
import { repoScope, type RegistryClient } from './client.js';
import { readBody } from './transport.js';

export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
const SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];

/** What `GET /v2/<name>/manifests/<ref>` asks for. */
const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerManifestList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

/** Layer media types a pull unpacks (compression is sniffed from the bytes anyway). */
const LAYER_TYPES = new Set<string>([MEDIA.dockerLayerGzip, DOCKER_LAYER_TAR, MEDIA.ociLayer, MEDIA.ociLayerGzip]);

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Fetches a manifest or index by tag or digest and verifies a digest reference. */
export async function fetchManifest(c: RegistryClient, path: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
  const res = await c.expect('GET', `/v2/${path}/manifests/${reference}`, [200], { scopes: [repoScope(path, 'pull')], headers: { Accept: ACCEPT }, signal });
  const bytes = await readBody(res, 4 << 20);
  const digest = digestOf(bytes);
  if (reference.includes(':') && reference !== digest) throw invalidArgument(`manifest verification failed for digest ${reference}`);
  let mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
  try {
    const m = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; schemaVersion?: number; manifests?: unknown; config?: unknown };
    // The body's own mediaType wins; without one, its shape tells (some registries send text/plain).
    if (m.mediaType) mediaType = m.mediaType;
    else if (m.schemaVersion === 1) mediaType = SCHEMA1[0]!;
    else if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain') mediaType = m.manifests ? MEDIA.ociIndex : MEDIA.ociManifest;
  } catch {
    throw invalidArgument(`manifest ${digest} is not valid JSON`);
  }
  return { digest, mediaType, bytes };
}

export function isIndex(mediaType: string): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerManifestList;
}

/** Parses `os[/arch[/variant]]` (the `platform` query parameter). */
export function parsePlatform(s: string | undefined): Platform {
  if (!s) return hostPlatform();
  const [os, architecture, variant] = s.toLowerCase().split('/');
  if (!os) throw invalidArgument(`invalid platform: ${s}`);
  const arch = architecture === 'x86_64' || architecture === 'x86-64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture;
  return { os, architecture: arch ?? hostPlatform().architecture, ...(variant ? { variant } : {}) };
}

function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Picks the entry of an index for `want` (an exact variant first; arm64's default variant is v8). */
export function selectManifest(indexBytes: Buffer, want: Platform): Descriptor {
  const idx = JSON.parse(indexBytes.toString('utf8')) as OciIndex;
  const entries = (idx.manifests ?? []).filter((d) => !isIndex(d.mediaType) && d.platform?.os !== 'unknown');
  const fits = entries.filter((d) => d.platform?.os === want.os && d.platform?.architecture === want.architecture);
  const wantVariant = want.variant ?? (want.architecture === 'arm64' ? 'v8' : undefined);
  const pick = fits.find((d) => (d.platform?.variant ?? (want.architecture === 'arm64' ? 'v8' : undefined)) === wantVariant) ?? (want.variant ? undefined : fits[0]);
  if (!pick) throw notFound(`no matching manifest for ${platformString(want)} in the manifest list entries`);
  return pick;
}

/** Parses and checks an image manifest; unsupported content is refused by name. */
export function parseImageManifest(f: FetchedManifest): OciManifest {
  if (SCHEMA1.includes(f.mediaType))
    throw invalidArgument('Docker Image manifest version 2, schema 1 is not supported: the image must be pushed again in the OCI format or Docker schema 2');
  if (f.mediaType !== MEDIA.ociManifest && f.mediaType !== MEDIA.dockerManifest) throw invalidArgument(`unsupported manifest media type ${f.mediaType}`);
  const m = JSON.parse(f.bytes.toString('utf8')) as OciManifest;
  if (!m.config?.digest || !Array.isArray(m.layers)) throw invalidArgument(`manifest ${f.digest} has no config or layers`);
  // Digests become file names and URL paths: only well-formed sha256 ones get that far.
  for (const d of [m.config, ...m.layers])
    if (!isDigest(String(d?.digest)) || !Number.isSafeInteger(d.size) || d.size < 0) throw invalidArgument(`manifest ${f.digest} has an invalid descriptor (only sha256 digests are supported)`);
  if (m.config.mediaType !== DOCKER_CONFIG && m.config.mediaType !== MEDIA.ociConfig)
    throw invalidArgument(`unsupported media type ${m.config.mediaType}: ${f.digest} is not a container image`);
  for (const l of m.layers) {
    if (LAYER_TYPES.has(l.mediaType)) continue;
    if (/zstd/.test(l.mediaType)) throw invalidArgument(`unsupported layer compression: zstd (layer ${l.digest})`);
    if (/foreign|nondistributable/.test(l.mediaType)) throw invalidArgument(`foreign layers are not supported (layer ${l.digest}, ${l.mediaType})`);
    throw invalidArgument(`unsupported layer media type ${l.mediaType} (layer ${l.digest})`);
  }
  return m;
}

/** A manifest for pushing `configDigest` and `layers`, in Docker schema 2 or OCI form. */
export function buildManifest(kind: 'docker' | 'oci', config: { digest: string; size: number }, layers: Descriptor[]): { mediaType: string; bytes: Buffer } {
  const docker = kind === 'docker';
  const layerType = (t: string) => {
    if (docker) return t === MEDIA.ociLayerGzip ? MEDIA.dockerLayerGzip : t === MEDIA.ociLayer ? DOCKER_LAYER_TAR : t;
    return t === MEDIA.dockerLayerGzip ? MEDIA.ociLayerGzip : t === DOCKER_LAYER_TAR ? MEDIA.ociLayer : t;
  };
  const mediaType = docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const m = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: docker ? DOCKER_CONFIG : MEDIA.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: layerType(l.mediaType), digest: l.digest, size: l.size })),
  };
  return { mediaType, bytes: Buffer.from(JSON.stringify(m, null, 2)) };
}
