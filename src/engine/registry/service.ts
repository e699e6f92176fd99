/**
 * The registry client side of the engine (dockerd's distribution service; lecture concept:
 * images live in public and private registries and move to and from the local store with
 * pull and push; `login` checks credentials). The API routes call these three verbs; the
 * work is in pull.ts and push.ts.
 */
import { BerthError, invalidArgument, permissionDenied, unauthenticated } from '../../lib/errors.js';
import { DEFAULT_DOMAIN, parseReference, type Reference } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import { authFor, type AuthConfig } from './auth.js';
import { RegistryClient } from './client.js';
import { RegistryHosts } from './hosts.js';
import { pull, type PullOptions } from './pull.js';
import { push, type PushOptions } from './push.js';
import type { ProgressSink } from './progress.js';
import { BlobSources } from './sources.js';
import { discard } from './transport.js';
import { DEFAULT_CHUNK_SIZE } from './upload.js';

/** The daemon flags that shape registry traffic (dockerd's names and defaults). */
export interface RegistryOptions {
  /** `--insecure-registry`: host[:port] or CIDR values. */
  insecureRegistries?: string[];
  /** `--max-concurrent-downloads` (3). */
  maxConcurrentDownloads?: number;
  /** `--max-concurrent-uploads` (5). */
  maxConcurrentUploads?: number;
  /** `--max-download-attempts` (5). */
  maxDownloadAttempts?: number;
  /** Bytes per PATCH of a chunked upload; smaller blobs go in one PUT. */
  chunkSize?: number;
}

const INDEX_SERVER = 'https://index.docker.io/v1/';

/** The registry domain a login's `serveraddress` means (`https://index.docker.io/v1/` and empty: Docker Hub). */
export function loginDomain(serverAddress: string | undefined): string {
  const s = (serverAddress ?? '').trim();
  if (!s || s === INDEX_SERVER) return DEFAULT_DOMAIN;
  const host = s.replace(/^https?:\/\//, '').split('/')[0]!;
  if (!host) throw invalidArgument(`unable to parse server address: ${s}`);
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DEFAULT_DOMAIN : host;
}

export class RegistryService {
  readonly hosts: RegistryHosts;

  private constructor(
    readonly images: ImageService,
    readonly sources: BlobSources,
    private readonly o: RegistryOptions,
  ) {
    this.hosts = new RegistryHosts(o.insecureRegistries ?? []);
  }

  static async open(images: ImageService, dataRoot: string, o: RegistryOptions = {}): Promise<RegistryService> {
    const sources = await BlobSources.open(dataRoot);
    const present = new Set(await images.content.list());
    sources.retain((d) => present.has(d));
    return new RegistryService(images, sources, o);
  }

  /**
   * The reference a pull request names: `fromImage` (which may carry a tag or digest) and the
   * `tag` parameter (a tag, or a digest as the docker CLI sends `@sha256:…` pulls). Neither: all tags.
   */
  static pullReference(fromImage: string, tag: string | undefined): Reference {
    // `pull -a` from old clients sends the name with a trailing colon (dockerd strips it too).
    const ref = parseReference(fromImage.replace(/:$/, ''));
    if (ref.domain === DEFAULT_DOMAIN && ref.path === 'library/scratch') throw permissionDenied("'scratch' is a reserved name");
    if (!tag) return ref;
    const named = { domain: ref.domain, path: ref.path };
    if (/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(tag)) return parseReference(`${named.domain}/${named.path}@${tag}`);
    return parseReference(`${named.domain}/${named.path}:${tag}`);
  }

  pull(ref: Reference, o: PullOptions, out: ProgressSink): Promise<void> {
    return pull(
      {
        images: this.images,
        hosts: this.hosts,
        sources: this.sources,
        maxConcurrentDownloads: this.o.maxConcurrentDownloads ?? 3,
        maxDownloadAttempts: this.o.maxDownloadAttempts ?? 5,
      },
      ref,
      o,
      out,
    );
  }

  /** Pulls an image by the name a user wrote (a build's FROM), with the matching credentials from `auths`. */
  pullByName(name: string, auths: Record<string, AuthConfig>, out: ProgressSink, signal: AbortSignal = new AbortController().signal): Promise<void> {
    const ref = RegistryService.pullReference(name, undefined);
    return this.pull(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref, { auth: authFor(auths, ref.domain), signal }, out);
  }

  push(name: string, tag: string | undefined, o: PushOptions, out: ProgressSink): Promise<void> {
    return push(
      { images: this.images, hosts: this.hosts, sources: this.sources, maxConcurrentUploads: this.o.maxConcurrentUploads ?? 5, chunkSize: this.o.chunkSize ?? DEFAULT_CHUNK_SIZE },
      name,
      tag,
      o,
      out,
    );
  }

  /**
   * `POST /auth`: checks `auth` against its registry the way dockerd's loginV2 does — `GET /v2/`
   * with the credentials applied to whatever challenge the registry sends. Rejected
   * credentials are Unauthenticated with dockerd's wording.
   */
  async login(auth: AuthConfig, signal?: AbortSignal): Promise<{ Status: string; IdentityToken: string }> {
    const endpoint = this.hosts.endpoint(loginDomain(auth.serveraddress));
    const client = await RegistryClient.connect(endpoint, auth, signal);
    const url = `${client.origin}/v2/`;
    try {
      let res;
      try {
        res = await client.request('GET', '/v2/', { scopes: [], signal });
      } catch (err) {
        if (err instanceof BerthError && err.kind === 'Unauthenticated') throw unauthenticated(`Get "${url}": ${err.message}`);
        throw err;
      }
      discard(res);
      if (res.statusCode !== 200) throw unauthenticated(`login attempt to ${url} failed with status: ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
      return { Status: 'Login Succeeded', IdentityToken: '' };
    } finally {
      client.close();
    }
  }

  /** `/info`'s RegistryConfig. */
  info(): object {
    return this.hosts.info();
  }
}
