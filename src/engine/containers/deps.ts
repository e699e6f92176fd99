/**
 * The narrow views of other engine parts that the container service needs (ARCHITECTURE
 * principle 2): an image resolver and a snapshotter, not the whole image service.
 */
import type { EndpointRecord } from '../network/record.js';
import type { ContainerRecord } from './record.js';

export interface ImageView {
  id: string;
  repoTags: string[];
  chainIds: string[];
  config: {
    config?: {
      Env?: string[] | null;
      Cmd?: string[] | null;
      Entrypoint?: string[] | null;
      WorkingDir?: string;
      User?: string;
      Labels?: Record<string, string> | null;
      ExposedPorts?: Record<string, object> | null;
      Volumes?: Record<string, object> | null;
      StopSignal?: string;
    };
  };
}

export interface ImageResolver {
  resolve(ref: string): ImageView;
}

export interface ContainerSnapshots {
  prepare(key: string, chainIds: string[]): Promise<{ lower: string[]; upper: string; work: string }>;
  /** The same paths as `prepare`, computed without side effects (for inspect). */
  paths(key: string, chainIds: string[]): { lower: string[]; upper: string; work: string };
  remove(key: string): Promise<void>;
  diff(key: string, chainIds: string[]): Promise<Array<{ Path: string; Kind: 0 | 1 | 2 }>>;
  usage(key: string): Promise<number>;
  /** The writable layer as an image layer tar, without the paths `skip` names. */
  layerTar(key: string, skip?: (containerPath: string) => boolean): NodeJS.ReadableStream & AsyncIterable<Uint8Array>;
}

/** Container networking (implemented by `network/endpoints.ts`). */
export interface ContainerNetworking {
  /** Checks a create request's network mode and endpoints; returns what to record. */
  plan(mode: string, requested: Record<string, { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null }> | undefined): Record<string, EndpointRecord>;
  /** Connects the container's namespace to its networks and publishes its ports. */
  attach(rec: ContainerRecord, netns: string): Promise<void>;
  /** Undoes `attach` as the namespace goes away (the rest finishes in the background). */
  detach(rec: ContainerRecord): void;
  /** The embedded DNS server for the container (on a user network), if any. */
  embeddedDns(rec: ContainerRecord): string | undefined;
}
