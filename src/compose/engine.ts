/**
 * The engine API calls Compose makes, over the same client the `berth` CLI uses: listing a
 * project's containers by label, creating and removing networks and volumes, containers'
 * lifecycle, and image pull/build. Nothing here decides anything; the planner and the
 * verbs do.
 */
import path from 'node:path';
import { ApiClient, DaemonError, type QueryValue } from '../cli/client.js';
import { contextIgnores, packContext } from '../cli/build/context.js';
import { registryAuthHeader, registryConfigHeader } from '../cli/credentials.js';
import { readJsonMessages } from '../cli/format/jsonmessage.js';
import { fullName, parseNormalizedNamed } from '../cli/reference.js';
import { failedPrecondition } from '../lib/errors.js';

/** A container as `GET /containers/json` lists it. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  State: string;
  Status: string;
  Labels: Record<string, string>;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  State: { Status: string; Running: boolean; ExitCode: number; Health?: { Status: string } };
  Config: { Labels?: Record<string, string>; Tty?: boolean; Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number } };
}

const enc = encodeURIComponent;

export class Engine {
  constructor(readonly api: ApiClient) {}

  async containers(labels: string[], all = true): Promise<ContainerSummary[]> {
    const res = await this.api.request('GET', '/containers/json', { query: { all, filters: JSON.stringify({ label: labels }) } });
    return res.json<ContainerSummary[]>();
  }

  async inspect(id: string): Promise<ContainerInspect> {
    return (await this.api.request('GET', `/containers/${enc(id)}/json`)).json<ContainerInspect>();
  }

  async create(name: string, body: unknown): Promise<string> {
    return (await this.api.request('POST', '/containers/create', { query: { name }, body })).json<{ Id: string }>().Id;
  }

  async start(id: string): Promise<void> {
    await this.api.request('POST', `/containers/${enc(id)}/start`);
  }

  async stop(id: string, timeout?: number): Promise<void> {
    await this.api.request('POST', `/containers/${enc(id)}/stop`, { query: { t: timeout } });
  }

  async restart(id: string, timeout?: number): Promise<void> {
    await this.api.request('POST', `/containers/${enc(id)}/restart`, { query: { t: timeout } });
  }

  async remove(id: string, volumes = false): Promise<void> {
    await this.api.request('DELETE', `/containers/${enc(id)}`, { query: { force: true, v: volumes } });
  }

  async rename(id: string, name: string): Promise<void> {
    await this.api.request('POST', `/containers/${enc(id)}/rename`, { query: { name } });
  }

  async connect(network: string, id: string, aliases: string[]): Promise<void> {
    await this.api.request('POST', `/networks/${enc(network)}/connect`, { body: { Container: id, EndpointConfig: { Aliases: aliases } } });
  }

  /** Resolves when the container exits, with its exit code. */
  async wait(id: string): Promise<number> {
    return (await this.api.request('POST', `/containers/${enc(id)}/wait`)).json<{ StatusCode: number }>().StatusCode;
  }

  /** The object's inspect document, or undefined when it does not exist. */
  async find<T>(kind: 'networks' | 'volumes' | 'images', name: string): Promise<T | undefined> {
    const p = kind === 'images' ? `/images/${name.split('/').map(enc).join('/')}/json` : `/${kind}/${enc(name)}`;
    try {
      return (await this.api.request('GET', p)).json<T>();
    } catch (e) {
      if (e instanceof DaemonError && e.status === 404) return undefined;
      throw e;
    }
  }

  async list<T>(kind: 'networks' | 'volumes', labels: string[]): Promise<T[]> {
    const res = (await this.api.request('GET', `/${kind}`, { query: { filters: JSON.stringify({ label: labels }) } })).json<unknown>();
    return (kind === 'volumes' ? (res as { Volumes: T[] | null }).Volumes ?? [] : (res as T[]));
  }

  async createNetwork(body: Record<string, unknown>): Promise<void> {
    await this.api.request('POST', '/networks/create', { body });
  }

  async createVolume(body: Record<string, unknown>): Promise<void> {
    await this.api.request('POST', '/volumes/create', { body });
  }

  async removeObject(kind: 'networks' | 'volumes' | 'images', name: string): Promise<void> {
    const p = kind === 'images' ? `/images/${name.split('/').map(enc).join('/')}` : `/${kind}/${enc(name)}`;
    await this.api.request('DELETE', p);
  }

  /** Pulls `ref`; progress is discarded, an error in the stream fails the pull. */
  async pull(ref: string): Promise<void> {
    const r = parseNormalizedNamed(ref);
    const res = await this.api.stream('POST', '/images/create', { query: { fromImage: fullName(r), tag: r.digest ?? r.tag ?? 'latest' }, headers: registryAuthHeader(r.domain) });
    for await (const jm of readJsonMessages(res)) if (jm.errorDetail || jm.error) throw failedPrecondition(jm.errorDetail?.message || jm.error || 'pull failed');
  }

  /** Builds an image with the legacy builder; `onLine` receives the build output. */
  async build(opts: { context: string; dockerfile?: string; tag: string; args?: Record<string, string | null>; target?: string; labels?: Record<string, string>; noCache?: boolean; pull?: boolean }, onLine: (s: string) => void): Promise<void> {
    const dockerfile = (opts.dockerfile ?? 'Dockerfile').split(path.sep).join('/');
    const body = packContext(opts.context, await contextIgnores(opts.context, dockerfile));
    const query: Record<string, QueryValue> = {
      t: opts.tag, dockerfile, buildargs: JSON.stringify(opts.args ?? {}), labels: JSON.stringify(opts.labels ?? {}),
      target: opts.target, nocache: opts.noCache, pull: opts.pull, rm: '1', version: '1',
    };
    const res = await this.api.stream('POST', '/build', { query, body, headers: { 'Content-Type': 'application/x-tar', ...registryConfigHeader() } });
    for await (const jm of readJsonMessages(res)) {
      if (jm.errorDetail || jm.error) throw failedPrecondition(jm.errorDetail?.message || jm.error || 'build failed');
      if (jm.stream) onLine(jm.stream);
    }
  }
}
