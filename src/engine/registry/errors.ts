/**
 * Registry error responses (distribution's errcode: `{"errors":[{"code","message","detail"}]}`)
 * and their translation into Berth's error kinds with dockerd's wording, which users and
 * scripts match (`manifest for x:y not found: manifest unknown: manifest unknown`,
 * `pull access denied for x, repository does not exist or may require 'docker login'`).
 */
import http from 'node:http';
import { BerthError, type ErrorKind } from '../../lib/errors.js';
import { familiarName, familiarString, type Reference } from '../images/reference.js';
import { readBody } from './transport.js';

/** An error answer from a registry; `code` is the errcode (`MANIFEST_UNKNOWN`, …) when it sent one. */
export class RegistryError extends BerthError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly status: number,
    readonly code?: string,
    /** The registry's own message, without the code prefix. */
    readonly detail?: string,
  ) {
    super(kind, message);
  }
}

function kindFor(status: number, code?: string): ErrorKind {
  if (code === 'UNAUTHORIZED' || status === 401) return 'Unauthenticated';
  if (code === 'DENIED' || status === 403) return 'PermissionDenied';
  if (status === 404 || code === 'MANIFEST_UNKNOWN' || code === 'NAME_UNKNOWN' || code === 'BLOB_UNKNOWN') return 'NotFound';
  if (status === 429 || status >= 500) return 'Unavailable';
  return 'InvalidArgument';
}

/** errcode's text: the code in lower case with spaces, then the message (`manifest unknown: manifest unknown`). */
function errcodeText(code: string, message: string): string {
  const c = code.toLowerCase().replace(/_/g, ' ');
  return message ? `${c}: ${message}` : c;
}

/** Builds the error for a non-success response (reads and consumes its body). */
export async function responseError(res: http.IncomingMessage): Promise<RegistryError> {
  const status = res.statusCode ?? 0;
  const body = await readBody(res, 64 << 10).catch(() => Buffer.alloc(0));
  let first: { code?: unknown; message?: unknown } | undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown; message?: unknown }>; details?: unknown };
    first = parsed.errors?.[0];
    // Token servers often answer `{"details": "..."}` instead of errcode.
    if (!first && typeof parsed.details === 'string') first = { code: status === 401 ? 'UNAUTHORIZED' : 'UNKNOWN', message: parsed.details };
  } catch {
    // Not JSON: only the status is known.
  }
  if (first && typeof first.code === 'string') {
    const message = typeof first.message === 'string' ? first.message : '';
    return new RegistryError(kindFor(status, first.code), errcodeText(first.code, message), status, first.code, message);
  }
  if (status === 401) return new RegistryError('Unauthenticated', errcodeText('UNAUTHORIZED', 'authentication required'), status, 'UNAUTHORIZED', 'authentication required');
  return new RegistryError(kindFor(status), `received unexpected HTTP status: ${status} ${http.STATUS_CODES[status] ?? ''}`.trim(), status);
}

/**
 * dockerd's translatePullError: what a failed manifest or blob request means for the whole
 * pull. Denied, unknown manifest and unknown repository become NotFound (the docker CLI then
 * says so plainly); anything else keeps its kind and message.
 */
export function translatePullError(err: unknown, ref: Reference): unknown {
  if (!(err instanceof RegistryError) || !err.code) return err;
  const cause = err.message;
  switch (err.code) {
    case 'DENIED':
      return new BerthError('NotFound', `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${cause}`);
    case 'MANIFEST_UNKNOWN':
      return new BerthError('NotFound', `manifest for ${familiarString(ref)} not found: ${cause}`);
    case 'NAME_UNKNOWN':
      return new BerthError('NotFound', `repository ${familiarName(ref)} not found: ${cause}`);
    default:
      return err;
  }
}

/** True for failures that another attempt may cure (connection trouble, 5xx, 429). */
export function isRetryable(err: unknown): boolean {
  if (err instanceof RegistryError) return err.status >= 500 || err.status === 429;
  if (err instanceof BerthError) return err.kind === 'Unavailable';
  return true; // transport errors, premature ends of a body
}
