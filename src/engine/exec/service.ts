/**
 * `exec`: another process in a running container (the lecture's `docker exec -it web /bin/sh`).
 *
 * An exec is created (its configuration only), then started once. The process is started by
 * `runc exec` under its own conmon, so it joins every namespace and the cgroup of the
 * container and dies with it; leaving it never stops the container. Exec records live in
 * memory, as in Docker, and are dropped when their container is removed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { conflict, failedPrecondition, invalidArgument, notFound } from '../../lib/errors.js';
import type { ContainerRecord } from '../containers/record.js';
import type { ContainerService } from '../containers/service.js';
import type { ExecHandle } from '../runtime/runtime.js';
import { buildExecProcess } from './process.js';

/** The body of `POST /containers/{id}/exec`. */
export interface ExecRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[] | null;
  Cmd?: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecRequest;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  dir: string;
  /** Settles once the exit code is recorded. */
  done?: Promise<void>;
}

/** Maps runc's exec failure to Docker's exit code: 127 not found, 126 cannot run. */
export function execFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 126;
}

export class ExecService {
  private execs = new Map<string, ExecRecord>();

  constructor(private readonly svc: ContainerService) {
    // An exec belongs to its container: forget it when the container goes.
    svc.on('destroy', (id: string) => {
      for (const e of this.execs.values()) if (e.containerId === id) this.execs.delete(e.id);
    });
  }

  private dirOf(id: string): string {
    return path.join(this.svc.opts.execRoot, 'execs', id);
  }

  private runnable(rec: ContainerRecord): void {
    if (rec.State.Status === 'paused') throw conflict(`Container ${rec.Id} is paused, unpause the container before exec`);
    if (rec.State.Status !== 'running') throw conflict(`Container ${rec.Id} is not running`);
  }

  create(containerRef: string, req: ExecRequest): ExecRecord {
    const rec = this.svc.get(containerRef);
    if (!Array.isArray(req.Cmd) || req.Cmd.length === 0) throw invalidArgument('No exec command specified');
    if (req.WorkingDir && !req.WorkingDir.startsWith('/')) throw invalidArgument(`the working directory '${req.WorkingDir}' is invalid, it needs to be an absolute path`);
    this.runnable(rec);
    const id = randomBytes(32).toString('hex');
    const e: ExecRecord = { id, containerId: rec.Id, config: req, running: false, started: false, exitCode: null, pid: 0, dir: this.dirOf(id) };
    this.execs.set(id, e);
    this.svc.announce(`exec_create: ${req.Cmd.join(" ")}`, rec, { execID: id });
    return e;
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  /**
   * Starts the process. With `attach`, conmon holds it until the caller connected to the
   * attach socket (`handle.attachReady`, then `handle.go()`).
   */
  async start(e: ExecRecord, attach: boolean, consoleSize?: [number, number] | null): Promise<ExecHandle> {
    if (e.running) throw conflict(`Error: Exec command ${e.id} is already running`);
    if (e.started) throw conflict(`Error: Exec command ${e.id} has already run`);
    const rec = this.svc.get(e.containerId);
    this.runnable(rec);
    e.started = true;
    const size = consoleSize ?? e.config.ConsoleSize ?? undefined;
    const process = await buildExecProcess(this.svc, rec, e.config, size ?? undefined);
    const handle = this.svc.opts.runtime.exec({
      containerId: rec.Id, execId: e.id, dir: e.dir, process, tty: !!e.config.Tty, stdin: !!e.config.AttachStdin, attach,
    });
    e.running = true;
    this.svc.announce(`exec_start: ${[...(e.config.Cmd ?? [])].join(' ')}`, rec, { execID: e.id });
    handle.started.then(
      (pid) => (e.pid = pid),
      () => undefined,
    );
    e.done = handle.exited.then(async (code) => {
      const failed = await handle.started.then(() => undefined, (err: Error) => err.message);
      e.exitCode = failed === undefined ? code : execFailureCode(failed);
      e.running = false;
      this.svc.announce('exec_die', rec, { execID: e.id, exitCode: String(e.exitCode) });
      void fs.rm(e.dir, { recursive: true, force: true }).catch(() => undefined);
    });
    return handle;
  }

  async resize(e: ExecRecord, h: number, w: number): Promise<void> {
    if (!e.running) throw conflict(`Exec ${e.id} is not running`);
    await this.svc.opts.runtime.resize(e.dir, h, w).catch((err: Error) => {
      throw failedPrecondition(`resize exec: ${err.message}`);
    });
  }

  /** Docker's `GET /exec/{id}/json`. */
  inspect(e: ExecRecord): Record<string, unknown> {
    const [entrypoint, ...args] = e.config.Cmd ?? [];
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: !!e.config.Tty, entrypoint, arguments: args, privileged: !!e.config.Privileged, ...(e.config.User ? { user: e.config.User } : {}) },
      OpenStdin: !!e.config.AttachStdin,
      OpenStderr: !!e.config.AttachStderr,
      OpenStdout: !!e.config.AttachStdout,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys ?? '',
      Pid: e.pid,
    };
  }
}
