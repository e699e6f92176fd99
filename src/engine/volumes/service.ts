/**
 * The volume service (the lecture's "volumes keep data beyond a container's life"): Docker's
 * `local` volume driver. It creates, lists, inspects, removes and prunes volumes, refuses to
 * remove one a container refers to, and mounts a volume's own file system (`type`/`device`/`o`
 * options: a tmpfs, or a host directory with `o=bind`) while at least one running container
 * uses it, unmounting it after the last one stops.
 *
 * Which containers refer to a volume is the container service's knowledge (their records);
 * it is asked through `setUsers`. Creates in progress hold a reference of their own until the
 * container's record is written, so a concurrent `volume rm` cannot slip in between.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { MountHost } from '../../host/mounts.js';
import { conflict, isKind, messageOf, notFound } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { dirUsage } from '../snapshots/diff.js';
import { listFilter, pruneFilter } from './filters.js';
import { ANONYMOUS_LABEL, VolumeStore, validateLocalOptions, validateVolumeName, type VolumeRecord } from './store.js';

/** A volume as the Docker API shows it (`GET /volumes/{name}`). */
export interface VolumeView {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
}

/** `POST /volumes/create`'s body. */
export interface CreateVolumeRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface PruneReport {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** Docker's `CreatedAt`: RFC 3339 in seconds, without the fraction. */
function createdAt(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Go encodes maps with sorted keys; clients comparing output expect the same order. */
function sortedKeys(m: Record<string, string> | null): Record<string, string> | null {
  return m && Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export class VolumeService extends EventEmitter {
  readonly store: VolumeStore;
  private byName = new Map<string, VolumeRecord>();
  /** References from container creates that are not yet recorded. */
  private pending = new Map<string, Set<string>>();
  /** Running (or starting) containers per volume; the volume's own mount lives while this is not empty. */
  private active = new Map<string, Set<string>>();
  private locks = new Map<string, Promise<unknown>>();
  private users: (name: string) => string[] = () => [];

  private constructor(
    root: string,
    private readonly host: MountHost,
  ) {
    super();
    this.setMaxListeners(0);
    this.store = new VolumeStore(root, host);
  }

  /** Opens `<dataRoot>/volumes`, loading every volume. */
  static async open(dataRoot: string, host: MountHost): Promise<VolumeService> {
    const s = new VolumeService(path.join(dataRoot, 'volumes'), host);
    for (const r of await s.store.loadAll()) s.byName.set(r.Name, r);
    return s;
  }

  /** Tells the service which containers (ids, any state) refer to a volume. */
  setUsers(fn: (name: string) => string[]): void {
    this.users = fn;
  }

  /** Containers referring to `name`, recorded or being created. */
  usersOf(name: string): string[] {
    return [...new Set([...this.users(name), ...(this.pending.get(name) ?? [])])];
  }

  private view(r: VolumeRecord): VolumeView {
    return { CreatedAt: r.CreatedAt, Driver: r.Driver, Labels: sortedKeys(r.Labels), Mountpoint: this.store.dataDir(r.Name), Name: r.Name, Options: sortedKeys(r.Options), Scope: 'local' };
  }

  private record(name: string): VolumeRecord {
    const r = this.byName.get(name);
    if (!r) throw notFound(`get ${name}: no such volume`);
    return r;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): VolumeView {
    return this.view(this.record(name));
  }

  /** The host directory containers mount for volume `name`. */
  mountpoint(name: string): string {
    return this.store.dataDir(this.record(name).Name);
  }

  /** Runs `fn` with volume `name`'s lock held, so create, remove and (un)mount never interleave. */
  private async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(name, tail);
    try {
      return await next;
    } finally {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    }
  }

  private announce(action: string, name: string, attrs: Record<string, string> = {}): void {
    const now = Date.now();
    this.emit('event', { Type: 'volume', Action: action, Actor: { ID: name, Attributes: { driver: 'local', ...attrs } }, scope: 'local', time: Math.floor(now / 1000), timeNano: now * 1e6 });
  }

  /**
   * Creates a volume, or returns the existing one of that name unchanged (as Docker does).
   * `ref` registers a container create in progress as a user; `anonymous` adds Docker's label.
   */
  async create(req: CreateVolumeRequest, extra: { anonymous?: boolean; ref?: string } = {}): Promise<VolumeView> {
    const name = req.Name || randomBytes(32).toString('hex');
    const driver = req.Driver || 'local';
    if (driver !== 'local') throw notFound(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    validateVolumeName(name);
    const options = req.DriverOpts ?? null;
    validateLocalOptions(name, options);
    return this.withLock(name, async () => {
      let r = this.byName.get(name);
      if (!r) {
        const labels = extra.anonymous ? { ...(req.Labels ?? {}), [ANONYMOUS_LABEL]: '' } : (req.Labels ?? null);
        r = { Name: name, Driver: driver, Labels: labels, Options: options, CreatedAt: createdAt() };
        await this.store.create(r);
        this.byName.set(name, r);
        this.announce('create', name);
      }
      if (extra.ref) this.addRef(name, extra.ref);
      return this.view(r);
    });
  }

  addRef(name: string, containerId: string): void {
    const s = this.pending.get(name) ?? new Set<string>();
    s.add(containerId);
    this.pending.set(name, s);
  }

  /** Drops a create's reference (its record now refers to the volume, or the create failed). */
  dropRef(name: string, containerId: string): void {
    const s = this.pending.get(name);
    if (s?.delete(containerId) && s.size === 0) this.pending.delete(name);
  }

  /** `GET /volumes`: sorted by name. */
  list(filters: Record<string, string[]>): VolumeView[] {
    const pred = listFilter(filters);
    return [...this.byName.values()].filter((r) => pred(r, this.usersOf(r.Name).length > 0)).sort((a, b) => (a.Name < b.Name ? -1 : 1)).map((r) => this.view(r));
  }

  /** `DELETE /volumes/{name}`: refused while any container refers to it; `force` ignores a missing one. */
  async remove(name: string, force = false): Promise<void> {
    await this.withLock(name, async () => {
      if (!this.byName.has(name)) {
        if (force) return;
        throw notFound(`get ${name}: no such volume`);
      }
      const users = this.usersOf(name);
      if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      await this.store.delete(name);
      this.byName.delete(name);
      this.active.delete(name);
      this.announce('destroy', name);
    });
  }

  /** `POST /volumes/prune`: removes unused local volumes (anonymous ones only from API 1.42 on, unless `all`). */
  async prune(filters: Record<string, string[]>, apiVersion: number): Promise<PruneReport> {
    const pred = pruneFilter(filters, apiVersion, ANONYMOUS_LABEL);
    const deleted: string[] = [];
    let space = 0;
    for (const r of [...this.byName.values()].sort((a, b) => (a.Name < b.Name ? -1 : 1))) {
      if (!pred(r, this.usersOf(r.Name).length > 0)) continue;
      const size = await dirUsage(this.store.dataDir(r.Name));
      try {
        await this.remove(r.Name);
      } catch (err) {
        // A container may have taken it meanwhile; Docker skips such volumes too.
        if (!isKind(err, 'Conflict') && !isKind(err, 'NotFound')) throw err;
        continue;
      }
      deleted.push(r.Name);
      space += size;
    }
    return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
  }

  /**
   * A container starts using volume `name`: its own file system is mounted if it has one and
   * is not mounted yet. Returns the directory to bind into the container.
   */
  async acquire(name: string, containerId: string): Promise<string> {
    return this.withLock(name, async () => {
      const r = this.record(name);
      const data = this.store.dataDir(name);
      const o = r.Options;
      if (o?.type && !(await this.host.isMounted(data))) {
        await this.host.mount(o.type, o.device!, data, o.o ?? '');
      }
      const s = this.active.get(name) ?? new Set<string>();
      s.add(containerId);
      this.active.set(name, s);
      this.announce('mount', name, { container: containerId });
      return data;
    });
  }

  /** A container stopped using volume `name`: after the last one, the volume's own mount goes. */
  async release(name: string, containerId: string): Promise<void> {
    await this.withLock(name, async () => {
      const s = this.active.get(name);
      if (!s?.delete(containerId)) return;
      this.announce('unmount', name, { container: containerId });
      if (s.size > 0) return;
      this.active.delete(name);
      if (this.byName.get(name)?.Options?.type) await this.host.unmount(this.store.dataDir(name));
    });
  }

  /**
   * Copies `src` (an image directory, already resolved inside the container's root) into
   * volume `name` if the volume is empty, as Docker does when a container first uses a fresh
   * volume. The volume must be acquired (its own file system mounted) by the caller.
   */
  async populate(name: string, src: string): Promise<void> {
    await this.withLock(name, async () => {
      const data = this.store.dataDir(name);
      if ((await fs.readdir(data)).length > 0) return;
      await this.host.copyTree(src, data);
    });
  }

  /** Creates a missing bind-mount source on the host (`-v /host/dir:/path`), as Docker does. */
  async ensureHostDir(dir: string): Promise<void> {
    await this.host.makeDirs(dir);
  }

  /**
   * After a daemon start: `running` maps volume names to the containers still running with
   * them (live restore). Those stay mounted; a volume mount no running container needs is
   * released, since the daemon that made it is gone.
   */
  async adopt(running: Map<string, string[]>): Promise<void> {
    for (const r of this.byName.values()) {
      const ids = running.get(r.Name) ?? [];
      if (ids.length) this.active.set(r.Name, new Set(ids));
      else if (r.Options?.type) await this.host.unmount(this.store.dataDir(r.Name)).catch((err) => log.warn('volume unmount failed', { volume: r.Name, error: messageOf(err) }));
    }
  }

  /** At shutdown without live restore: every volume's own mount is released. */
  async unmountAll(): Promise<void> {
    this.active.clear();
    for (const r of this.byName.values()) if (r.Options?.type) await this.host.unmount(this.store.dataDir(r.Name)).catch(() => undefined);
  }
}
