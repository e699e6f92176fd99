/**
 * The networking part of a bench run, from main's point of view: a snapshot of the host's
 * network state before any daemon starts; the swap from the plain reference dockerd to one with
 * networking once the engine metrics are done; and, after both engines stopped, putting back
 * what dockerd leaves behind and checking that neither engine left anything of its own.
 *
 * Why a second dockerd rather than one with networking throughout: the engine metrics (run,
 * run -d, rm, memory) keep measuring the same Docker as in every earlier run, and the host
 * carries Docker's iptables rules, FORWARD policy and bridge only for the minutes the networking
 * metrics take.
 */
import { stopEngine, type Engine } from './engines.js';
import { hostAddress, leftovers, netState, newMarks, undo, type NetMarks, type NetState } from './hostnet.js';
import type { ImageArchive } from './images.js';
import { ensureImage, type Contender } from './measure.js';
import { measureNet, netNotes } from './net.js';
import { berthMarks, startNetDocker } from './netengines.js';
import { NET_METRICS, type BenchOptions } from './options.js';

export class NetPhase {
  private berth?: NetMarks;
  private docker?: NetMarks;
  private hostAddr?: string;
  private dockerRange?: string;
  private cleanup?: string;

  private constructor(private readonly before: NetState) {}

  /** Call before any daemon starts. */
  static async begin(): Promise<NetPhase> {
    return new NetPhase(await netState());
  }

  /** Records what Berth's daemon made at start (its bridge, chains, subnet), to check at the end. */
  async berthStarted(e: Engine): Promise<void> {
    this.berth = await berthMarks(e).catch(() => undefined);
  }

  /**
   * Stops the plain dockerd (its metrics are done), starts the one with networking in its place
   * and runs the networking metrics. Returns clean-up problems of the plain dockerd.
   */
  async measure(o: BenchOptions, sides: Contender[], root: string, work: string, busybox: ImageArchive,
    stop: () => boolean, say: (m: string) => void): Promise<string[]> {
    const problems: string[] = [];
    const d = sides.find((s) => s.label === 'Docker')!;
    if (d.engine) {
      problems.push(...(await stopEngine(d.engine, o.keep)));
      delete d.engine;
    }
    if (!o.skipDocker && !stop()) {
      this.docker = newMarks('Docker');
      try {
        say('starting Docker with networking (bridge, iptables, userland proxy)…');
        const started = await startNetDocker(root, this.before, this.docker);
        d.engine = started.engine;
        this.dockerRange = started.range;
        await ensureImage(d.engine, busybox);
      } catch (e) {
        for (const k of NET_METRICS) if (o.only.has(k)) d.results.errors[k] = `Docker with networking: ${(e as Error).message.split('\n')[0]}`;
        say(`Docker with networking: ${(e as Error).message}`);
        if (d.engine) problems.push(...(await stopEngine(d.engine, o.keep)));
        delete d.engine;
      }
    }
    this.hostAddr = await hostAddress();
    const marks = new Map<Engine, NetMarks>();
    for (const s of sides) if (s.engine) marks.set(s.engine, s.label === 'Berth' ? (this.berth ??= newMarks('Berth')) : this.docker!);
    await measureNet(o, sides.filter((s) => s.engine), { work, hostAddr: this.hostAddr, marks }, stop, say);
    return problems;
  }

  /**
   * After the engines stopped: removes what dockerd leaves on the host (by design it keeps its
   * chains, rules, bridge and policy across restarts), then checks both engines left nothing.
   * Anything of Berth's still there is an error, and removed too.
   */
  async end(): Promise<{ problems: string[] }> {
    const problems: string[] = [];
    if (this.docker) {
      const done = await undo(this.before, this.docker);
      const count = (re: RegExp) => done.filter((l) => re.test(l)).length;
      const other = done.filter((l) => !/: deleted (chain )?|^deleted link /.test(l));
      this.cleanup = `clean-up of the networking dockerd: removed ${count(/: deleted -A /)} iptables rules and ${count(/: deleted chain /)} chains it left, ` +
        `${count(/^deleted link /)} link(s) (its bridge)${other.length ? '; ' + other.join('; ') : ''}.`;
      problems.push(...(await leftovers(this.before, this.docker)).map((l) => `error: Docker left on the host: ${l}`));
    }
    if (this.berth) {
      const left = await leftovers(this.before, this.berth);
      if (left.length) {
        problems.push(...left.map((l) => `error: Berth left on the host: ${l}`));
        await undo(this.before, this.berth);
      }
    }
    return { problems };
  }

  notes(o: BenchOptions, sides: Contender[]): string[] {
    const notes = netNotes(o, sides, this.hostAddr);
    if (this.dockerRange) {
      notes.push(`Docker for the networking metrics is a second dockerd, started once the engine metrics are done and the first one stopped, with its bridge network, iptables and userland proxy on ` +
        `(Docker's defaults) and \`--ip6tables=false\`: addresses ${this.dockerRange} — the bench makes and addresses that bridge and passes \`-b\`, because dockerd creates only docker0 itself ` +
        'and refuses `--bip` beside `-b`; a 10.X range keeps it clear of Berth\'s pools. Afterwards the bench removes what dockerd leaves (its chains and rules, bridge, proxies; FORWARD policy and sysctls put back) ' +
        'and checks iptables-save and ip link for anything of either engine\'s; Berth\'s daemon removes its own on shutdown.');
    }
    if (this.cleanup) notes.push(this.cleanup);
    return notes;
  }
}
