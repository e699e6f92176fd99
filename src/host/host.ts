/**
 * The `Host` interface: every effect Berth has on the machine outside its own data files.
 *
 * The real implementation (`realHost`) spawns programs and mounts file systems; unit tests use
 * `RecordingHost` from `fake.ts`, which records calls and needs no root. Integration tests always
 * run against the real host.
 */
import type { RunOptions, RunResult } from './process.js';

export interface Host {
  /** Runs a host program to completion. */
  run(file: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs a host program whose output is streamed (large outputs such as an export tar). */
  stream(file: string, args: string[]): { stdout: NodeJS.ReadableStream; done: Promise<{ code: number; stderr: string }>; kill: () => void };
  /** Mounts an overlay at `target`; `lower` is ordered top-most layer first. */
  mountOverlay(lower: string[], upper: string, work: string, target: string): Promise<void>;
  /** Unmounts `target` (lazily if busy); succeeds when nothing is mounted there. */
  unmount(target: string): Promise<void>;
  /** True when `target` is a mount point. */
  isMounted(target: string): Promise<boolean>;
  /** Creates an overlay whiteout (a 0/0 character device) at `path`. */
  makeWhiteout(path: string): Promise<void>;
  /** Marks `dir` opaque for overlayfs (trusted.overlay.opaque=y). */
  setOpaque(dir: string): Promise<void>;
  /** Sends `signal` to `pid`; false when the process does not exist. */
  kill(pid: number, signal: NodeJS.Signals | number): boolean;
  /** True while `pid` exists. */
  alive(pid: number): boolean;
  /** Makes `dir` a private bind mount of itself, so namespace files can be bound inside it. */
  privateMountDir(dir: string): Promise<void>;
  /** Creates a network namespace kept alive by a bind mount at `file`, with loopback up. */
  createNetns(file: string): Promise<void>;
  /** Releases the namespace bound at `file` and removes the file. */
  removeNetns(file: string): Promise<void>;
}

