/**
 * The container service: the engine's registry of containers (the dockerd/containerd role for
 * containers). It indexes records by id and name, serializes verbs per container, and
 * announces lifecycle events; the verbs themselves live in one file each.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Host } from '../../host/host.js';
import { invalidArgument, notFound } from '../../lib/errors.js';
import type { OciRuntime } from '../runtime/runtime.js';
import type { ContainerNetworking, ContainerSnapshots, ImageResolver } from './deps.js';
import type { VolumeService } from '../volumes/service.js';
import { RecordStore, type ContainerRecord } from './record.js';
import { StdinHub } from './stdin.js';

export interface ServiceOptions {
  dataRoot: string;
  execRoot: string;
  host: Host;
  runtime: OciRuntime;
  images: ImageResolver;
  snapshots: ContainerSnapshots;
  /** Host path of a static init for `--init` (Debian's tini-static), if installed. */
  initBinary?: string;
  /** Capabilities the daemon may grant (its bounding set). */
  availableCaps?: string[];
  /** Parent cgroup for every container of this daemon. */
  cgroupParent: string;
  /** Bridge networking; without it containers get a namespace with loopback only. */
  network?: ContainerNetworking;
  /** Named and anonymous volumes; without it, containers cannot use volumes. */
  volumes?: VolumeService;
}

/**
 * Lifecycle events: `start`, `exit` (id, exitCode), `stopped` (exited with no start coming),
 * `destroy`, and Docker-shaped `event`s.
 */
export class ContainerService extends EventEmitter {
  readonly store: RecordStore;
  /** Input of `-i` containers, shared by every attached client. */
  readonly stdin = new StdinHub();
  private byId = new Map<string, ContainerRecord>();
  private locks = new Map<string, Promise<unknown>>();
  /** Containers between the stop and the start of a `docker restart` (a count per id). */
  private restarts = new Map<string, number>();

  constructor(readonly opts: ServiceOptions) {
    super();
    this.setMaxListeners(0);
    this.store = new RecordStore(path.join(opts.dataRoot, 'containers'));
  }

  bundleDir(id: string): string {
    return path.join(this.opts.execRoot, 'containers', id);
  }
  rootfsDir(id: string): string {
    return path.join(this.bundleDir(id), 'rootfs');
  }

  async loadRecords(): Promise<ContainerRecord[]> {
    const recs = await this.store.loadAll();
    for (const r of recs) this.byId.set(r.Id, r);
    return recs;
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** Finds a container by full id, name (with or without `/`), or unique id prefix. */
  get(ref: string): ContainerRecord {
    const rec = this.find(ref);
    if (!rec) throw notFound(`No such container: ${ref}`);
    return rec;
  }

  find(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    for (const r of this.byId.values()) if (r.Name === name) return r;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const hits = [...this.byId.values()].filter((r) => r.Id.startsWith(ref));
    if (hits.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    return hits[0];
  }

  nameTaken(name: string): ContainerRecord | undefined {
    const full = name.startsWith('/') ? name : `/${name}`;
    for (const r of this.byId.values()) if (r.Name === full) return r;
    return undefined;
  }

  /** A container that uses image `imageId`, a running one first (for `rmi`'s refusal), if any. */
  usingImage(imageId: string): string | undefined {
    const users = [...this.byId.values()].filter((r) => r.ImageId === imageId);
    return (users.find((r) => r.State.Status === 'running') ?? users[0])?.Id;
  }

  async save(rec: ContainerRecord): Promise<void> {
    this.byId.set(rec.Id, rec);
    await this.store.save(rec);
  }

  async forget(id: string): Promise<void> {
    await this.store.delete(id);
    this.byId.delete(id);
  }

  /** Runs `fn` with the container's lock held, so verbs on one container never interleave. */
  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  /**
   * Marks `id` as about to be started again right after it stops (`docker restart`); call the
   * returned function once the start was made or failed.
   */
  expectStart(id: string): () => void {
    this.restarts.set(id, (this.restarts.get(id) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = this.restarts.get(id)! - 1;
      if (n > 0) this.restarts.set(id, n);
      else this.restarts.delete(id);
      const rec = this.byId.get(id);
      if (rec) this.settle(rec);
    };
  }

  /** True while a `docker restart` of `id` is between its stop and its start. */
  startComing(id: string): boolean {
    return this.restarts.has(id);
  }

  /**
   * Emits `stopped` if `rec` has exited and nothing will start it again by itself (no restart
   * policy restart pending, no `docker restart` under way): where `logs -f` ends.
   */
  settle(rec: ContainerRecord): void {
    if ((rec.State.Status === 'exited' || rec.State.Status === 'dead') && !this.restarts.has(rec.Id)) this.emit('stopped', rec.Id);
  }

  /** Emits a Docker-shaped container event (consumed by `/events` in a later stage). */
  announce(action: string, rec: ContainerRecord, extra: Record<string, string> = {}): void {
    const now = Date.now();
    this.emit('event', {
      Type: 'container',
      Action: action,
      Actor: { ID: rec.Id, Attributes: { image: rec.ImageRef, name: rec.Name.slice(1), ...rec.Config.Labels, ...extra } },
      scope: 'local',
      time: Math.floor(now / 1000),
      timeNano: now * 1e6,
      status: action,
      id: rec.Id,
      from: rec.ImageRef,
    });
  }
}
