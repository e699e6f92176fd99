/**
 * Optional HTTP basic authentication from an htpasswd-style file (`user:hash` per line), the
 * private registry's simplest access control. Every `/v2/` request must then carry valid
 * credentials; without them the answer is 401 UNAUTHORIZED with `WWW-Authenticate: Basic`,
 * which is what makes `docker login` and skopeo send credentials.
 *
 * Hashes understood: bcrypt (`$2y$`, htpasswd -B, what distribution requires; checked with the
 * bcryptjs library, as Node's crypto has no bcrypt), `{SHA}` (htpasswd -s), `$apr1$` and `$1$`
 * MD5-crypt (htpasswd -m) and plain text (htpasswd -p). Other crypt schemes are reported at
 * start-up and never match.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import fs from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { regErr, type RegistryError } from './errors.js';

export const REALM = 'Berth Registry';

type Verifier = (password: Buffer) => boolean;

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(v: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++, v >>= 6) s += ITOA64[v & 0x3f];
  return s;
}

const md5 = (...parts: (Buffer | string)[]) => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** MD5-crypt (Poul-Henning Kamp's algorithm) with `magic` `$1$` or Apache's `$apr1$`. */
export function md5crypt(password: Buffer, salt: string, magic: string): string {
  salt = salt.slice(0, 8);
  const alt = md5(password, salt, password);
  const h = createHash('md5').update(password).update(magic).update(salt);
  for (let n = password.length; n > 0; n -= 16) h.update(alt.subarray(0, Math.min(n, 16)));
  for (let i = password.length; i; i >>= 1) h.update(i & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  let fin = h.digest();
  // 1000 rounds: the algorithm's deliberate slowness.
  for (let i = 0; i < 1000; i++) {
    const r = createHash('md5');
    r.update(i & 1 ? password : fin);
    if (i % 3) r.update(salt);
    if (i % 7) r.update(password);
    r.update(i & 1 ? fin : password);
    fin = r.digest();
  }
  const b = fin;
  const out =
    to64((b[0]! << 16) | (b[6]! << 8) | b[12]!, 4) +
    to64((b[1]! << 16) | (b[7]! << 8) | b[13]!, 4) +
    to64((b[2]! << 16) | (b[8]! << 8) | b[14]!, 4) +
    to64((b[3]! << 16) | (b[9]! << 8) | b[15]!, 4) +
    to64((b[4]! << 16) | (b[10]! << 8) | b[5]!, 4) +
    to64(b[11]!, 2);
  return `${magic}${salt}$${out}`;
}

/** Equal-time comparison of two strings of any lengths. */
function same(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A verifier for one hash, or a reason it cannot be checked. */
function verifierFor(hash: string): Verifier | { unsupported: string } {
  if (hash.startsWith('{SHA}')) {
    const want = hash.slice(5);
    return (pw) => same(createHash('sha1').update(pw).digest('base64'), want);
  }
  const md = /^(\$apr1\$|\$1\$)([^$]{0,8})\$/.exec(hash);
  if (md) return (pw) => same(md5crypt(pw, md[2]!, md[1]!), hash);
  if (/^\$2[abxy]?\$/.test(hash)) return (pw) => bcrypt.compareSync(pw.toString('utf8'), hash);
  if (/^\$[0-9a-z]+\$/.test(hash)) return { unsupported: `crypt scheme ${hash.split('$')[1]}` };
  return (pw) => same(pw, hash);
}

/** The users of an htpasswd file. */
export class Htpasswd {
  private constructor(
    private readonly users: Map<string, Verifier>,
    /** `user: reason` for every entry that can never match (e.g. bcrypt). */
    readonly unsupported: string[],
  ) {}

  static parse(text: string): Htpasswd {
    const users = new Map<string, Verifier>();
    const unsupported: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const i = line.indexOf(':');
      if (i <= 0) continue;
      const user = line.slice(0, i);
      const v = verifierFor(line.slice(i + 1));
      if (typeof v === 'function') users.set(user, v);
      else unsupported.push(`${user}: ${v.unsupported} hashes are not supported`);
    }
    return new Htpasswd(users, unsupported);
  }

  static async load(file: string): Promise<Htpasswd> {
    return Htpasswd.parse(await fs.readFile(file, 'utf8'));
  }

  get size(): number {
    return this.users.size;
  }

  verify(user: string, password: string): boolean {
    const v = this.users.get(user);
    return v ? v(Buffer.from(password, 'utf8')) : false;
  }
}

/** User and password of an `Authorization: Basic …` header, if it is one. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

/** Undefined when `req` may proceed, else the 401 to send. */
export function authenticate(users: Htpasswd, req: IncomingMessage): RegistryError | undefined {
  const creds = parseBasic(req.headers.authorization);
  if (creds && users.verify(creds.user, creds.password)) return undefined;
  return regErr('UNAUTHORIZED', 'authentication required').with({ 'WWW-Authenticate': `Basic realm="${REALM}"` });
}
