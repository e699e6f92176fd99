/**
 * A recording fake of `Host` for unit tests: it records every call and performs only the
 * harmless part (creating plain marker files for whiteouts), so tests run without root.
 */
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Host } from './host.js';
import type { RunResult } from './process.js';

export interface HostCall {
  op: string;
  args: unknown[];
}

export class RecordingHost implements Host {
  readonly calls: HostCall[] = [];
  readonly mounts = new Set<string>();
  /** Canned answers for `run`, keyed by program name. */
  readonly runResults = new Map<string, RunResult>();

  async run(file: string, args: string[]): Promise<RunResult> {
    this.calls.push({ op: 'run', args: [file, ...args] });
    return this.runResults.get(file) ?? { code: 0, stdout: '', stderr: '' };
  }
  stream(file: string, args: string[]) {
    this.calls.push({ op: 'stream', args: [file, ...args] });
    return { stdout: Readable.from([]), done: Promise.resolve({ code: 0, stderr: '' }), kill: () => undefined };
  }
  async mountOverlay(lower: string[], upper: string, work: string, target: string) {
    this.calls.push({ op: 'mountOverlay', args: [lower, upper, work, target] });
    this.mounts.add(target);
  }
  async unmount(target: string) {
    this.calls.push({ op: 'unmount', args: [target] });
    this.mounts.delete(target);
  }
  async isMounted(target: string) {
    return this.mounts.has(target);
  }
  async makeWhiteout(path: string) {
    this.calls.push({ op: 'makeWhiteout', args: [path] });
    await fs.writeFile(path, '');
  }
  async setOpaque(dir: string) {
    this.calls.push({ op: 'setOpaque', args: [dir] });
  }
  async privateMountDir(dir: string) {
    this.calls.push({ op: 'privateMountDir', args: [dir] });
  }
  async createNetns(file: string) {
    this.calls.push({ op: 'createNetns', args: [file] });
  }
  async removeNetns(file: string) {
    this.calls.push({ op: 'removeNetns', args: [file] });
  }
  kill(pid: number, signal: NodeJS.Signals | number) {
    this.calls.push({ op: 'kill', args: [pid, signal] });
    return true;
  }
  alive() {
    return false;
  }
}
