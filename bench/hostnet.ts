/**
 * The host's network state around a benchmark run: what the engines add (iptables chains and
 * rules, bridges, veths, userland proxies, sysctls, the FORWARD policy) and putting it back.
 *
 * dockerd with iptables leaves its chains, rules, bridge and FORWARD policy in place when it
 * stops (by design: they survive restarts), so the bench removes them itself. Berth's daemon
 * removes its own on shutdown; the bench only checks that it did, and cleans up what it did not.
 *
 * Other engineers' tests and daemons change the same tables while we run, so nothing is undone
 * by a plain before/after diff: only entries that are new since the snapshot AND carry one of
 * this run's marks (its bridges, subnets, container addresses, chain names) count as ours.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listProcs, run, signal, waitGone } from './proc.js';

const TABLES = ['filter', 'nat', 'mangle', 'raw'];
const FAMILIES = ['iptables', 'ip6tables'] as const;
/** The sysctls dockerd (or a CNI plugin) may switch on; compared and put back. */
const SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv4/conf/all/route_localnet', 'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables', 'net/bridge/bridge-nf-call-arptables'];

/** `iptables -S` lines of every table ("iptables nat" → lines), the links, and the sysctls. */
export interface NetState {
  tables: Map<string, string[]>;
  links: Set<string>;
  sysctls: Record<string, string>;
}

/** What belongs to one engine in this run. */
export interface NetMarks {
  label: string;
  /** An iptables line (or chain name) matching one of these is the engine's. */
  patterns: RegExp[];
  /** Links (bridges, host ends of veth pairs) it made. */
  links: Set<string>;
  /** Userland proxy processes whose command line matches this are its. */
  proxies?: RegExp;
  /** Subnet claims of Berth's daemon: owner files under this data root. */
  claimsOwner?: string;
  /**
   * Host-wide settings (chain policies, sysctls) are put back for this engine: dockerd may set
   * the FORWARD policy to DROP and switch sysctls on; Berth's daemon changes neither.
   */
  hostWide?: boolean;
  /**
   * portmap's shared chains (CNI-HOSTPORT-*) made during the run count as this engine's once
   * idle (no DNAT rule left): Berth's daemon removes them then, and so must the bench.
   */
  idleCniChains?: boolean;
}

export function newMarks(label: string): NetMarks {
  return { label, patterns: [], links: new Set() };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Marks `word` (a bridge, chain or tag) as the engine's, matched as a whole word. */
export function markWord(m: NetMarks, word: string): void {
  m.patterns.push(new RegExp(`(^|[^\\w-])${esc(word)}($|[^\\w-])`));
}

/** Marks an address or a subnet's textual prefix (e.g. "10.213." or "172.17.0.2"). */
export function markAddress(m: NetMarks, prefix: string): void {
  m.patterns.push(new RegExp(`(^|[^\\d.])${esc(prefix)}${prefix.endsWith('.') ? '' : '($|[^\\d])'}`));
}

async function ipt(family: string, args: string[]) {
  return run(family, ['-w', '5', ...args]);
}

export async function netState(): Promise<NetState> {
  const tables = new Map<string, string[]>();
  for (const f of FAMILIES) {
    for (const t of TABLES) {
      const r = await ipt(f, ['-t', t, '-S']).catch(() => undefined);
      if (r?.code === 0) tables.set(`${f} ${t}`, r.stdout.split('\n').filter(Boolean));
    }
  }
  const links = await run('ip', ['-j', 'link', 'show']);
  const names = links.code === 0 ? (JSON.parse(links.stdout) as Array<{ ifname: string }>).map((l) => l.ifname) : [];
  const sysctls: Record<string, string> = {};
  for (const k of SYSCTLS) if (existsSync(`/proc/sys/${k}`)) sysctls[k] = readFileSync(`/proc/sys/${k}`, 'utf8').trim();
  return { tables, links: new Set(names), sysctls };
}

/** Names of the links enslaved to `bridge` now (the host ends of its containers' veth pairs). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  const r = await run('ip', ['-j', 'link', 'show', 'master', bridge]);
  return r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as Array<{ ifname: string }>).map((l) => l.ifname) : [];
}

/** Splits an `iptables -S` line into arguments (quoted comments may hold escaped quotes). */
function splitRule(line: string): string[] {
  return (line.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []).map((a) => (a.startsWith('"') ? a.slice(1, -1).replace(/\\"/g, '"') : a));
}

interface Found {
  key: string;
  /** New `-A` lines of ours outside our chains, to delete one by one. */
  rules: string[];
  /** New chains of ours, to flush and delete. */
  chains: string[];
  /** Built-in chains whose policy changed: [chain, policy before]. */
  policies: Array<[string, string]>;
}

/** Entries in `now` not in `before` that carry the engine's marks. */
function findOurs(before: NetState, now: NetState, m: NetMarks): Found[] {
  const ours = (l: string) => m.patterns.some((p) => p.test(l));
  const out: Found[] = [];
  for (const [key, lines] of now.tables) {
    const old = new Set(before.tables.get(key) ?? []);
    const fresh = lines.filter((l) => !old.has(l));
    const newChains = fresh.filter((l) => l.startsWith('-N ')).map((l) => l.slice(3));
    // A new chain is ours when its name is, when every rule in it is, or when only our rules
    // jump to it (portmap's per-container CNI-DN-…); a shared chain that merely holds one of our
    // rules beside others' (CNI-HOSTPORT-DNAT) is not, and keeps their rules.
    const rulesOf = (c: string) => lines.filter((l) => l.startsWith(`-A ${c} `));
    const jumpsTo = (c: string) => lines.filter((l) => { const a = splitRule(l); const j = a.findIndex((x) => x === '-j' || x === '-g'); return j >= 0 && a[j + 1] === c; });
    const all = (xs: string[]) => xs.length > 0 && xs.every(ours);
    const chains = newChains.filter((c) => ours(c) || all(rulesOf(c)) || all(jumpsTo(c)));
    if (m.idleCniChains && newChains.includes('CNI-HOSTPORT-DNAT') && !lines.some((l) => l.startsWith('-A CNI-HOSTPORT-DNAT '))) {
      chains.push(...newChains.filter((c) => c.startsWith('CNI-HOSTPORT-') && !chains.includes(c)));
    }
    const inOurChain = (l: string) => chains.includes(splitRule(l)[1]!);
    const jumpsToOurs = (l: string) => chains.some((c) => jumpsTo(c).includes(l));
    const rules = fresh.filter((l) => l.startsWith('-A ') && !inOurChain(l) && (ours(l) || jumpsToOurs(l)));
    const policies: Array<[string, string]> = [];
    for (const l of m.hostWide ? old : []) {
      const [p, chain, pol] = l.split(' ');
      if (p === '-P' && !lines.includes(l)) policies.push([chain!, pol!]);
    }
    if (rules.length || chains.length || policies.length) out.push({ key, rules, chains, policies });
  }
  return out;
}

function ourProxies(m: NetMarks): number[] {
  if (!m.proxies) return [];
  return listProcs().filter((p) => p.state !== 'Z' && p.comm === 'docker-proxy' && m.proxies!.test(p.cmdline)).map((p) => p.pid);
}

function ourClaims(m: NetMarks): string[] {
  const dir = '/run/berth-subnets';
  if (!m.claimsOwner || !existsSync(dir)) return [];
  return readdirSync(dir).filter((c) => {
    try {
      return readFileSync(join(dir, c, 'owner'), 'utf8').startsWith(m.claimsOwner!);
    } catch {
      return false;
    }
  });
}

/** What of the engine is still on the host, as readable lines (empty: nothing). */
export async function leftovers(before: NetState, m: NetMarks): Promise<string[]> {
  const now = await netState();
  const out: string[] = [];
  for (const f of findOurs(before, now, m)) {
    for (const c of f.chains) out.push(`${f.key}: chain ${c}`);
    for (const r of f.rules) out.push(`${f.key}: ${r}`);
    for (const [c, p] of f.policies) out.push(`${f.key}: ${c} policy is not ${p} as before`);
  }
  for (const l of m.links) if (now.links.has(l) && !before.links.has(l)) out.push(`link ${l}`);
  for (const [k, v] of Object.entries(m.hostWide ? before.sysctls : {})) if (now.sysctls[k] !== v) out.push(`sysctl ${k.replace(/\//g, '.')} = ${now.sysctls[k]} (was ${v})`);
  for (const pid of ourProxies(m)) out.push(`docker-proxy process ${pid}`);
  for (const c of ourClaims(m)) out.push(`subnet claim /run/berth-subnets/${c}`);
  return out;
}

/**
 * Removes what `leftovers` finds: proxies, our rules, our chains (flushed first, then deleted,
 * as they may jump to each other), changed policies and sysctls, our links. Returns what it did.
 */
export async function undo(before: NetState, m: NetMarks): Promise<string[]> {
  const done: string[] = [];
  const pids = ourProxies(m);
  for (const pid of pids) signal(pid, 'SIGKILL');
  await Promise.all(pids.map((p) => waitGone(p, 5000)));
  if (pids.length) done.push(`killed ${pids.length} docker-proxy process(es)`);
  const found = findOurs(before, await netState(), m);
  for (const f of found) {
    const [family, table] = f.key.split(' ') as [string, string];
    for (const r of f.rules) if ((await ipt(family, ['-t', table, '-D', ...splitRule(r).slice(1)])).code === 0) done.push(`${f.key}: deleted ${r}`);
    for (const c of f.chains) await ipt(family, ['-t', table, '-F', c]);
    for (const c of f.chains) if ((await ipt(family, ['-t', table, '-X', c])).code === 0) done.push(`${f.key}: deleted chain ${c}`);
    for (const [c, p] of f.policies) if ((await ipt(family, ['-t', table, '-P', c, p])).code === 0) done.push(`${f.key}: ${c} policy set back to ${p}`);
  }
  const now = await netState();
  for (const l of m.links) {
    if (now.links.has(l) && !before.links.has(l) && (await run('ip', ['link', 'del', l])).code === 0) done.push(`deleted link ${l}`);
  }
  for (const [k, v] of Object.entries(m.hostWide ? before.sysctls : {})) {
    if (now.sysctls[k] === v) continue;
    try {
      writeFileSync(`/proc/sys/${k}`, v);
      done.push(`sysctl ${k.replace(/\//g, '.')} set back to ${v}`);
    } catch {
      // reported by `leftovers`
    }
  }
  return done;
}

/** The host's address on the interface of its default route (the "non-loopback" address). */
export async function hostAddress(): Promise<string | undefined> {
  const r = await run('ip', ['-j', '-4', 'route', 'show', 'default']);
  const dev = r.code === 0 ? (JSON.parse(r.stdout) as Array<{ dev?: string }>)[0]?.dev : undefined;
  if (!dev) return undefined;
  const a = await run('ip', ['-j', '-4', 'addr', 'show', 'dev', dev]);
  return a.code === 0 ? (JSON.parse(a.stdout) as Array<{ addr_info?: Array<{ local: string }> }>)[0]?.addr_info?.[0]?.local : undefined;
}

const toInt = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);

/**
 * A 10.X.0.0/16 that no route, address or Berth subnet claim touches, for the reference dockerd: far
 * from Berth's pools (172.17-31/16, 192.168/20s), so neither engine can pick the other's subnet.
 */
export async function freeDockerRange(): Promise<{ prefix: string; pool: string; bridgeAddr: string } | undefined> {
  const r = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  const a = await run('ip', ['-j', '-4', 'addr', 'show']);
  const used: Array<[number, number]> = [];
  for (const d of r.code === 0 ? (JSON.parse(r.stdout) as Array<{ dst: string }>).map((x) => x.dst) : []) {
    const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(d ?? '');
    if (!m) continue;
    const bits = Number(m[2] ?? 32);
    const size = 2 ** (32 - bits);
    const base = Math.floor(toInt(m[1]!) / size) * size;
    used.push([base, base + size - 1]);
  }
  for (const i of a.code === 0 ? (JSON.parse(a.stdout) as Array<{ addr_info?: Array<{ local: string }> }>) : []) {
    for (const x of i.addr_info ?? []) used.push([toInt(x.local), toInt(x.local)]);
  }
  // Subnets Berth daemons have claimed (their bridges may not be up yet, so no route shows them).
  const claims = existsSync('/run/berth-subnets') ? readdirSync('/run/berth-subnets') : [];
  for (const c of claims) {
    const m = /^(\d+\.\d+\.\d+\.\d+)_(\d+)$/.exec(c);
    if (m) used.push([toInt(m[1]!), toInt(m[1]!) + 2 ** (32 - Number(m[2])) - 1]);
  }
  const start = 200 + Math.floor(Math.random() * 50);
  for (let k = 0; k < 55; k++) {
    const x = 200 + ((start - 200 + k) % 55);
    const lo = toInt(`10.${x}.0.0`);
    const hi = lo + 2 ** 16 - 1;
    if (used.some(([b, e]) => b <= hi && e >= lo)) continue;
    return { prefix: `10.${x}.`, pool: `10.${x}.0.0/17`, bridgeAddr: `10.${x}.255.1/24` };
  }
  return undefined;
}
