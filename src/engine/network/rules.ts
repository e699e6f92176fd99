/**
 * The host's packet-filter rules for this daemon's bridge networks, set once per network (as
 * Docker does) rather than once per container, so starting a container costs no iptables call:
 * - forwarding: traffic from and to each bridge is accepted (also when the FORWARD policy is
 *   DROP, as it is once Docker's own daemon has run on the machine);
 * - isolation: containers on different networks cannot talk, and an `--internal` network talks
 *   to nothing outside its bridge (stage 1 catches traffic leaving a bridge, stage 2 drops it
 *   when it enters another of our bridges);
 * - outbound NAT: traffic leaving a non-internal network for elsewhere is masqueraded.
 * Every chain carries the daemon's tag, so daemons side by side never touch each other's rules.
 */
import { ensureChain, ensureRule, iptables } from '../../host/net.js';
import type { NetworkRecord } from './record.js';

export class NetworkRules {
  private readonly fwd: string;
  private readonly stage1: string;
  private readonly stage2: string;
  private readonly nat: string;

  constructor(tag: string) {
    this.fwd = `BERTH-FWD-${tag}`;
    this.stage1 = `BERTH-ISO1-${tag}`;
    this.stage2 = `BERTH-ISO2-${tag}`;
    this.nat = `BERTH-NAT-${tag}`;
  }

  private async chains(): Promise<void> {
    for (const c of [this.fwd, this.stage1, this.stage2]) await ensureChain('filter', c);
    await ensureChain('nat', this.nat);
    await ensureRule('filter', 'FORWARD', ['-j', this.fwd], true);
    await ensureRule('filter', this.fwd, ['-j', this.stage1], true);
    await ensureRule('nat', 'POSTROUTING', ['-j', this.nat]);
  }

  private rules(net: NetworkRecord): Array<[string, string, string[]]> {
    const br = net.BridgeName!;
    const subnet = net.IPAM.Config[0]!.Subnet;
    return [
      ...(net.Internal
        ? ([
            ['filter', this.stage1, ['-i', br, '!', '-o', br, '-j', 'DROP']],
            ['filter', this.stage1, ['-o', br, '!', '-i', br, '-j', 'DROP']],
          ] as Array<[string, string, string[]]>)
        : []),
      ['filter', this.stage1, ['-i', br, '!', '-o', br, '-j', this.stage2]],
      ['filter', this.stage2, ['-o', br, '-j', 'DROP']],
      ['filter', this.fwd, ['-i', br, '-j', 'ACCEPT']],
      ['filter', this.fwd, ['-o', br, '-j', 'ACCEPT']],
      ...(net.Internal ? [] : ([['nat', this.nat, ['-s', subnet, '!', '-o', br, '-j', 'MASQUERADE']]] as Array<[string, string, string[]]>)),
    ];
  }

  /** Adds the rules of one bridge network (idempotent). */
  async add(net: NetworkRecord): Promise<void> {
    await this.chains();
    for (const [table, chain, rule] of this.rules(net)) await ensureRule(table, chain, rule);
  }

  /** Removes the rules of one network. */
  async remove(net: NetworkRecord): Promise<void> {
    for (const [table, chain, rule] of this.rules(net)) await iptables(['-t', table, '-D', chain, ...rule]);
  }

  /** Removes every chain of this daemon and the jumps to them, and checks they are gone. */
  async removeAll(): Promise<void> {
    const chains = [['filter', this.fwd], ['filter', this.stage1], ['filter', this.stage2], ['nat', this.nat]] as const;
    for (let attempt = 0; attempt < 3; attempt++) {
      while ((await iptables(['-t', 'filter', '-D', 'FORWARD', '-j', this.fwd])).code === 0);
      while ((await iptables(['-t', 'nat', '-D', 'POSTROUTING', '-j', this.nat])).code === 0);
      for (const [table, c] of chains) {
        await iptables(['-t', table, '-F', c]);
        await iptables(['-t', table, '-X', c]);
      }
      let left = false;
      for (const [table, c] of chains) if ((await iptables(['-t', table, '-S', c])).code === 0) left = true;
      if (!left) return;
    }
  }
}
