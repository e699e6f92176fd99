/**
 * A recording fake of `MountHost` for unit tests: mounts are remembered, not made; directories
 * and copies are real but confined to the test's temp dir, so tests need no root.
 */
import fs from 'node:fs/promises';
import type { HostCall } from './fake.js';
import type { MountHost } from './mounts.js';

export class RecordingMountHost implements MountHost {
  readonly calls: HostCall[] = [];
  readonly mounts = new Set<string>();

  async mount(type: string, device: string, target: string, options: string) {
    this.calls.push({ op: 'mount', args: [type, device, target, options] });
    this.mounts.add(target);
  }
  async unmount(target: string) {
    this.calls.push({ op: 'unmount', args: [target] });
    this.mounts.delete(target);
  }
  async isMounted(target: string) {
    return this.mounts.has(target);
  }
  async makeDirs(dir: string) {
    this.calls.push({ op: 'makeDirs', args: [dir] });
    await fs.mkdir(dir, { recursive: true });
  }
  async copyTree(src: string, dst: string) {
    this.calls.push({ op: 'copyTree', args: [src, dst] });
    await fs.cp(src, dst, { recursive: true, verbatimSymlinks: true });
  }
}
