/**
 * Where blobs are known to live in registries (dockerd's V2 metadata service; lecture concept:
 * a layer shared by two images is stored once — in a registry too). A push asks the registry
 * to mount a blob from another repository of the same registry instead of uploading it again,
 * which only works if we know a repository that has it: every pulled or pushed blob is
 * remembered here as `host/path`, in `<data-root>/distribution/sources.json`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readJson, removeTempFiles, writeJsonAtomic } from '../../lib/fsutil.js';
import { log } from '../../lib/log.js';
import { messageOf } from '../../lib/errors.js';

/** Repositories remembered per blob; older ones are forgotten first. */
const MAX_PER_BLOB = 8;

export class BlobSources {
  private readonly map = new Map<string, string[]>();
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(private readonly file: string) {}

  static async open(dataRoot: string): Promise<BlobSources> {
    const dir = path.join(dataRoot, 'distribution');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await removeTempFiles(dir);
    const s = new BlobSources(path.join(dir, 'sources.json'));
    const raw = await readJson<Record<string, string[]>>(s.file).catch(() => undefined);
    for (const [d, repos] of Object.entries(raw ?? {})) if (Array.isArray(repos)) s.map.set(d, repos.filter((r) => typeof r === 'string'));
    return s;
  }

  /** Records that `repo` (`host/path`) has blob `digest`, and saves soon. */
  add(digest: string, repo: string): void {
    const list = (this.map.get(digest) ?? []).filter((r) => r !== repo);
    list.unshift(repo);
    this.map.set(digest, list.slice(0, MAX_PER_BLOB));
    this.scheduleSave();
  }

  /** Forgets blobs no longer in the content store (keeps the file small). */
  retain(present: (digest: string) => boolean): void {
    for (const d of [...this.map.keys()]) if (!present(d)) this.map.delete(d);
    this.scheduleSave();
  }

  /** Other repositories of registry `host` known to have `digest` (paths only). */
  candidates(digest: string, host: string, exceptPath: string): string[] {
    const prefix = `${host}/`;
    return (this.map.get(digest) ?? []).filter((r) => r.startsWith(prefix) && r.slice(prefix.length) !== exceptPath).map((r) => r.slice(prefix.length));
  }

  /** Resolves when everything recorded so far is on disk. */
  flush(): Promise<void> {
    return this.saving;
  }

  private scheduleSave(): void {
    if (this.dirty) return;
    this.dirty = true;
    // One write per burst of additions (a pull records every layer at once).
    this.saving = this.saving.then(async () => {
      this.dirty = false;
      try {
        await writeJsonAtomic(this.file, Object.fromEntries(this.map));
      } catch (err) {
        // Only a hint for cross-repository mounts is lost: pushes upload instead.
        log.warn('saving blob sources failed', { error: messageOf(err) });
      }
    });
  }
}
