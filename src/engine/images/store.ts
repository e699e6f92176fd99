/**
 * Image metadata on disk (dockerd's image store + reference store; lecture concept: a tag is
 * only a name pointing at an image ID).
 *
 * - `records/<id hex>.json` — one file per image, written atomically.
 * - `repositories.json` — every reference (normalized `docker.io/library/busybox:latest` or
 *   `…@sha256:…`) → image ID, plus each image's last tag time; one atomic file.
 *
 * Each file is replaced whole by rename, so after a kill -9 a reader sees the old or the new
 * version. Consistency *between* files (a tag naming a lost record) is restored by the image
 * service's reconcile step at open.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readJson, removeTempFiles, writeJsonAtomic } from '../../lib/fsutil.js';
import { digestHex } from '../content/store.js';
import type { StoredImage } from './types.js';

interface RefsFile {
  refs: Record<string, string>;
  lastTagTime: Record<string, string>;
}

export class ImageStore {
  readonly images = new Map<string, StoredImage>();
  /** normalized reference → image ID */
  readonly refs = new Map<string, string>();
  readonly lastTagTime = new Map<string, string>();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<ImageStore> {
    const s = new ImageStore(dir);
    await fs.mkdir(s.recordsDir, { recursive: true });
    await removeTempFiles(s.recordsDir);
    await removeTempFiles(dir);
    for (const name of await fs.readdir(s.recordsDir)) {
      if (!/^[a-f0-9]{64}\.json$/.test(name)) continue;
      const rec = await readJson<StoredImage>(path.join(s.recordsDir, name)).catch(() => undefined);
      // A record that does not parse cannot have been written by us whole; drop it.
      if (!rec || rec.id !== `sha256:${name.slice(0, 64)}`) await fs.rm(path.join(s.recordsDir, name), { force: true });
      else s.images.set(rec.id, rec);
    }
    const refs = await readJson<RefsFile>(s.refsFile).catch(() => undefined);
    for (const [r, id] of Object.entries(refs?.refs ?? {})) s.refs.set(r, id);
    for (const [id, t] of Object.entries(refs?.lastTagTime ?? {})) s.lastTagTime.set(id, t);
    return s;
  }

  private get recordsDir(): string {
    return path.join(this.dir, 'records');
  }
  private get refsFile(): string {
    return path.join(this.dir, 'repositories.json');
  }

  async putImage(img: StoredImage): Promise<void> {
    await writeJsonAtomic(path.join(this.recordsDir, `${digestHex(img.id)}.json`), img);
    this.images.set(img.id, img);
  }

  async deleteImage(id: string): Promise<void> {
    this.images.delete(id);
    this.lastTagTime.delete(id);
    await fs.rm(path.join(this.recordsDir, `${digestHex(id)}.json`), { force: true });
  }

  /** References naming `id`, in insertion order. */
  refsOf(id: string): string[] {
    return [...this.refs].filter(([, v]) => v === id).map(([k]) => k);
  }

  /** Points `ref` at `id` (in memory; call `saveRefs`). Returns the ID it pointed at before. */
  setRef(ref: string, id: string): string | undefined {
    const old = this.refs.get(ref);
    this.refs.set(ref, id);
    this.lastTagTime.set(id, new Date().toISOString());
    return old;
  }

  deleteRef(ref: string): void {
    this.refs.delete(ref);
  }

  /** Persists the reference map atomically. */
  async saveRefs(): Promise<void> {
    const file: RefsFile = { refs: Object.fromEntries(this.refs), lastTagTime: Object.fromEntries(this.lastTagTime) };
    await writeJsonAtomic(this.refsFile, file);
  }
}
