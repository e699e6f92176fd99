/**
 * Registry credentials in the client configuration file, shared with the docker CLI
 * (`$DOCKER_CONFIG/config.json` `auths`, keyed by registry host, Docker Hub as
 * `https://index.docker.io/v1/`, each entry `{"auth": base64("user:pass")}`), and the
 * `X-Registry-Auth` header that carries them to the daemon (base64url JSON of an AuthConfig),
 * as docker's cli/config and registry packages do. Credential helpers (`credsStore`,
 * `credHelpers`) are not run: entries go to and come from the file itself.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { configDir } from './config.js';

/** The key Docker Hub's credentials are stored under. */
export const INDEX_SERVER = 'https://index.docker.io/v1/';

/** What X-Registry-Auth and POST /auth carry (api/types/registry.AuthConfig). */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export function configFile(): string {
  return path.join(configDir(), 'config.json');
}

/** `https://host:port/path` → `host:port` (credentials.ConvertToHostname). */
export function convertToHostname(s: string): string {
  const noScheme = s.replace(/^https?:\/\//, '');
  return noScheme.split('/')[0] ?? noScheme;
}

/** The config key for a registry domain, or for a server address given to `login`/`logout`. */
export function authKey(server: string | undefined): string {
  if (!server || server === INDEX_SERVER || server === 'docker.io') return INDEX_SERVER;
  const host = convertToHostname(server);
  return host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io' ? INDEX_SERVER : host;
}

type Raw = Record<string, unknown> & { auths?: Record<string, Record<string, unknown>> };

/** The whole config file (unknown keys kept); missing means empty, malformed is an error. */
function readRaw(): Raw {
  let text: string;
  try {
    text = readFileSync(configFile(), 'utf8');
  } catch {
    return {};
  }
  if (!text.trim()) return {};
  try {
    const raw = JSON.parse(text) as unknown;
    return raw && typeof raw === 'object' ? (raw as Raw) : {};
  } catch (e) {
    throw new Error(`Error loading config file ${configFile()}: ${(e as Error).message}`);
  }
}

/** The stored credentials for `key` (also found under legacy `https://host/…` keys). */
export function storedAuth(key: string): AuthConfig {
  let auths: Raw['auths'];
  try {
    auths = readRaw().auths;
  } catch {
    return {};
  }
  if (!auths) return {};
  const entry = auths[key] ?? Object.entries(auths).find(([k]) => key !== INDEX_SERVER && convertToHostname(k) === key)?.[1];
  if (!entry) return {};
  const out: AuthConfig = { serveraddress: key };
  if (typeof entry['auth'] === 'string' && entry['auth']) {
    const plain = Buffer.from(entry['auth'], 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) {
      out.username = plain.slice(0, i);
      out.password = plain.slice(i + 1);
    }
  }
  if (typeof entry['identitytoken'] === 'string' && entry['identitytoken']) out.identitytoken = entry['identitytoken'];
  return out;
}

/** X-Registry-Auth for an image on registry `domain` (always sent, `{}` when anonymous, as docker does). */
export function registryAuthHeader(domain: string): Record<string, string> {
  const a = storedAuth(authKey(domain));
  // base64.URLEncoding with padding: what Go's decoder in dockerd requires.
  const b64 = Buffer.from(JSON.stringify(a)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return { 'X-Registry-Auth': b64 };
}

/** X-Registry-Config for a build: every stored credential, by registry (docker build sends them all). */
export function registryConfigHeader(): Record<string, string> {
  let keys: string[] = [];
  try {
    keys = Object.keys(readRaw().auths ?? {});
  } catch {
    // An unreadable config file gives no credentials here; commands that need them say why.
  }
  const all: Record<string, AuthConfig> = {};
  for (const k of keys) all[k] = storedAuth(k);
  return { 'X-Registry-Config': Buffer.from(JSON.stringify(all)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_') };
}

/** Writes the config file atomically, mode 0600, keeping its other settings. */
async function writeRaw(raw: Raw): Promise<void> {
  const file = configFile();
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fsp.writeFile(tmp, `${JSON.stringify(raw, null, '\t')}\n`, { mode: 0o600 });
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Stores `user:pass` (or an identity token) for `key`. */
export async function storeAuth(key: string, a: AuthConfig): Promise<void> {
  const raw = readRaw();
  const entry: Record<string, unknown> = {};
  if (a.identitytoken) entry['identitytoken'] = a.identitytoken;
  else entry['auth'] = Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64');
  raw.auths = { ...(raw.auths ?? {}), [key]: entry };
  await writeRaw(raw);
}

/** Removes the entries under `keys`; false when there was none. */
export async function eraseAuth(keys: string[]): Promise<boolean> {
  const raw = readRaw();
  const auths = { ...(raw.auths ?? {}) };
  let found = false;
  for (const k of keys) {
    if (k in auths) {
      delete auths[k];
      found = true;
    }
  }
  if (!found) return false;
  raw.auths = auths;
  await writeRaw(raw);
  return true;
}
