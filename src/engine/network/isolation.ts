/**
 * Keeping networks apart, as Docker does: containers on different networks cannot talk, and
 * an `--internal` network talks to nothing outside its bridge.
 *
 * The rules live in two chains of this daemon's own (tagged with its engine id, so daemons
 * side by side never touch each other's rules), reached from CNI-ADMIN — the chain the CNI
 * firewall plugin evaluates before it accepts a container's traffic. Stage 1 catches traffic
 * leaving a bridge for elsewhere; stage 2 drops it when "elsewhere" is another of our bridges.
 */
import { ensureChain, ensureRule, iptables } from '../../host/net.js';
import type { NetworkRecord } from './record.js';

export class Isolation {
  private readonly stage1: string;
  private readonly stage2: string;

  constructor(tag: string) {
    this.stage1 = `BERTH-ISO1-${tag}`;
    this.stage2 = `BERTH-ISO2-${tag}`;
  }

  private async chains(): Promise<void> {
    for (const c of ['CNI-ADMIN', this.stage1, this.stage2]) await ensureChain('filter', c);
    await ensureRule('filter', 'CNI-ADMIN', ['-j', this.stage1], true);
  }

  /** Adds the rules of one bridge network (idempotent). */
  async add(net: NetworkRecord): Promise<void> {
    const br = net.BridgeName!;
    await this.chains();
    if (net.Internal) {
      await ensureRule('filter', this.stage1, ['-i', br, '!', '-o', br, '-j', 'DROP']);
      await ensureRule('filter', this.stage1, ['-o', br, '!', '-i', br, '-j', 'DROP']);
    }
    await ensureRule('filter', this.stage1, ['-i', br, '!', '-o', br, '-j', this.stage2]);
    await ensureRule('filter', this.stage2, ['-o', br, '-j', 'DROP']);
  }

  /** Removes the rules of one network. */
  async remove(net: NetworkRecord): Promise<void> {
    const br = net.BridgeName!;
    const del = (chain: string, rule: string[]) => iptables(['-t', 'filter', '-D', chain, ...rule]);
    await del(this.stage1, ['-i', br, '!', '-o', br, '-j', 'DROP']);
    await del(this.stage1, ['-o', br, '!', '-i', br, '-j', 'DROP']);
    await del(this.stage1, ['-i', br, '!', '-o', br, '-j', this.stage2]);
    await del(this.stage2, ['-o', br, '-j', 'DROP']);
  }

  /** Removes both chains and the jump to them. */
  async removeAll(): Promise<void> {
    await iptables(['-t', 'filter', '-D', 'CNI-ADMIN', '-j', this.stage1]);
    for (const c of [this.stage1, this.stage2]) {
      await iptables(['-t', 'filter', '-F', c]);
      await iptables(['-t', 'filter', '-X', c]);
    }
  }
}
