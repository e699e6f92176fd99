/**
 * The OCI runtime driver: conmon supervises each container (stdio, k8s-file log, exit code),
 * runc does the isolation. Each daemon keeps its own runc state root, exit and socket
 * directories under its exec root, so several daemons run side by side.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { spawnConmon, spawnConmonExec } from '../../host/conmon.js';
import type { Host } from '../../host/host.js';
import { failedPrecondition, internal, notFound } from '../../lib/errors.js';
import type { CreateOptions, ExecHandle, ExecOptions, OciRuntime } from './runtime.js';

export class ConmonRuntime implements OciRuntime {
  readonly exitDir: string;
  private readonly stateRoot: string;
  private readonly socketDir: string;

  constructor(
    private readonly host: Host,
    execRoot: string,
    private readonly runtimeBinary = 'runc',
    private readonly conmonBinary = 'conmon',
  ) {
    this.exitDir = path.join(execRoot, 'exits');
    this.stateRoot = path.join(execRoot, 'runtime');
    this.socketDir = path.join(execRoot, 'sockets');
  }

  async init(): Promise<void> {
    for (const d of [this.exitDir, this.stateRoot, this.socketDir]) await fs.mkdir(d, { recursive: true });
  }

  exitFile(id: string): string {
    return path.join(this.exitDir, id);
  }

  private runc(args: string[]) {
    return this.host.run(this.runtimeBinary, ['--root', this.stateRoot, ...args]);
  }

  async create(o: CreateOptions): Promise<{ pid: number; monitorPid: number }> {
    await fs.rm(this.exitFile(o.id), { force: true });
    const args = [
      '--api-version', '1', '-c', o.id, '-u', o.id, '-n', o.id,
      '-r', await this.resolveBinary(this.runtimeBinary),
      '-b', o.bundle, '-p', path.join(o.bundle, 'pidfile'), '-P', path.join(o.bundle, 'conmon.pid'),
      '--exit-dir', this.exitDir, '--socket-dir-path', this.socketDir,
      '-l', `k8s-file:${o.logPath}`, '--log-level', 'error',
      '--runtime-arg', '--root', '--runtime-arg', this.stateRoot,
      // The attach socket goes in the bundle (`<bundle>/attach`), not a symlinked socket dir.
      '--full-attach',
      ...(o.tty ? ['-t'] : []), ...(o.stdin ? ['-i'] : []), ...(o.stdin && o.leaveStdinOpen ? ['--leave-stdin-open'] : []),
    ];
    const r = await spawnConmon(this.conmonBinary, args);
    if ('error' in r) throw failedPrecondition(r.error);
    const monitorPid = Number(await fs.readFile(path.join(o.bundle, 'conmon.pid'), 'utf8').catch(() => '0'));
    return { pid: r.pid, monitorPid };
  }

  exec(o: ExecOptions): ExecHandle {
    const specFile = path.join(o.dir, 'process.json');
    const ready = (async () => {
      await fs.mkdir(o.dir, { recursive: true });
      await fs.writeFile(specFile, JSON.stringify(o.process));
      return this.resolveBinary(this.runtimeBinary);
    })();
    const handle = ready.then((runtimePath) =>
      spawnConmonExec(
        this.conmonBinary,
        [
          '--api-version', '1', '-c', o.containerId, '-u', o.execId, '-n', o.execId, '-r', runtimePath,
          '-b', o.dir, '-p', path.join(o.dir, 'pid'), '--exit-dir', o.dir, '--socket-dir-path', o.dir, '--full-attach',
          '-l', 'none', '--log-level', 'error', '--runtime-arg', '--root', '--runtime-arg', this.stateRoot,
          '-e', '--exec-process-spec', specFile, ...(o.tty ? ['-t'] : []), ...(o.stdin ? ['-i'] : []),
        ],
        o.attach,
      ),
    );
    const started = handle.then((h) => h.started).then((r) => {
      if ('error' in r) throw failedPrecondition(r.error);
      return r.pid;
    });
    started.catch(() => undefined);
    const attachReady = handle.then((h) => h.attachReady);
    attachReady.catch(() => undefined);
    return { started, exited: handle.then((h) => h.exited), attachReady, go: () => void handle.then((h) => h.go()) };
  }

  /** conmon's control fifo takes `<type> <height> <width>` lines; type 1 is a window resize. */
  async resize(bundle: string, height: number, width: number): Promise<void> {
    const fh = await fs.open(path.join(bundle, 'ctl'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK).catch(() => undefined);
    if (!fh) return; // no terminal monitor listening (not running, or no TTY)
    try {
      await fh.write(`1 ${height} ${width}\n`);
    } finally {
      await fh.close();
    }
  }

  private binaryCache = new Map<string, string>();
  private async resolveBinary(name: string): Promise<string> {
    if (name.includes('/')) return name;
    const hit = this.binaryCache.get(name);
    if (hit) return hit;
    for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
      const p = path.join(dir, name);
      if (await fs.access(p, fs.constants.X_OK).then(() => true, () => false)) {
        this.binaryCache.set(name, p);
        return p;
      }
    }
    throw internal(`OCI runtime "${name}" not found in PATH`);
  }

  private async must(args: string[], what: string): Promise<void> {
    const r = await this.runc(args);
    if (r.code !== 0) {
      const msg = r.stderr.trim();
      if (/does not exist|not exist/.test(msg)) throw notFound(`${what}: container does not exist`);
      throw failedPrecondition(`${what}: ${msg}`);
    }
  }

  start(id: string) {
    return this.must(['start', id], 'start');
  }
  kill(id: string, signal: string, all = false) {
    return this.must(['kill', ...(all ? ['--all'] : []), id, signal], 'kill');
  }
  async delete(id: string, force = false) {
    const r = await this.runc(['delete', ...(force ? ['--force'] : []), id]);
    if (r.code !== 0 && !/does not exist/.test(r.stderr)) throw failedPrecondition(`delete: ${r.stderr.trim()}`);
  }
  pause(id: string) {
    return this.must(['pause', id], 'pause');
  }
  resume(id: string) {
    return this.must(['resume', id], 'resume');
  }
  async state(id: string) {
    const r = await this.runc(['state', id]);
    if (r.code !== 0) return undefined;
    const s = JSON.parse(r.stdout) as { status: string; pid: number };
    return { status: s.status, pid: s.pid };
  }
  async pids(id: string) {
    const r = await this.runc(['ps', '--format', 'json', id]);
    if (r.code !== 0) throw failedPrecondition(`ps: ${r.stderr.trim()}`);
    return (JSON.parse(r.stdout || '[]') as number[] | null) ?? [];
  }
}
