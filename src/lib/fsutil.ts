/**
 * Crash-safe file writes for Berth's own data root.
 *
 * Metadata is written to a temporary file in the same directory, fsynced, then renamed over
 * the target, so after a `kill -9` at any moment a reader sees either the old or the new
 * record, never a torn one. Leftover `*.tmp-*` files are garbage and removed at start-up.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const TMP_MARK = '.tmp-';

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${file}${TMP_MARK}${randomBytes(4).toString('hex')}`;
  const fh = await fs.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 1));
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Removes leftovers of interrupted atomic writes in `dir` (not recursive). */
export async function removeTempFiles(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.includes(TMP_MARK)).map((n) => fs.rm(path.join(dir, n), { recursive: true, force: true })));
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
