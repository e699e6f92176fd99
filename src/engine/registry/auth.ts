/**
 * Registry authentication (lecture concept: `docker login` lets the engine pull private
 * images). Credentials reach the daemon per request, in the `X-Registry-Auth` header as the
 * docker CLI sends them (base64url JSON of an AuthConfig). The registry says how it wants
 * them in a `WWW-Authenticate` challenge on `GET /v2/`:
 *
 * - `Basic realm=…`: the username and password go with every request;
 * - `Bearer realm=…,service=…,scope=…`: a token is fetched from the realm for the scopes an
 *   operation needs (`repository:library/busybox:pull`), with the credentials as basic auth
 *   (or anonymously), or with an identity token as an OAuth2 refresh token, and cached per
 *   scope set until it expires.
 */
import { permissionDenied, unauthenticated } from '../../lib/errors.js';
import { responseError } from './errors.js';
import { readBody, type Transport } from './transport.js';

/** Docker's AuthConfig (api/types/registry), as carried in X-Registry-Auth and POST /auth. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of `username:password` (what config.json stores). */
  auth?: string;
  email?: string;
  serveraddress?: string;
  /** An OAuth2 refresh token from an earlier login. */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
}

/** Decodes X-Registry-Auth; a missing or malformed header means anonymous, as for dockerd. */
export function decodeAuthHeader(header: string | string[] | undefined): AuthConfig {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return {};
  try {
    // Buffer's base64 decoder accepts the URL-safe alphabet and missing padding too.
    const parsed = JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? normalizeAuth(parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The `X-Registry-Config` header of `POST /build`: base64 JSON of every credential the client
 * holds, by registry (`127.0.0.1:5000`, `https://index.docker.io/v1/`). Unreadable is none.
 */
export function decodeRegistryConfig(header: string | string[] | undefined): Record<string, AuthConfig> {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return {};
  try {
    const parsed = JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object') return {};
    const out: Record<string, AuthConfig> = {};
    for (const [k, v] of Object.entries(parsed)) if (v && typeof v === 'object') out[k] = normalizeAuth(v as Record<string, unknown>);
    return out;
  } catch {
    return {};
  }
}

/** The credentials among `auths` for registry `domain` (keys may carry a scheme and path, as the CLI writes them). */
export function authFor(auths: Record<string, AuthConfig>, domain: string): AuthConfig {
  const host = (key: string) => key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const wanted = domain === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [domain];
  for (const [k, v] of Object.entries(auths)) if (wanted.includes(host(k))) return v;
  return {};
}

/** Keeps the known string fields (either case: docker-py and older clients capitalize). */
export function normalizeAuth(raw: Record<string, unknown>): AuthConfig {
  const out: AuthConfig = {};
  const keys: Array<keyof AuthConfig> = ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'];
  for (const [k, v] of Object.entries(raw)) {
    const key = k.toLowerCase() as keyof AuthConfig;
    if (keys.includes(key) && typeof v === 'string' && v) out[key] = v;
  }
  return out;
}

/** Username and password, from the fields or from `auth`. */
export function basicCredentials(a: AuthConfig): { username: string; password: string } | undefined {
  if (a.username && a.password) return { username: a.username, password: a.password };
  if (a.auth) {
    const s = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = s.indexOf(':');
    if (i > 0) return { username: s.slice(0, i), password: s.slice(i + 1) };
  }
  return undefined;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate` (RFC 7235: schemes with comma-separated, possibly quoted params). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  const isTok = (ch: string | undefined) => ch !== undefined && /[A-Za-z0-9!#$%&'*+.^_`|~-]/.test(ch);
  for (const h of Array.isArray(header) ? header : header ? [header] : []) {
    let cur: Challenge | undefined;
    let i = 0;
    while (i < h.length) {
      while (h[i] === ' ' || h[i] === ',' || h[i] === '\t') i++;
      const start = i;
      while (isTok(h[i])) i++;
      if (i === start) {
        i++; // a stray character: skip it
        continue;
      }
      const tok = h.slice(start, i);
      while (h[i] === ' ') i++;
      if (h[i] !== '=') {
        cur = { scheme: tok.toLowerCase(), params: {} };
        out.push(cur);
        continue;
      }
      i++;
      while (h[i] === ' ') i++;
      let value = '';
      if (h[i] === '"') {
        for (i++; i < h.length && h[i] !== '"'; i++) value += h[i] === '\\' ? h[++i] ?? '' : h[i];
        i++;
      } else {
        const v0 = i;
        while (i < h.length && h[i] !== ',' && h[i] !== ' ') i++;
        value = h.slice(v0, i);
      }
      if (cur) cur.params[tok.toLowerCase()] = value;
    }
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Holds one operation's credentials and the tokens fetched with them. */
export class Authorizer {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly transport: Transport,
    readonly auth: AuthConfig,
    private readonly insecureTls: boolean,
  ) {}

  /** Remembers the challenge of a `/v2/` answer (none: the registry wants no credentials). */
  setChallenge(header: string | string[] | undefined): void {
    const all = parseChallenges(header);
    this.challenge = all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** Forgets the token of `scopes` (the registry refused it). */
  invalidate(scopes: string[]): void {
    this.tokens.delete(scopes.slice().sort().join(' '));
  }

  /**
   * The Authorization header for a request needing `scopes`, fetching a token if needed.
   * `requestLine` names the request in the `no basic auth credentials` error, as dockerd does.
   */
  async header(scopes: string[], signal: AbortSignal | undefined, requestLine: string): Promise<string | undefined> {
    if (this.auth.registrytoken) return `Bearer ${this.auth.registrytoken}`;
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const creds = basicCredentials(this.auth);
      // dockerd reports this as a plain failure rather than a 401: the docker CLI then shows
      // the message instead of starting an interactive login.
      if (!creds) throw permissionDenied(`${requestLine}: no basic auth credentials`);
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    if (c.scheme !== 'bearer') return undefined;
    const key = scopes.slice().sort().join(' ');
    const hit = this.tokens.get(key);
    if (hit && hit.expiresAt > Date.now()) return `Bearer ${hit.token}`;
    const t = await this.fetchToken(c, scopes, signal);
    this.tokens.set(key, t);
    return `Bearer ${t.token}`;
  }

  private async fetchToken(c: Challenge, scopes: string[], signal: AbortSignal | undefined): Promise<CachedToken> {
    const realm = c.params['realm'];
    if (!realm) throw unauthenticated('bearer challenge without a realm');
    const url = new URL(realm);
    const creds = basicCredentials(this.auth);
    const headers: Record<string, string> = {};
    let res;
    if (this.auth.identitytoken) {
      // OAuth2 refresh-token grant, as docker does after a login that returned an identity token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.auth.identitytoken, client_id: 'docker', service: c.params['service'] ?? '' });
      if (scopes.length) form.set('scope', scopes.join(' '));
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      res = await this.transport.send({ method: 'POST', url, headers, body: Buffer.from(form.toString()), signal, insecureTls: this.insecureTls });
    } else {
      if (c.params['service']) url.searchParams.set('service', c.params['service']);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds) {
        url.searchParams.set('account', creds.username);
        headers['Authorization'] = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
      res = await this.transport.send({ method: 'GET', url, headers, signal, insecureTls: this.insecureTls });
    }
    if (res.statusCode !== 200) throw await responseError(res);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse((await readBody(res, 1 << 20)).toString('utf8')) as typeof body;
    } catch {
      throw unauthenticated(`token server ${url.origin} sent an unreadable answer`);
    }
    const token = body.token || body.access_token;
    if (!token) throw unauthenticated(`token server ${url.origin} sent no token`);
    // Renew a little early; 60 s is the minimum the distribution spec lets servers assume.
    const ttl = Math.max(60, Number(body.expires_in) || 60);
    return { token, expiresAt: Date.now() + (ttl - 10) * 1000 };
  }
}
