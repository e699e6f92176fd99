/**
 * Image data shapes: the OCI/Docker image config (what a container inherits: Cmd, Env, …
 * and rootfs.diff_ids, the ordered layer list), OCI manifests and indexes, and Berth's own
 * image record (lecture concept: an image = config + ordered read-only layers).
 */

/** The runtime part of an image config (`config` in the OCI config JSON), Docker's capitalized keys. */
export interface ImageRuntimeConfig {
  User?: string;
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  OnBuild?: string[] | null;
  Shell?: string[];
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The OCI / Docker image config JSON. Unknown keys are preserved (the ID is the hash of the bytes). */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  /** The container a commit or build step was made from. */
  container?: string;
  /** The legacy builder's record of the step (its Cmd names the instruction); the build cache compares it. */
  container_config?: ImageRuntimeConfig;
  [key: string]: unknown;
}

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface OciManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface OciIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** One layer of an image as stored: its blob and what it unpacks to. */
export interface LayerRecord {
  /** Digest of the blob as stored (compressed or not). */
  digest: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Blob size in bytes. */
  blobSize: number;
  mediaType: string;
}

/** What callers see of an image (the API the lead's code uses). */
export interface ImageRecord {
  /** `sha256:<hex>` of the config blob. */
  id: string;
  /** Familiar names, e.g. `busybox:latest`. */
  repoTags: string[];
  /** Familiar canonical names, e.g. `busybox@sha256:…`. */
  repoDigests: string[];
  /** RFC 3339 creation time from the config. */
  created: string;
  /** Sum of the unpacked layer sizes in bytes. */
  size: number;
  config: ImageConfig;
  /** Chain IDs, bottom layer first (the snapshot keys). */
  chainIds: string[];
  parent?: string;
}

/** The image record as kept on disk (`<dataRoot>/images/records/<hex>.json`). */
export interface StoredImage {
  id: string;
  created: string;
  size: number;
  config: ImageConfig;
  chainIds: string[];
  layers: LayerRecord[];
  /** Per-layer unpacked sizes, parallel to `layers`. */
  layerSizes: number[];
  /** Digest of an OCI manifest blob kept with the image, when it came with one. */
  manifestDigest?: string;
  parent?: string;
  /** Made by commit or a build step here (only such images serve the build cache, as in Docker). */
  builtLocally?: boolean;
  /** When the image was first stored (RFC 3339). */
  loadedAt: string;
}
