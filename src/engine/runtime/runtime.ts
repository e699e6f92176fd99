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
  /** File that holds the exit code once the container's process has exited. */
  exitFile(id: string): string;
  /** Directory where exit files appear. */
  readonly exitDir: string;
}
