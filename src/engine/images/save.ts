/**
 * `docker save` (lecture concept: an image is portable as a tarball of its config and layer
 * blobs). Writes the format Docker ≥25 writes, which older Docker loads too:
 * `blobs/sha256/<hex>` for layers, configs and OCI manifests, a docker-archive
 * `manifest.json` ([{Config, RepoTags, Layers}]) and `repositories`, plus an OCI layout
 * (`oci-layout`, `index.json` with image-name annotations). Layer blobs are written exactly as
 * stored, so a save → load round trip keeps every digest and the image ID.
 */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { waitDrain } from '../snapshots/feed.js';
import { digestHex, digestOf } from '../content/store.js';
import { familiarName, fullName, parseReference, referenceString, withDefaultTag, type Reference } from './reference.js';
import type { ImageService } from './service.js';
import { MEDIA, type OciIndex, type OciManifest, type StoredImage } from './types.js';

interface Selected {
  img: StoredImage;
  tags: Reference[];
}

/** Resolves the names now (unknown → NotFound thrown to the caller), then streams the tar. */
export function saveArchive(svc: ImageService, names: string[]): NodeJS.ReadableStream {
  const selected = new Map<string, Selected>();
  const add = (img: StoredImage, tag?: Reference) => {
    const s = selected.get(img.id) ?? { img, tags: [] };
    if (tag && !s.tags.some((t) => referenceString(t) === referenceString(tag))) s.tags.push(tag);
    selected.set(img.id, s);
  };
  for (const name of names) {
    let parsed: Reference | undefined;
    try {
      parsed = parseReference(name);
    } catch {
      parsed = undefined; // an ID such as sha256:<hex>
    }
    if (parsed && parsed.tag === undefined && parsed.digest === undefined) {
      // A bare repository name saves every tag of that repository (as Docker does).
      const repoTags = [...svc.store.refs].filter(([r, id]) => !r.includes('@') && r.startsWith(`${fullName(parsed!)}:`) && svc.store.images.has(id));
      if (repoTags.length > 0) {
        for (const [r, id] of repoTags) add(svc.store.images.get(id)!, parseReference(r));
        continue;
      }
    }
    const img = svc.lookup(name);
    const named = parsed ? withDefaultTag(parsed) : undefined;
    if (named && named.tag !== undefined && svc.store.refs.get(referenceString(named)) === img.id) add(img, named);
    else add(img);
  }
  const pack = tar.pack();
  const out = Readable.from(pack);
  // A client that goes away destroys `out`: stop waiting on the tar and close the open blob.
  const ctl: Control = { aborted: false, current: undefined, wake: () => undefined };
  const abort = new Promise<void>((r) => (ctl.wake = r));
  out.once('close', () => {
    ctl.aborted = true;
    ctl.current?.destroy();
    ctl.wake();
  });
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    const r = await Promise.race([p, abort.then(() => ABORTED)]);
    if (r === ABORTED || ctl.aborted) throw new Error('save aborted');
    return r as T;
  };
  void writeAll(svc, pack, [...selected.values()], ctl, guard).catch((err: Error) => pack.destroy(err));
  return out;
}

const ABORTED = Symbol('aborted');
interface Control {
  aborted: boolean;
  current: Readable | undefined;
  wake: () => void;
}
type Guard = <T>(p: Promise<T>) => Promise<T>;

const MTIME = new Date(0);

function entry(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ name, mode: 0o644, mtime: MTIME, size: data.length }, data, (err) => (err ? reject(err) : resolve())));
}

async function streamEntry(pack: tar.Pack, name: string, size: number, src: AsyncIterable<Uint8Array>, guard: Guard): Promise<void> {
  let done!: () => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => ((done = res), (failed = rej)));
  const ws = pack.entry({ name, mode: 0o644, mtime: MTIME, size }, (err) => (err ? failed(err) : done()));
  for await (const chunk of src) {
    if (!ws.write(chunk)) await waitDrain(ws);
  }
  ws.end(undefined)
  await finished;
}

async function writeAll(svc: ImageService, pack: tar.Pack, images: Selected[], ctl: Control, guard: Guard): Promise<void> {
  for (const name of ['blobs/', 'blobs/sha256/']) {
    await guard(new Promise<void>((res, rej) => pack.entry({ name, type: 'directory', mode: 0o755, mtime: MTIME }, (e) => (e ? rej(e) : res()))));
  }
  const written = new Set<string>();
  const blob = async (digest: string) => {
    if (written.has(digest)) return;
    written.add(digest);
    const src = (ctl.current = await svc.content.read(digest));
    if (ctl.aborted) src.destroy();
    await streamEntry(pack, `blobs/sha256/${digestHex(digest)}`, await svc.content.size(digest), src, guard);
    ctl.current = undefined;
  };
  const bytes = async (data: Buffer) => {
    const d = digestOf(data);
    if (!written.has(d)) {
      written.add(d);
      await guard(entry(pack, `blobs/sha256/${digestHex(d)}`, data));
    }
    return d;
  };
  const manifestJson: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] };
  const repositories: Record<string, Record<string, string>> = {};
  for (const { img, tags } of images) {
    for (const l of img.layers) await blob(l.digest);
    await blob(img.id);
    const manifestBytes = img.manifestDigest
      ? await svc.content.readBytes(img.manifestDigest)
      : Buffer.from(JSON.stringify(ociManifest(img, await svc.content.size(img.id))));
    const manifestType = (JSON.parse(manifestBytes.toString('utf8')) as OciManifest).mediaType ?? MEDIA.ociManifest;
    const manifestDigest = await bytes(manifestBytes);
    const familiarTags = tags.map((t) => `${familiarName(t)}:${t.tag}`);
    manifestJson.push({
      Config: `blobs/sha256/${digestHex(img.id)}`,
      RepoTags: familiarTags.length ? familiarTags : null,
      Layers: img.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
    });
    const desc = { mediaType: manifestType, digest: manifestDigest, size: manifestBytes.length };
    if (tags.length === 0) index.manifests.push(desc);
    for (const t of tags) {
      index.manifests.push({ ...desc, annotations: { 'io.containerd.image.name': referenceString(t), 'org.opencontainers.image.ref.name': t.tag! } });
      const top = img.layers[img.layers.length - 1];
      if (top) (repositories[familiarName(t)] ??= {})[t.tag!] = digestHex(top.digest);
    }
  }
  await guard(entry(pack, 'index.json', Buffer.from(JSON.stringify(index))));
  await guard(entry(pack, 'manifest.json', Buffer.from(JSON.stringify(manifestJson))));
  await guard(entry(pack, 'oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))));
  if (Object.keys(repositories).length) await guard(entry(pack, 'repositories', Buffer.from(JSON.stringify(repositories))));
  pack.finalize();
}

/** An OCI manifest for an image that came without one (docker-archive load, import). */
function ociManifest(img: StoredImage, configSize: number): OciManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: img.id, size: configSize },
    layers: img.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blobSize })),
  };
}
