/**
 * On-disk storage of the registry server (the lecture's "private registry"), laid out like
 * CNCF distribution's filesystem driver:
 *
 *   <root>/blobs/sha256/<hex>                            every blob and manifest, once (ContentStore)
 *   <root>/ingest/                                       uploads in progress (ContentStore)
 *   <root>/repositories/<name>/_layers/<hex>             "this repository may serve blob <hex>"
 *   <root>/repositories/<name>/_manifests/revisions/<hex>  manifest <hex> is in the repository
 *   <root>/repositories/<name>/_manifests/tags/<tag>/current  the digest the tag points at
 *   <root>/repositories/<name>/_referrers/<subject-hex>/<hex> a manifest whose subject is <subject>
 *
 * Blobs are shared across repositories; what a repository may serve is decided by its links,
 * so a client cannot read another repository's blob by guessing its digest. Content is
 * verified before its atomic rename (see ContentStore) and every link is written through
 * a temporary file and a rename, so a crash never leaves a half-written blob or link visible.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ContentStore } from '../engine/content/store.js';
import { readJson, TMP_MARK, writeFileAtomic } from '../lib/fsutil.js';
import { isTag } from './names.js';

const HEX_RE = /^[a-f0-9]{64}$/;

/** What a repository records about one of its manifests (saves re-reading the manifest). */
export interface ManifestRecord {
  mediaType: string;
  size: number;
  /** Digest of the manifest's `subject`, so deleting it can drop its referrer entry. */
  subject?: string;
}

/** An entry of the referrers index: an OCI descriptor of the referring manifest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const hexOf = (digest: string) => digest.slice('sha256:'.length);

async function isDir(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** The registry's storage (see file header). Names and digests must be validated by callers. */
export class RegistryStorage {
  private constructor(
    readonly root: string,
    readonly content: ContentStore,
  ) {}

  /** Opens (creating if needed) the storage at `root`; drops interrupted uploads and link writes. */
  static async open(root: string): Promise<RegistryStorage> {
    const content = await ContentStore.open(root);
    const s = new RegistryStorage(root, content);
    await fs.mkdir(s.reposDir, { recursive: true });
    await s.sweepTemp(s.reposDir);
    return s;
  }

  get reposDir(): string {
    return path.join(this.root, 'repositories');
  }

  private repoDir(name: string): string {
    return path.join(this.reposDir, ...name.split('/'));
  }
  private layerLink(name: string, digest: string): string {
    return path.join(this.repoDir(name), '_layers', hexOf(digest));
  }
  private revisionLink(name: string, digest: string): string {
    return path.join(this.repoDir(name), '_manifests', 'revisions', hexOf(digest));
  }
  private tagsDir(name: string): string {
    return path.join(this.repoDir(name), '_manifests', 'tags');
  }
  private referrersDir(name: string, subject: string): string {
    return path.join(this.repoDir(name), '_referrers', hexOf(subject));
  }

  /** Writes `data` at `file` atomically, creating its directory first. */
  private async link(file: string, data: string): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, data, 0o644);
  }

  /** True when the repository exists (has received a blob or a manifest). */
  async hasRepository(name: string): Promise<boolean> {
    const dir = this.repoDir(name);
    return (await isDir(path.join(dir, '_layers'))) || (await isDir(path.join(dir, '_manifests')));
  }

  // --- blobs -------------------------------------------------------------------------------

  /** Size of blob `digest` when repository `name` may serve it, else undefined. */
  async blobSize(name: string, digest: string): Promise<number | undefined> {
    if (!(await fs.access(this.layerLink(name, digest)).then(() => true, () => false))) return undefined;
    return fs.stat(this.content.path(digest)).then((st) => st.size, () => undefined);
  }

  /** Lets repository `name` serve the (already stored) blob `digest`. */
  async linkBlob(name: string, digest: string): Promise<void> {
    await this.link(this.layerLink(name, digest), digest);
  }

  /**
   * Removes the repository's link to a blob; false when there was none. The shared bytes
   * stay, as in distribution: other repositories may link them (garbage collection's job).
   */
  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    return fs.rm(this.layerLink(name, digest)).then(() => true, () => false);
  }

  // --- manifests ---------------------------------------------------------------------------

  /** The repository's record of manifest `digest`, or undefined when it has none. */
  async manifest(name: string, digest: string): Promise<ManifestRecord | undefined> {
    const rec = await readJson<ManifestRecord>(this.revisionLink(name, digest)).catch(() => undefined);
    if (!rec || !(await this.content.exists(digest))) return undefined;
    return rec;
  }

  /**
   * Stores manifest bytes (verified against `digest`), then its revision link, so a reader
   * that sees the link always finds the bytes.
   */
  async putManifest(name: string, digest: string, bytes: Buffer, rec: ManifestRecord): Promise<void> {
    if (!(await this.content.exists(digest))) await this.content.write(bytes, { digest, size: bytes.length });
    await this.link(this.revisionLink(name, digest), JSON.stringify(rec));
  }

  /** Removes manifest `digest`, every tag pointing at it and its referrer entry; false if absent. */
  async deleteManifest(name: string, digest: string): Promise<boolean> {
    const rec = await readJson<ManifestRecord>(this.revisionLink(name, digest)).catch(() => undefined);
    if (!rec) return false;
    // Tags first: a tag must never point at a manifest that is gone.
    for (const tag of await this.tags(name)) if ((await this.resolveTag(name, tag)) === digest) await this.untag(name, tag);
    if (rec.subject) await fs.rm(path.join(this.referrersDir(name, rec.subject), hexOf(digest)), { force: true });
    await fs.rm(this.revisionLink(name, digest), { force: true });
    return true;
  }

  // --- tags --------------------------------------------------------------------------------

  async resolveTag(name: string, tag: string): Promise<string | undefined> {
    const d = await fs.readFile(path.join(this.tagsDir(name), tag, 'current'), 'utf8').catch(() => undefined);
    return d?.trim() || undefined;
  }

  async tag(name: string, tag: string, digest: string): Promise<void> {
    await this.link(path.join(this.tagsDir(name), tag, 'current'), digest);
  }

  /** Removes a tag; false when it did not exist. */
  async untag(name: string, tag: string): Promise<boolean> {
    const dir = path.join(this.tagsDir(name), tag);
    if (!(await isDir(dir))) return false;
    await fs.rm(dir, { recursive: true, force: true });
    return true;
  }

  /** The repository's tags in lexical order (a tag folder without `current` is an interrupted write). */
  async tags(name: string): Promise<string[]> {
    const names = await fs.readdir(this.tagsDir(name)).catch(() => [] as string[]);
    const out: string[] = [];
    for (const t of names) if (isTag(t) && (await this.resolveTag(name, t))) out.push(t);
    return out.sort(compareLexical);
  }

  // --- referrers ---------------------------------------------------------------------------

  async addReferrer(name: string, subject: string, desc: Descriptor): Promise<void> {
    await this.link(path.join(this.referrersDir(name, subject), hexOf(desc.digest)), JSON.stringify(desc));
  }

  /** Descriptors of the repository's manifests whose subject is `subject`, by digest. */
  async referrers(name: string, subject: string): Promise<Descriptor[]> {
    const dir = this.referrersDir(name, subject);
    const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => HEX_RE.test(n)).sort();
    const out: Descriptor[] = [];
    for (const n of names) {
      const d = await readJson<Descriptor>(path.join(dir, n)).catch(() => undefined);
      // A referrer whose manifest was deleted by another path is skipped, not served.
      if (d && (await this.manifest(name, d.digest))) out.push(d);
    }
    return out;
  }

  // --- catalog -----------------------------------------------------------------------------

  /** Every repository name in lexical order. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      const names = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
      if (prefix && (names.has('_layers') || names.has('_manifests'))) out.push(prefix);
      for (const n of names) if (!n.startsWith('_')) await walk(path.join(dir, n), prefix ? `${prefix}/${n}` : n);
    };
    await walk(this.reposDir, '');
    return out.sort(compareLexical);
  }

  /**
   * Removes leftovers of interrupted link writes under `dir`, recursively. Only files: a
   * tag or repository may legitimately be named like a temporary file, and those are folders.
   */
  private async sweepTemp(dir: string): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await this.sweepTemp(p);
      else if (e.name.includes(TMP_MARK)) await fs.rm(p, { force: true });
    }
  }
}

/** Code-unit order, which is what the spec means by "lexical" for tags and repositories. */
export function compareLexical(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
