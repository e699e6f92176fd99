/**
 * What a pushed manifest must look like before the registry stores it: one of the four
 * schema-2 media types (OCI image manifest and index, Docker image manifest and manifest
 * list), well-formed descriptors, and a media type that agrees with `Content-Type`. The
 * registry only validates structure here; that referenced content exists is checked by the
 * handler against the repository (MANIFEST_BLOB_UNKNOWN).
 */
import { regErr } from './errors.js';
import { isDigestLike } from './names.js';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const IMAGE_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest]);
const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList]);
const SCHEMA1_TYPES = new Set(['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']);

/** Largest manifest accepted; distribution's limit too, so clients already stay under it. */
export const MAX_MANIFEST_BYTES = 4 << 20;

export interface ManifestDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface ParsedManifest {
  mediaType: string;
  kind: 'image' | 'index';
  /** Blobs an image manifest needs in the repository (config, and layers not fetched from `urls`). */
  blobs: ManifestDescriptor[];
  /** Manifests an index needs in the repository. */
  manifests: ManifestDescriptor[];
  subject?: ManifestDescriptor;
  /** The type the referrers API reports: `artifactType`, else an image's config media type. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

const invalid = (why: string) => regErr('MANIFEST_INVALID', `manifest invalid: ${why}`, { reason: why });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${where} must map strings to strings`);
  return v as Record<string, string>;
}

/** Checks one descriptor's shape; `where` names it in the error ("layers[2]"). */
export function checkDescriptor(v: unknown, where: string): ManifestDescriptor {
  if (!isObject(v)) throw invalid(`${where} must be an object`);
  const { mediaType, digest, size, urls, artifactType } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType must be a non-empty string`);
  if (typeof digest !== 'string' || !isDigestLike(digest)) throw invalid(`${where}.digest is not a valid digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string'))) throw invalid(`${where}.urls must be a list of strings`);
  if (artifactType !== undefined && typeof artifactType !== 'string') throw invalid(`${where}.artifactType must be a string`);
  const annotations = stringMap(v.annotations, `${where}.annotations`);
  const out: ManifestDescriptor = { mediaType, digest, size };
  if (urls) out.urls = urls as string[];
  if (artifactType) out.artifactType = artifactType;
  if (annotations) out.annotations = annotations;
  if (isObject(v.platform)) out.platform = v.platform as ManifestDescriptor['platform'];
  return out;
}

/** The media type of a `Content-Type` header, without parameters. */
export function bareType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The manifest's media type: its `mediaType` field, else a manifest `Content-Type`, else its
 * shape (OCI allows leaving the field out). Both given and different is MANIFEST_INVALID.
 */
function mediaTypeOf(doc: Record<string, unknown>, contentType: string): string {
  const field = doc.mediaType;
  if (field !== undefined && typeof field !== 'string') throw invalid('mediaType must be a string');
  const ct = IMAGE_TYPES.has(contentType) || INDEX_TYPES.has(contentType) ? contentType : undefined;
  if (field !== undefined && ct !== undefined && field !== ct) throw invalid(`Content-Type ${ct} does not match the manifest's mediaType ${field}`);
  const type = field ?? ct ?? (Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);
  if (SCHEMA1_TYPES.has(type) || SCHEMA1_TYPES.has(contentType)) throw invalid('Docker schema 1 manifests are not supported');
  if (!IMAGE_TYPES.has(type) && !INDEX_TYPES.has(type)) throw invalid(`unsupported manifest media type "${type}"`);
  return type;
}

/** Parses and validates a pushed manifest; MANIFEST_INVALID names the first problem found. */
export function parseManifest(bytes: Buffer, contentType?: string): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(`not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw invalid('a manifest must be a JSON object');
  if (doc.schemaVersion !== 2) throw invalid(`schemaVersion must be 2, not ${JSON.stringify(doc.schemaVersion)}`);
  const mediaType = mediaTypeOf(doc, bareType(contentType));
  if (doc.artifactType !== undefined && typeof doc.artifactType !== 'string') throw invalid('artifactType must be a string');
  const annotations = stringMap(doc.annotations, 'annotations');
  const subject = doc.subject === undefined ? undefined : checkDescriptor(doc.subject, 'subject');
  const out: ParsedManifest = { mediaType, kind: 'image', blobs: [], manifests: [], subject, annotations };
  if (IMAGE_TYPES.has(mediaType)) {
    const config = checkDescriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw invalid('layers must be a list');
    const layers = doc.layers.map((l, i) => checkDescriptor(l, `layers[${i}]`));
    // Layers with `urls` (foreign, non-distributable) are fetched from elsewhere, as distribution allows.
    out.blobs = [config, ...layers.filter((l) => !l.urls?.length)];
    out.artifactType = (doc.artifactType as string | undefined) ?? config.mediaType;
  } else {
    if (!Array.isArray(doc.manifests)) throw invalid('manifests must be a list');
    out.kind = 'index';
    out.manifests = doc.manifests.map((m, i) => checkDescriptor(m, `manifests[${i}]`));
    out.artifactType = doc.artifactType as string | undefined;
  }
  return out;
}
