/**
 * What Compose asks of the engine, over the Docker Engine API (Compose is a client, like the
 * docker CLI): find a project's containers, networks and volumes by label, and make or remove
 * them. Errors are the daemon's own (`DaemonError`), passed up with the object they concern.
 */
import type { ApiClient } from '../cli/client.js';
import { escapePath } from '../cli/client.js';
import { L } from './labels.js';

export interface ContainerInfo {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Labels: Record<string, string>;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
}

const filters = (f: Record<string, string[]>) => JSON.stringify(f);

export class Engine {
  constructor(readonly api: ApiClient) {}

  async containers(project: string, all = true): Promise<ContainerInfo[]> {
    const r = await this.api.request('GET', '/containers/json', { query: { all, filters: filters({ label: [`${L.project}=${project}`] }) } });
    return r.json<ContainerInfo[]>().sort((a, b) => (a.Names[0] ?? '').localeCompare(b.Names[0] ?? ''));
  }

  async networkExists(name: string): Promise<boolean> {
    return this.exists(`/networks/${escapePath(name)}`);
  }

  async volumeExists(name: string): Promise<boolean> {
    return this.exists(`/volumes/${escapePath(name)}`);
  }

  async imageId(ref: string): Promise<string | undefined> {
    try {
      return (await this.api.request('GET', `/images/${escapePath(ref)}/json`)).json<{ Id: string }>().Id;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
  }

  private async exists(path: string): Promise<boolean> {
    try {
      await this.api.request('GET', path);
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  }

  async createNetwork(body: object): Promise<void> {
    await this.api.request('POST', '/networks/create', { body });
  }

  async createVolume(body: object): Promise<void> {
    await this.api.request('POST', '/volumes/create', { body });
  }

  async projectNetworks(project: string): Promise<Array<{ Name: string; Id: string }>> {
    return (await this.api.request('GET', '/networks', { query: { filters: filters({ label: [`${L.project}=${project}`] }) } })).json();
  }

  async projectVolumes(project: string): Promise<Array<{ Name: string }>> {
    return (await this.api.request('GET', '/volumes', { query: { filters: filters({ label: [`${L.project}=${project}`] }) } })).json<{ Volumes: Array<{ Name: string }> | null }>().Volumes ?? [];
  }

  async create(name: string, body: object): Promise<string> {
    return (await this.api.request('POST', '/containers/create', { query: { name }, body })).json<{ Id: string }>().Id;
  }

  async connect(network: string, container: string, aliases: string[]): Promise<void> {
    await this.api.request('POST', `/networks/${escapePath(network)}/connect`, { body: { Container: container, EndpointConfig: { Aliases: aliases } } });
  }

  async start(id: string): Promise<void> {
    await this.api.request('POST', `/containers/${escapePath(id)}/start`);
  }

  async stop(id: string, timeout?: number): Promise<void> {
    await this.api.request('POST', `/containers/${escapePath(id)}/stop`, { query: { t: timeout } });
  }

  async remove(id: string, volumes: boolean): Promise<void> {
    await this.api.request('DELETE', `/containers/${escapePath(id)}`, { query: { force: true, v: volumes } });
  }

  async removeNetwork(name: string): Promise<void> {
    await this.api.request('DELETE', `/networks/${escapePath(name)}`);
  }

  async removeImage(ref: string): Promise<void> {
    await this.api.request('DELETE', `/images/${escapePath(ref)}`);
  }

  async removeVolume(name: string): Promise<void> {
    await this.api.request('DELETE', `/volumes/${escapePath(name)}`);
  }

  async inspect(id: string): Promise<{ State: { Status: string; ExitCode: number; Running: boolean; Health?: { Status: string } } }> {
    return (await this.api.request('GET', `/containers/${escapePath(id)}/json`)).json();
  }

  /** Waits for the container to stop; its exit code. */
  async wait(id: string): Promise<number> {
    return (await this.api.request('POST', `/containers/${escapePath(id)}/wait`, { query: { condition: 'not-running' } })).json<{ StatusCode: number }>().StatusCode;
  }

  async pull(image: string): Promise<void> {
    const res = await this.api.stream('POST', '/images/create', { query: { fromImage: image } });
    let text = '';
    for await (const c of res) text += String(c);
    const err = text.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as { error?: string }).find((m) => m.error);
    if (err) throw new Error(err.error);
  }
}
