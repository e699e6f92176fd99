/**
 * Image references as Docker spells them (lecture concept: an image *name* is
 * `registry/namespace/repository:tag` or `…@sha256:digest`; Docker Hub and `library/` are
 * implied). `busybox` normalizes to `docker.io/library/busybox:latest` and is shown in its
 * familiar form `busybox:latest`. The grammar follows the distribution reference grammar;
 * error texts keep Docker's wording because users compare them.
 */
import { invalidArgument } from '../../lib/errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const MAX_NAME = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainAndPort = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE_RE = new RegExp(`^((?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const TAG_RE = new RegExp(`^${tagPat}$`);
const HEX64_RE = /^[a-f0-9]{64}$/;

/** A parsed, normalized image reference. */
export interface Reference {
  /** Registry host[:port], `docker.io` for Docker Hub. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

/** `docker.io/library/busybox` — the repository name without tag or digest. */
export function fullName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** `busybox` — the repository name as users write it. */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return fullName(r);
  const rest = r.path.slice(OFFICIAL_PREFIX.length);
  return r.path.startsWith(OFFICIAL_PREFIX) && !rest.includes('/') ? rest : r.path;
}

function suffix(r: Reference): string {
  return `${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** `docker.io/library/busybox:latest` — the normalized form, used as the key of the tag store. */
export function referenceString(r: Reference): string {
  return fullName(r) + suffix(r);
}

/** `busybox:latest` — what `docker images` and "Loaded image:" show. */
export function familiarString(r: Reference): string {
  return familiarName(r) + suffix(r);
}

/** Adds the `latest` tag when a reference has neither tag nor digest (Docker's TagNameOnly). */
export function withDefaultTag(r: Reference): Reference {
  return r.tag === undefined && r.digest === undefined ? { ...r, tag: 'latest' } : r;
}

/** True for a tag alone such as `latest` or `v1.2` (used by OCI `ref.name` annotations). */
export function isTagOnly(s: string): boolean {
  return TAG_RE.test(s) && !s.includes(':');
}

/**
 * Parses a reference the way `docker` does (ParseNormalizedNamed): fills in `docker.io` and
 * `library/`, rejects upper case in the repository and 64-hex names. Throws InvalidArgument with
 * Docker's wording.
 */
export function parseReference(input: string): Reference {
  if (HEX64_RE.test(input)) throw invalidArgument(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  if (input === '') throw invalidArgument('invalid reference format: repository name must have at least one component');
  // Docker's domain rule: the first component is a registry if it has a dot or a colon, is
  // `localhost`, or contains upper case (repository paths never may).
  const slash = input.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let remainder = input;
  if (slash !== -1) {
    const first = input.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      remainder = input.slice(slash + 1);
    }
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  const remote = remainder.split(/[:@]/, 1)[0]!;
  if (remote.toLowerCase() !== remote) throw invalidArgument(`invalid reference format: repository name (${remote}) must be lowercase`);
  const m = REFERENCE_RE.exec(`${domain}/${remainder}`);
  if (!m) throw invalidArgument('invalid reference format');
  const name = m[1]!;
  if (name.length > MAX_NAME) throw invalidArgument(`invalid reference format: repository name must not be more than ${MAX_NAME} characters`);
  const digest = m[3];
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalidArgument('invalid reference format');
  const ref: Reference = { domain, path: name.slice(domain.length + 1) };
  if (m[2] !== undefined) ref.tag = m[2];
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Parses and returns the normalized string, with `:latest` added when neither tag nor digest is given. */
export function normalize(input: string): string {
  return referenceString(withDefaultTag(parseReference(input)));
}

/** Normalized string → familiar string (`docker.io/library/busybox:latest` → `busybox:latest`). */
export function familiarOf(normalized: string): string {
  return familiarString(parseReference(normalized));
}
