/**
 * Image references as the docker CLI parses them (distribution/reference):
 * `busybox` → `docker.io/library/busybox`, familiar forms for display, and `:latest`
 * added when neither tag nor digest is given. The CLI needs this to word messages
 * (`Unable to find image 'busybox:latest' locally`) and to build pull/tag queries.
 */

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

/** A parsed, normalized image reference. */
export interface Reference {
  /** Registry host, e.g. `docker.io` or `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

/** An invalid reference; the message is distribution/reference's wording. */
export class ReferenceError extends Error {}

/** ParseNormalizedNamed: parses a user-typed reference into its full form. */
export function parseNormalizedNamed(s: string): Reference {
  if (/^[a-f0-9]{64}$/.test(s)) {
    throw new ReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  // splitDockerDomain: the first component is a registry when it looks like a host name.
  let domain = 'docker.io';
  let remainder = s;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const first = s.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first === 'index.docker.io' ? 'docker.io' : first;
      remainder = s.slice(slash + 1);
    }
  }
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  const colon = remainder.indexOf(':');
  const remoteName = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remoteName !== remoteName.toLowerCase()) {
    throw new ReferenceError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m) throw new ReferenceError('invalid reference format');
  const name = m[1]!;
  const ref: Reference = { domain, path: name.slice(domain.length + 1) };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = m[3];
  return ref;
}

/** The full repository name, e.g. `docker.io/library/busybox` (Named.Name()). */
export function fullName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** FamiliarName: `busybox`, `user/app`, `localhost:5000/app`. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== 'docker.io') return `${ref.domain}/${ref.path}`;
  if (ref.path.startsWith('library/') && ref.path.split('/').length === 2) return ref.path.slice('library/'.length);
  return ref.path;
}

/** FamiliarString: familiar name plus `:tag` and `@digest` when present. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** TagNameOnly: adds `latest` when the reference has neither tag nor digest. */
export function tagNameOnly(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}
