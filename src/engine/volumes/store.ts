/**
 * Volume records on disk, laid out as Docker's `local` driver lays them out: the data lives in
 * `<data-root>/volumes/<name>/_data`, and Berth keeps the volume's metadata (driver, labels,
 * options, creation time) beside it in `volume.json`.
 *
 * Crash safety, as for container records: a volume exists once its `volume.json` has been
 * written atomically (the commit point of create); remove renames the whole directory out of
 * sight first (the commit point of remove) and deletes it after. At load, directories without
 * a record and renamed-away leftovers are garbage and removed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { MountHost } from '../../host/mounts.js';
import { internal, invalidArgument, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { readJson, writeJsonAtomic } from '../../lib/fsutil.js';

/** The label Docker (≥ 23) puts on volumes created without a name for one container. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** What Berth remembers about one volume. */
export interface VolumeRecord {
  Name: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  CreatedAt: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
// Leftovers of a remove interrupted by a crash; no volume name can start with a dot.
const TRASH_PREFIX = '.removing-';

/** The local driver's name rule, worded as Docker words it (InvalidArgument, 400). */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw invalidArgument(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!NAME_RE.test(name)) {
    throw invalidArgument(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

const VALID_OPTS = ['type', 'device', 'o', 'size'];
const REQUIRED: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

/** The local driver's option rules (`type`, `device`, `o`), with Docker's messages. */
export function validateLocalOptions(name: string, opts: Record<string, string> | null): void {
  if (!opts) return;
  for (const k of Object.keys(opts)) if (!VALID_OPTS.includes(k)) throw invalidArgument(`create ${name}: invalid option: "${k}"`);
  // Docker accepts `size` only on file systems with project quotas (xfs); Berth has none.
  if ('size' in opts) throw invalidArgument(`create ${name}: quota size requested but no quota support`);
  for (const [k, needs] of Object.entries(REQUIRED)) {
    if (!(k in opts)) continue;
    for (const n of needs) if (!(n in opts)) throw invalidArgument(`create ${name}: missing required option: "${n}"`);
  }
}

export class VolumeStore {
  constructor(
    readonly root: string,
    private readonly host: MountHost,
  ) {}

  dir(name: string): string {
    return path.join(this.root, name);
  }
  /** The volume's data directory: what containers mount (Docker's `Mountpoint`). */
  dataDir(name: string): string {
    return path.join(this.root, name, '_data');
  }
  private recordFile(name: string): string {
    return path.join(this.root, name, 'volume.json');
  }

  /** Loads every committed volume and clears what interrupted creates and removes left. */
  async loadAll(): Promise<VolumeRecord[]> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o701 });
    const out: VolumeRecord[] = [];
    for (const name of await fs.readdir(this.root)) {
      const rec = NAME_RE.test(name) ? await readJson<VolumeRecord>(this.recordFile(name)).catch(() => undefined) : undefined;
      if (rec) out.push(rec);
      else await this.erase(path.join(this.root, name));
    }
    return out;
  }

  /** Creates the data directory, then commits the record. */
  async create(rec: VolumeRecord): Promise<void> {
    await fs.mkdir(this.dataDir(rec.Name), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(this.recordFile(rec.Name), rec);
  }

  /** Renames the volume out of sight (the commit point), then deletes its files. */
  async delete(name: string): Promise<void> {
    const trash = path.join(this.root, `${TRASH_PREFIX}${randomBytes(6).toString('hex')}`);
    const data = this.dataDir(name);
    await this.host.unmount(data);
    if (await this.host.isMounted(data)) throw internal(`remove ${name}: ${data} is still mounted`);
    await fs.rename(this.dir(name), trash);
    // The volume is gone from here on; leftovers are retried at the next start.
    await this.erase(trash).catch((err) => log.warn('volume files not removed', { dir: trash, error: messageOf(err) }));
  }

  /**
   * Deletes a volume directory. Its `_data` may be a mount (a tmpfs, or a host directory bound
   * with `o=bind`): it is unmounted first, and nothing is deleted if it is still mounted, so a
   * volume's removal can never delete the host directory it was bound to.
   */
  private async erase(dir: string): Promise<void> {
    const data = path.join(dir, '_data');
    await this.host.unmount(data);
    if (await this.host.isMounted(data)) throw internal(`unable to remove volume directory ${dir}: ${data} is still mounted`);
    await fs.rm(dir, { recursive: true, force: true });
  }
}
