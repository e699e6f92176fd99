/**
 * The networking measurements of issue 4, Berth against the reference dockerd with its bridge
 * network, iptables and userland proxy, samples alternating between engines as elsewhere:
 *
 * - netsetup: `run --rm busybox true` with `--network none` and on the default bridge, in pairs
 *   (the order flips each pair); the figure is the median of the pairs' differences, so drift in
 *   the machine's load between samples cancels out.
 * - portlat / portbw: a busybox `httpd` container publishing port 80 on 127.0.0.1 and on the
 *   host's own address (ephemeral host ports); the bench itself is the client (node:http, one new
 *   connection per GET, so nothing but the engines' paths differs): a 1 kB file N times, a large
 *   file a few times.
 * - c2c: two containers on a user network (`network create`), the client fetching a large file
 *   from the server by name with busybox `wget`, timed inside the client by busybox `time`.
 *   Not `nc`: busybox nc copies 1 KiB per read/write, ~40 MB/s on both engines here, which
 *   measures nc, not the path between the containers.
 */
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { dockerOk, getJson, type Engine } from './engines.js';
import { alternate, type Contender } from './measure.js';
import { markContainer, markNetwork, removeQuietly } from './netengines.js';
import type { NetMarks } from './hostnet.js';
import type { BenchOptions } from './options.js';
import { sleep } from './proc.js';

export interface NetContext {
  work: string;
  /** The host's non-loopback address, when it has one. */
  hostAddr?: string;
  marks: Map<Engine, NetMarks>;
}

/** Response time and size of one GET over a new connection (the agent would keep it alive). */
function httpGet(host: string, port: number, path: string, timeoutMs: number): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve({ ms: performance.now() - t0, bytes }) : reject(new Error(`GET ${host}:${port}${path} → ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${host}:${port}${path}: no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

async function checkedGet(host: string, port: number, path: string, bytes: number, timeoutMs = 60_000): Promise<number> {
  const r = await httpGet(host, port, path, timeoutMs);
  if (r.bytes !== bytes) throw new Error(`GET ${host}:${port}${path} gave ${r.bytes} bytes, expected ${bytes}`);
  return r.ms;
}

export async function measureSetup(o: BenchOptions, sides: Contender[], ctx: NetContext, stop: () => boolean, say: (m: string) => void): Promise<void> {
  say(`run --rm busybox true, --network none and default bridge: ${o.warmups} warm-up + ${o.runs} timed pairs per engine`);
  const got = new Map(sides.map((s) => [s.engine!, { none: [] as number[], bridge: [] as number[], stages: {} as Record<string, number[]> }]));
  let n = 0;
  const once = async (e: Engine, mode: 'none' | 'bridge', keep: boolean) => {
    const cidfile = join(ctx.work, `netsetup-${++n}.cid`);
    const r = await dockerOk(e, ['run', '--rm', '--cidfile', cidfile, ...(mode === 'none' ? ['--network', 'none'] : []), 'busybox', 'true']);
    const id = readFileSync(cidfile, 'utf8').trim();
    rmSync(cidfile, { force: true });
    const g = got.get(e)!;
    g[mode].push(r.ms);
    // Berth's own account of the network stage (what `berth --trace run` prints).
    const t = e.label === 'Berth' && keep ? ((await getJson(e, `/berth/trace/${id}`)) as { Spans?: { Stage: string; DurationMs: number }[] } | undefined) : undefined;
    const net = t?.Spans?.find((s) => s.Stage === 'network');
    if (net) (g.stages[mode] ??= []).push(net.DurationMs);
  };
  const pair = async (e: Engine, i: number, keep: boolean) => {
    const order: Array<'none' | 'bridge'> = i % 2 ? ['bridge', 'none'] : ['none', 'bridge'];
    for (const m of order) await once(e, m, keep);
    return 0;
  };
  await alternate(sides, 'netsetup', o.warmups, stop, (e, i) => pair(e, i, false));
  for (const g of got.values()) Object.assign(g, { none: [], bridge: [], stages: {} });
  const m = await alternate(sides, 'netsetup', o.runs, stop, (e, i) => pair(e, i, true));
  for (const s of m.keys()) {
    const left = (await dockerOk(s.engine!, ['ps', '-aq'])).stdout.trim();
    const g = got.get(s.engine!)!;
    if (left) s.results.errors.netsetup = `run --rm left ${left.split('\n').length} container(s) behind`;
    else s.results.netSetup = { none: g.none, bridge: g.bridge, stages: Object.keys(g.stages).length ? g.stages : undefined };
  }
  if (o.verbose) for (const [e, g] of got) say(`${e.label} run --rm none/bridge (ms): ${g.none.map((x, i) => `${x.toFixed(0)}/${g.bridge[i]?.toFixed(0)}`).join(' ')}`);
}

/** busybox httpd serving /www (a 1 kB file and one of `mb` MB) published on `addrs`; returns the host ports by address. */
async function startWeb(e: Engine, addrs: string[], mb: number): Promise<Map<string, number>> {
  const script = `mkdir -p /www && dd if=/dev/zero of=/www/small bs=1000 count=1 2>/dev/null && dd if=/dev/zero of=/www/big bs=1000000 count=${mb} 2>/dev/null && exec httpd -f -p 80 -h /www`;
  await dockerOk(e, ['run', '-d', '--name', 'bench-web', ...addrs.flatMap((a) => ['-p', `${a}::80`]), 'busybox', 'sh', '-c', script]);
  const out = (await dockerOk(e, ['port', 'bench-web', '80/tcp'])).stdout;
  const ports = new Map<string, number>();
  for (const l of out.split('\n')) {
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(l.trim());
    if (m) ports.set(m[1]!, Number(m[2]));
  }
  for (const a of addrs) if (!ports.has(a)) throw new Error(`docker port bench-web shows no port on ${a}: ${JSON.stringify(out.trim())}`);
  // httpd starts once the files are written: wait for it, then fetch the big file once (checked, and a warm-up).
  const [a0, p0] = [...ports][0]!;
  for (let i = 0; ; i++) {
    const ok = await checkedGet(a0, p0, '/small', 1000, 5000).then(() => true, (err: Error) => (i >= 600 ? Promise.reject(err) : false));
    if (ok) break;
    await sleep(200);
  }
  for (const [a, p] of ports) await checkedGet(a, p, '/big', mb * 1e6, 300_000);
  return ports;
}

/** portlat and portbw, on one web container per engine. */
export async function measurePorts(o: BenchOptions, all: Contender[], ctx: NetContext, stop: () => boolean, say: (m: string) => void): Promise<void> {
  const addrs = ['127.0.0.1', ...(ctx.hostAddr ? [ctx.hostAddr] : [])];
  const ports = new Map<Engine, Map<string, number>>();
  const metrics = (['portlat', 'portbw'] as const).filter((k) => o.only.has(k));
  for (const s of all) {
    try {
      ports.set(s.engine!, await startWeb(s.engine!, addrs, o.portbwMB));
      await markContainer(s.engine!, ctx.marks.get(s.engine!)!, 'bench-web');
    } catch (e) {
      for (const k of metrics) s.results.errors[k] = (e as Error).message;
    }
  }
  const sides = all.filter((s) => ports.has(s.engine!));
  try {
    for (const [i, a] of addrs.entries()) {
      const key = i === 0 ? 'lo' : 'host';
      if (o.only.has('portlat') && !stop()) {
        say(`HTTP GET of 1 kB through the port published on ${a}: ${o.requests} per engine`);
        const get = (e: Engine) => checkedGet(a, ports.get(e)!.get(a)!, '/small', 1000);
        await alternate(sides, 'portlat', Math.max(o.warmups, 10), stop, get);
        const m = await alternate(sides, 'portlat', o.requests, stop, get);
        for (const [s, xs] of m) (s.results.portLat ??= {})[key] = xs;
        if (o.verbose) for (const [s, xs] of m) say(`${s.label} GET via ${a} (ms): ${xs.map((x) => x.toFixed(2)).join(' ')}`);
      }
      if (o.only.has('portbw') && !stop()) {
        say(`download of ${o.portbwMB} MB through the port published on ${a}: ${o.bwRuns} per engine`);
        const m = await alternate(sides, 'portbw', o.bwRuns, stop, (e) => checkedGet(a, ports.get(e)!.get(a)!, '/big', o.portbwMB * 1e6, 300_000));
        for (const [s, xs] of m) ((s.results.portBw ??= { bytes: o.portbwMB * 1e6, ms: {} }).ms)[key] = xs;
        if (o.verbose) for (const [s, xs] of m) say(`${s.label} download via ${a} (ms): ${xs.map((x) => x.toFixed(0)).join(' ')}`);
      }
    }
  } finally {
    for (const s of all) await removeQuietly(s.engine!, ['bench-web']);
  }
}

/** Seconds from busybox `time`'s "real 0m 1.23s" line. */
function realSeconds(stderr: string): number | undefined {
  const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(stderr);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export async function measureC2c(o: BenchOptions, all: Contender[], ctx: NetContext, stop: () => boolean, say: (m: string) => void): Promise<void> {
  const bytes = o.c2cMB * 1e6;
  const net = ['--network', 'bench-net'];
  say(`container to container on a user network: ${o.c2cMB} MB by HTTP, ${o.bwRuns} per engine`);
  const ready: Contender[] = [];
  try {
    for (const s of all) {
      const e = s.engine!;
      try {
        await dockerOk(e, ['network', 'create', 'bench-net']);
        await markNetwork(e, ctx.marks.get(e)!, 'bench-net');
        await dockerOk(e, ['run', '-d', '--name', 'bench-srv', ...net, 'busybox', 'sh', '-c',
          `mkdir -p /www && dd if=/dev/zero of=/www/big bs=1000000 count=${o.c2cMB} 2>/dev/null && echo ok > /www/ready && exec httpd -f -p 80 -h /www`]);
        await markContainer(e, ctx.marks.get(e)!, 'bench-srv');
        // Waits for the server by name, then fetches the file once: checks its size, warms up.
        const check = await dockerOk(e, ['run', '--rm', ...net, 'busybox', 'sh', '-c',
          'i=0; until wget -q -O /dev/null http://bench-srv/ready; do i=$((i+1)); [ $i -lt 300 ] || exit 1; sleep 1; done; wget -q -O - http://bench-srv/big | wc -c'], { timeoutMs: 600_000 });
        if (Number(check.stdout.trim()) !== bytes) throw new Error(`the client received ${check.stdout.trim()} bytes, expected ${bytes}`);
        ready.push(s);
      } catch (err) {
        s.results.errors.c2c = (err as Error).message;
      }
    }
    const m = await alternate(ready, 'c2c', o.bwRuns, stop, async (e) => {
      const r = await dockerOk(e, ['run', '--rm', ...net, 'busybox', 'sh', '-c', 'time wget -q -O /dev/null http://bench-srv/big'], { timeoutMs: 600_000 });
      const sec = realSeconds(r.stderr);
      if (sec === undefined) throw new Error(`no time in the client's output: ${JSON.stringify(r.stderr.slice(0, 200))}`);
      return sec * 1000;
    });
    for (const [s, xs] of m) s.results.c2c = { bytes, ms: xs };
    if (o.verbose) for (const [s, xs] of m) say(`${s.label} c2c (ms): ${xs.map((x) => x.toFixed(0)).join(' ')}`);
  } finally {
    for (const s of all) await removeQuietly(s.engine!, ['bench-srv'], 'bench-net');
  }
}

/** Runs the selected networking metrics on every contender whose engine runs. */
export async function measureNet(o: BenchOptions, sides: Contender[], ctx: NetContext, stop: () => boolean, say: (m: string) => void): Promise<void> {
  if (o.only.has('netsetup') && !stop()) await measureSetup(o, sides, ctx, stop, say);
  if ((o.only.has('portlat') || o.only.has('portbw')) && !stop()) await measurePorts(o, sides, ctx, stop, say);
  if (o.only.has('c2c') && !stop()) await measureC2c(o, sides, ctx, stop, say);
}

/** How the networking figures were taken, for the notes under the table. */
export function netNotes(o: BenchOptions, sides: Contender[], hostAddr: string | undefined): string[] {
  const notes: string[] = [];
  const med = (xs: number[] | undefined) => (xs && xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(1) : '?');
  if (o.only.has('netsetup')) {
    notes.push(`network set-up: \`docker run --rm busybox true\` with \`--network none\` and without (the default bridge) in pairs, the order flipping each pair; ` +
      `${o.runs} pairs per engine after ${o.warmups} warm-up pairs; the figure is the median of the pairs' differences (bridge − none), beside each mode's median.`);
    const st = sides.find((s) => s.label === 'Berth')?.results.netSetup?.stages;
    if (st) notes.push(`Berth's \`network\` stage in those runs (its own trace, as \`berth --trace run\` prints it: namespace, then CNI ADD of bridge + host-local; it runs beside the rootfs mount at create): ` +
      `median ${med(st.bridge)} ms on the bridge, ${med(st.none)} ms with --network none.`);
  }
  if (o.only.has('portlat') || o.only.has('portbw')) {
    notes.push(`published ports: busybox \`httpd -f -p 80\` in a container run with \`-p 127.0.0.1::80 -p ${hostAddr ?? '(no host address)'}::80\` (the host's address on its default-route interface; ephemeral host ports). ` +
      `The bench process is the client (node:http, no keep-alive: one new TCP connection per request), timed from the request to the last byte, engines alternating. ` +
      `Docker reaches 127.0.0.1 through its userland docker-proxy (its nat OUTPUT rule skips 127.0.0.0/8) and the host address through kernel DNAT; Berth (CNI portmap, snat) uses kernel DNAT for both.`);
  }
  if (o.only.has('portlat')) notes.push(`request latency: ${o.requests} GETs of a 1 kB file per address and engine after ${Math.max(o.warmups, 10)} warm-ups; median and nearest-rank p90.`);
  if (o.only.has('portbw')) notes.push(`published-port throughput: a ${o.portbwMB} MB file written in the container by dd, downloaded whole ${o.bwRuns} times per address and engine after one checked download; MB = 10^6 bytes; median time, best in brackets.`);
  if (o.only.has('c2c')) {
    notes.push(`container to container: \`network create bench-net\`; a server container (busybox httpd, a ${o.c2cMB} MB file) and a client container \`time wget -q -O /dev/null http://bench-srv/big\` (the name resolved by the engine's embedded DNS), ` +
      `${o.bwRuns} clients per engine after one that checks the size; the time is busybox \`time\`'s (10 ms steps) inside the client, lookup and connect included. ` +
      'Not `nc`: busybox nc copies 1 KiB per read and write, about 40 MB/s on either engine here, which measures nc rather than the path.');
  }
  return notes;
}
