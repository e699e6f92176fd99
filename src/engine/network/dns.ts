/**
 * The embedded DNS server of a user network (Docker's 127.0.0.11): containers on the network
 * find each other by container name, network alias and short id. It listens on the network's
 * gateway address, which every container on the network reaches through its bridge; queries
 * for other names are forwarded to the container's `--dns` servers, else the host's resolvers.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as packet from 'dns-packet';
import { log } from '../../lib/log.js';

/** Looks a name up among the network's containers; returns IPv4 addresses. */
export type NameLookup = (name: string) => string[];

/** The `--dns` servers of the container at `ip`, if it set any. */
export type UpstreamLookup = (ip: string) => string[] | undefined;

function upstreams(): string[] {
  try {
    const text = readFileSync('/etc/resolv.conf', 'utf8');
    return [...text.matchAll(/^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]!);
  } catch {
    return [];
  }
}

export class DnsServer {
  private sock?: dgram.Socket;

  constructor(
    private readonly address: string,
    private readonly lookup: NameLookup,
    private readonly upstreamsOf: UpstreamLookup = () => undefined,
  ) {}

  async start(): Promise<void> {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    sock.on('message', (msg, rinfo) => void this.answer(sock, msg, rinfo));
    sock.on('error', (err) => log.warn('dns server error', { address: this.address, error: err.message }));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(53, this.address, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.sock = sock;
  }

  close(): void {
    this.sock?.close();
    this.sock = undefined;
  }

  private async answer(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    let q: packet.Packet;
    try {
      q = packet.decode(msg);
    } catch {
      return; // not DNS: ignore, as a resolver would
    }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.replace(/\.$/, '').toLowerCase();
    const ips = this.lookup(name);
    if (ips.length || name.split('.').length === 1) {
      // Ours (or a bare name nobody has): answer authoritatively, NXDOMAIN when unknown.
      const answers = question.type === 'A' ? ips.map((ip) => ({ type: 'A' as const, name: question.name, ttl: 600, data: ip })) : [];
      const reply = packet.encode({
        id: q.id, type: 'response', flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (ips.length ? 0 : 3), questions: q.questions, answers,
      });
      sock.send(reply, rinfo.port, rinfo.address);
      return;
    }
    // As Docker's resolver does, a container's own `--dns` servers replace the host's.
    const own = this.upstreamsOf(rinfo.address)?.filter((s) => /^\d+\.\d+\.\d+\.\d+$/.test(s));
    const reply = await forward(msg, own?.length ? own : upstreams());
    if (reply) sock.send(reply, rinfo.port, rinfo.address);
  }
}

/** Sends the query to the given resolvers in turn; the first answer wins. */
async function forward(msg: Buffer, servers: string[]): Promise<Buffer | undefined> {
  for (const server of servers) {
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => done(undefined), 2000);
      const done = (b: Buffer | undefined) => {
        clearTimeout(timer);
        s.close();
        resolve(b);
      };
      s.on('error', () => done(undefined));
      s.on('message', (b) => done(b));
      s.send(msg, 53, server);
    });
    if (reply) return reply;
  }
  return undefined;
}
