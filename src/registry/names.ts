/**
 * The grammar of the registry's URLs: repository names, tags and digests as the OCI
 * Distribution Spec defines them. Names become directories under the storage root, so this
 * grammar is also what keeps a request from naming a path outside it (no `..`, no leading
 * `_` that could collide with the storage's own `_layers`/`_manifests` folders).
 */
import { regErr } from './errors.js';

/** `<name>`: path components of lowercase alphanumerics joined by `.`, `_`, `__` or dashes. */
const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** distribution refuses names longer than this (the spec suggests clients stay under it). */
export const MAX_NAME_LENGTH = 255;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** `algorithm ":" encoded`, the spec's general digest grammar. */
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_RE.test(name);
}

/** Throws NAME_INVALID unless `name` is a valid repository name. */
export function checkName(name: string): string {
  if (!isValidName(name)) throw regErr('NAME_INVALID', 'invalid repository name', { name });
  return name;
}

export function isTag(ref: string): boolean {
  return TAG_RE.test(ref);
}

/** Encodings of the algorithms the spec registers; others only need the general grammar. */
const REGISTERED: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };

/** True for anything of the digest grammar (`sha512:…` included), registered algorithms well encoded. */
export function isDigestLike(ref: string): boolean {
  if (!DIGEST_GRAMMAR.test(ref)) return false;
  const [alg, encoded] = ref.split(':') as [string, string];
  return REGISTERED[alg]?.test(encoded) ?? true;
}

/**
 * Throws DIGEST_INVALID unless `d` is a sha256 digest, the one algorithm this registry
 * stores (the content store addresses blobs by sha256 only).
 */
export function checkDigest(d: string | null | undefined): string {
  if (!d || !SHA256_RE.test(d)) {
    const why = d && isDigestLike(d) ? `unsupported digest algorithm in "${d}": only sha256 is supported` : `invalid digest "${d ?? ''}"`;
    throw regErr('DIGEST_INVALID', why, { digest: d ?? '' });
  }
  return d;
}

export function isSha256(d: string): boolean {
  return SHA256_RE.test(d);
}

/** A manifest reference from the URL: a tag, or a digest (any algorithm, checked later). */
export type Reference = { tag: string; digest?: undefined } | { digest: string; tag?: undefined };

/** Parses `<reference>`; a string that is neither a tag nor a digest is TAG_INVALID. */
export function parseReference(ref: string): Reference {
  if (isTag(ref)) return { tag: ref };
  if (isDigestLike(ref)) return { digest: ref };
  throw regErr('TAG_INVALID', `invalid tag or digest "${ref}"`, { reference: ref });
}
