/**
 * Air-gapped image installs: every `*.tar` in `<data-root>/images-import/` (docker-archive or
 * OCI layout) is loaded at daemon start. A tarball whose images are all present already is
 * skipped cheaply by remembering its size and mtime.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { messageOf } from '../../lib/errors.js';
import { readJson, writeJsonAtomic } from '../../lib/fsutil.js';
import { log } from '../../lib/log.js';
import type { ImageService } from '../images/service.js';

export async function importDroppedImages(images: ImageService, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const seenFile = path.join(dir, '.loaded.json');
  const seen = (await readJson<Record<string, string>>(seenFile)) ?? {};
  let changed = false;
  for (const name of (await fs.readdir(dir)).filter((n) => n.endsWith('.tar')).sort()) {
    const file = path.join(dir, name);
    const st = await fs.stat(file);
    const stamp = `${st.size}:${st.mtimeMs}`;
    if (seen[name] === stamp) continue;
    try {
      const loaded = await images.load(createReadStream(file));
      log.info('imported image tarball', { file: name, images: loaded });
      seen[name] = stamp;
      changed = true;
    } catch (err) {
      log.error('could not import image tarball', { file: name, error: messageOf(err) });
    }
  }
  if (changed) await writeJsonAtomic(seenFile, seen);
}
