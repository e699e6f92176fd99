/**
 * Host networking effects outside CNI: bridge interfaces made ahead of the first container
 * (so the embedded DNS server can listen on the gateway address), the host's routes (to pick
 * subnets nobody uses), and iptables rules tagged with a comment so they can be found again.
 */
import { internal } from '../lib/errors.js';
import { runProgram } from './process.js';

async function must(file: string, args: string[], what: string): Promise<string> {
  const r = await runProgram(file, args);
  if (r.code !== 0) throw internal(`${what}: ${r.stderr.trim() || `${file} exited ${r.code}`}`);
  return r.stdout;
}

export async function linkExists(name: string): Promise<boolean> {
  return (await runProgram('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** Creates (or completes) a bridge with the gateway address `addr` (CIDR form) and brings it up. */
export async function ensureBridge(name: string, addr: string): Promise<void> {
  if (!(await linkExists(name))) {
    const r = await runProgram('ip', ['link', 'add', name, 'type', 'bridge']);
    if (r.code !== 0 && !(await linkExists(name))) throw internal(`create bridge ${name}: ${r.stderr.trim()}`);
  }
  const have = await must('ip', ['-j', 'addr', 'show', 'dev', name], `read ${name}`);
  const addrs = (JSON.parse(have) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>)[0]?.addr_info ?? [];
  if (!addrs.some((a) => `${a.local}/${a.prefixlen}` === addr)) await must('ip', ['addr', 'add', addr, 'dev', name], `address ${name}`);
  await must('ip', ['link', 'set', name, 'up'], `bring up ${name}`);
}

export async function deleteLink(name: string): Promise<void> {
  if (await linkExists(name)) await runProgram('ip', ['link', 'del', name]);
}

/** Destinations of the host's IPv4 routes (CIDR), for choosing subnets that do not collide. */
export async function routedSubnets(): Promise<string[]> {
  const out = await must('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], 'list routes');
  return (JSON.parse(out) as Array<{ dst: string }>)
    .map((r) => r.dst)
    .filter((d) => d && d !== 'default' && !d.startsWith('127.') && !d.includes(':') && /^\d/.test(d))
    .map((d) => (d.includes('/') ? d : `${d}/32`));
}

/** The host's IPv4 addresses. */
export async function hostAddresses(): Promise<string[]> {
  const out = await must('ip', ['-j', '-4', 'addr', 'show'], 'list addresses');
  return (JSON.parse(out) as Array<{ addr_info?: Array<{ local: string }> }>).flatMap((i) => (i.addr_info ?? []).map((a) => a.local));
}

/**
 * Runs iptables. Calls from every Berth daemon on the host are serialized through one lock
 * file: iptables-nft writers working from stale copies of a table can bring back chains
 * another writer just deleted. A change that still loses a race (exit status 4) is retried.
 */
export async function iptables(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const call = () => runProgram('flock', ['-w', '60', IPTABLES_LOCK, 'iptables', '-w', '30', ...args]);
  let r = await call();
  for (let i = 0; i < 5 && r.code === 4; i++) {
    await new Promise((res) => setTimeout(res, 50 * (i + 1)));
    r = await call();
  }
  return r;
}

/** The lock every Berth daemon takes around iptables changes (also around CNI plugins that make them). */
export const IPTABLES_LOCK = '/run/berth-iptables.lock';

/** Adds `rule` (without -A/-I) to `chain` of `table` unless present; `first` inserts at the top. */
export async function ensureRule(table: string, chain: string, rule: string[], first = false): Promise<void> {
  if ((await iptables(['-t', table, '-C', chain, ...rule])).code === 0) return;
  const r = await iptables(['-t', table, first ? '-I' : '-A', chain, ...(first ? ['1'] : []), ...rule]);
  if (r.code !== 0) throw internal(`iptables ${table}/${chain}: ${r.stderr.trim()}`);
}

/** Ensures a chain exists in `table`. */
export async function ensureChain(table: string, chain: string): Promise<void> {
  if ((await iptables(['-t', table, '-S', chain])).code === 0) return;
  const r = await iptables(['-t', table, '-N', chain]);
  if (r.code !== 0 && (await iptables(['-t', table, '-S', chain])).code !== 0) throw internal(`iptables -N ${chain}: ${r.stderr.trim()}`);
}

/** Deletes every rule of `table` whose comment is `tag` (in any chain). */
export async function deleteTaggedRules(table: string, tag: string): Promise<void> {
  const r = await iptables(['-t', table, '-S']);
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('-A ') || !line.includes(`--comment ${tag}`) && !line.includes(`--comment "${tag}"`)) continue;
    const args = line.slice(3).match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''));
    await iptables(['-t', table, '-D', ...args]);
  }
}

/** Writes a sysctl under /proc/sys (e.g. `net/ipv4/ip_forward`). */
export async function setSysctl(key: string, value: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(`/proc/sys/${key}`, value);
}

/**
 * Asks the kernel whether `port` can be bound on `ip` (0 picks a free port); returns the port,
 * or undefined when it is taken. Nothing stays bound.
 */
export async function probePort(ip: string, port: number, proto: 'tcp' | 'udp'): Promise<number | undefined> {
  const { createServer } = await import('node:net');
  const { createSocket } = await import('node:dgram');
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => resolve(undefined));
      s.bind(port, ip, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
      return;
    }
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host: ip, exclusive: true }, () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

/** Rules of `chain` (as `-A` lines); undefined when the chain does not exist. */
async function chainRules(table: string, chain: string): Promise<string[] | undefined> {
  const r = await iptables(['-t', table, '-S', chain]);
  if (r.code !== 0) return undefined;
  return r.stdout.split('\n').filter((l) => l.startsWith('-A '));
}

async function dropChain(table: string, chain: string, jumps: Array<[string, string[]]>): Promise<void> {
  for (const [from, rule] of jumps) await iptables(['-t', table, '-D', from, ...rule]);
  await iptables(['-t', table, '-F', chain]);
  await iptables(['-t', table, '-X', chain]);
}

/**
 * Removes the chains the CNI firewall and portmap plugins create for all users once nobody
 * uses them any more (no container rule left in them): the plugins recreate them on the next
 * ADD, so removing them is safe and leaves the host as it was.
 */
export async function removeIdleCniChains(): Promise<void> {
  const admin = await chainRules('filter', 'CNI-ADMIN');
  const fwd = await chainRules('filter', 'CNI-FORWARD');
  if (fwd && fwd.every((l) => l.includes('-j CNI-ADMIN')) && (admin ?? []).length === 0) {
    await dropChain('filter', 'CNI-FORWARD', [['FORWARD', ['-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', 'CNI-FORWARD']]]);
    if (admin) await dropChain('filter', 'CNI-ADMIN', []);
  }
  const dnat = await chainRules('nat', 'CNI-HOSTPORT-DNAT');
  if (dnat && dnat.length === 0) {
    await dropChain('nat', 'CNI-HOSTPORT-DNAT', [
      ['PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']],
      ['OUTPUT', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']],
    ]);
    await dropChain('nat', 'CNI-HOSTPORT-MASQ', [['POSTROUTING', ['-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ']]]);
    await dropChain('nat', 'CNI-HOSTPORT-SETMARK', []);
  }
}
