/** Test helper: builds docker-archive and OCI-layout image tarballs in memory. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { makeTar, sha, type TarEntry } from '../snapshots/tarutil.js';

export interface TestImage {
  layers: Buffer[]; // uncompressed layer tars
  tags?: string[];
  config?: Record<string, unknown>;
}

export interface Built {
  tar: Buffer;
  ids: string[];
}

export function configFor(img: TestImage): Buffer {
  const cfg = {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: img.layers.map(sha) },
    history: img.layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `step ${i}` })),
    ...img.config,
  };
  return Buffer.from(JSON.stringify(cfg));
}

const hex = (b: Buffer) => sha(b).slice(7);

/** A docker-archive; `legacy` uses the pre-25 `<id>/layer.tar` + `<id>.json` layout. */
export async function dockerArchive(images: TestImage[], legacy = false): Promise<Built> {
  const files = new Map<string, Buffer>();
  const manifest: unknown[] = [];
  const ids: string[] = [];
  for (const img of images) {
    const cfg = configFor(img);
    ids.push(sha(cfg));
    const cfgName = legacy ? `${hex(cfg)}.json` : `blobs/sha256/${hex(cfg)}`;
    files.set(cfgName, cfg);
    const layerNames = img.layers.map((l) => (legacy ? `${hex(l)}/layer.tar` : `blobs/sha256/${hex(l)}`));
    img.layers.forEach((l, i) => files.set(layerNames[i]!, l));
    manifest.push({ Config: cfgName, RepoTags: img.tags ?? null, Layers: layerNames });
  }
  const entries: TarEntry[] = [...files].map(([name, body]) => ({ name, body }));
  entries.push({ name: 'manifest.json', body: JSON.stringify(manifest) });
  return { tar: await makeTar(entries), ids };
}

/** An OCI image layout with gzip layers; `names` go into the index annotations. */
export async function ociLayout(img: TestImage, annotations: Record<string, string>): Promise<Built> {
  const cfg = configFor(img);
  const gz = img.layers.map((l) => gzipSync(l));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(cfg), size: cfg.length },
      layers: gz.map((g) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(g), size: g.length })),
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations }],
  };
  const entries: TarEntry[] = [
    { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', body: JSON.stringify(index) },
    { name: `blobs/sha256/${hex(manifest)}`, body: manifest },
    { name: `blobs/sha256/${hex(cfg)}`, body: cfg },
    ...gz.map((g) => ({ name: `blobs/sha256/${hex(g)}`, body: g })),
  ];
  return { tar: await makeTar(entries), ids: [sha(cfg)] };
}

/** A small layer tar with the given files. */
export function layer(files: Record<string, string>): Promise<Buffer> {
  return makeTar(Object.entries(files).map(([name, body]) => ({ name, body })));
}

/** Everything in the data root that makes an image visible or takes space. */
export async function leftovers(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of ['content/blobs/sha256', 'content/ingest', 'snapshots/tmp', 'images/records']) {
    for (const n of await fs.readdir(path.join(root, d)).catch(() => [])) out.push(`${d}/${n}`);
  }
  for (const n of await fs.readdir(path.join(root, 'snapshots'))) if (/^[a-f0-9]{64}$/.test(n)) out.push(`snapshots/${n}`);
  return out;
}
