/**
 * `OciRuntime`: the seam between the engine and the OCI runtime (runc by default; any runtime
 * with runc's command line, e.g. crun or youki, by binary name).
 */
export interface CreateOptions {
  id: string;
  bundle: string;
  logPath: string;
  tty: boolean;
  stdin: boolean;
  /** Keep the process's stdin open when the last attached client leaves. */
  leaveStdinOpen?: boolean;
}

export interface ExecOptions {
  containerId: string;
  execId: string;
  /** A private directory for this exec: its process spec, attach socket and exit file. */
  dir: string;
  /** The OCI process (args, env, user, cwd, terminal, capabilities) as JSON. */
  process: object;
  tty: boolean;
  stdin: boolean;
  /** Hold the process until `go()` so an attached client sees all of its output. */
  attach: boolean;
}

export interface ExecHandle {
  /** Resolves with the pid, or rejects with the runtime's reason the process could not start. */
  readonly started: Promise<number>;
  readonly exited: Promise<number>;
  readonly attachReady: Promise<void>;
  go(): void;
}

export interface OciRuntime {
  /**
   * Creates the container under a monitor; resolves with the init pid and the monitor's pid
   * once `runc create` finished.
   */
  create(opts: CreateOptions): Promise<{ pid: number; monitorPid: number }>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string, all?: boolean): Promise<void>;
  delete(id: string, force?: boolean): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** The runtime's view of the container, or undefined when it does not know it. */
  state(id: string): Promise<{ status: string; pid: number } | undefined>;
  /** Host pids of every process in the container. */
  pids(id: string): Promise<number[]>;
  /** Runs another process in the running container, under its own monitor. */
  exec(opts: ExecOptions): ExecHandle;
  /** Sets the terminal size of the process monitored in `bundle` (a container or an exec dir). */
  resize(bundle: string, height: number, width: number): Promise<void>;
  /** File that holds the exit code once the container's process has exited. */
  exitFile(id: string): string;
  /** Directory where exit files appear. */
  readonly exitDir: string;
}
