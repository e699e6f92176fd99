/**
 * Docker Engine API version handling: the `/vX.Y` prefix, the supported range, and the
 * headers every response carries (docker-engine-api notes §3.3).
 */
export const MIN_API_VERSION = '1.24';
export const MAX_API_VERSION = '1.44';
export const ENGINE_VERSION = '0.1.0';

/** "1.44" → 1.44 as a comparable number (minor versions here stay below 100). */
export function versionNumber(v: string): number {
  const [maj, min] = v.split('.').map((x) => parseInt(x, 10));
  return (maj ?? 0) + (min ?? 0) / 100;
}

export interface VersionedPath {
  path: string;
  version: string;
}

/** Splits `/v1.41/containers/json` into version and path; unversioned paths get the maximum. */
export function splitVersion(rawPath: string): VersionedPath {
  const m = /^\/v([0-9][0-9.]*)(\/.*)$/.exec(rawPath);
  if (!m) return { path: rawPath, version: MAX_API_VERSION };
  return { path: m[2]!, version: m[1]! };
}

/** Docker's wording for an out-of-range client version, or undefined when it is supported. */
export function versionError(v: string): string | undefined {
  if (!/^\d+\.\d+$/.test(v)) return `invalid API version: ${v}`;
  const n = versionNumber(v);
  if (n < versionNumber(MIN_API_VERSION))
    return `client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  if (n > versionNumber(MAX_API_VERSION)) return `client version ${v} is too new. Maximum supported API version is ${MAX_API_VERSION}`;
  return undefined;
}

export const commonHeaders = {
  'Api-Version': MAX_API_VERSION,
  Server: `Berth/${ENGINE_VERSION} (linux)`,
  Ostype: 'linux',
  'Docker-Experimental': 'false',
};
