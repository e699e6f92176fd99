/**
 * Network records (Docker's `NetworkResource`) and the endpoint records containers keep for
 * each network they are connected to. Networks are stored one JSON file each under
 * `<data-root>/network/`, written atomically.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readJson, writeJsonAtomic } from '../../lib/fsutil.js';
import type { CniResult } from './cni.js';

export interface IpamConfig {
  Subnet: string;
  Gateway: string;
  IPRange?: string;
}

export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** The host bridge interface (bridge driver only). */
  BridgeName?: string;
}

/** One container's connection to one network (Docker's `EndpointSettings`). */
export interface EndpointRecord {
  NetworkID: string;
  EndpointID: string;
  Aliases: string[] | null;
  /** The address asked for with `--ip`, if any. */
  IPAMConfig: { IPv4Address?: string } | null;
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  /** Interface name inside the container (eth0, eth1, …). */
  IfName: string;
  /** The CNI result of ADD, kept for DEL. */
  Cni?: CniResult;
}

/** Host port bindings per container port (`80/tcp`), as in Docker's `NetworkSettings.Ports`. */
export type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

export class NetworkStore {
  constructor(readonly dir: string) {}

  file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  async loadAll(): Promise<NetworkRecord[]> {
    await fs.mkdir(this.dir, { recursive: true });
    const out: NetworkRecord[] = [];
    for (const f of await fs.readdir(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const rec = await readJson<NetworkRecord>(path.join(this.dir, f)).catch(() => undefined);
      if (rec) out.push(rec);
    }
    return out;
  }

  async save(rec: NetworkRecord): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await writeJsonAtomic(this.file(rec.Id), rec);
  }

  async delete(id: string): Promise<void> {
    await fs.rm(this.file(id), { force: true });
  }
}
