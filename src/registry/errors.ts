/**
 * Registry errors as the OCI Distribution Spec defines them: a code from the spec's table,
 * an HTTP status, a message and an optional detail, sent as
 * `{"errors":[{"code":…,"message":…,"detail":…}]}`.
 *
 * Handlers throw a `RegistryError`; the router turns it (or any Berth error kind, or a
 * foreign error) into that body, so no handler writes an error response by hand.
 */
import { BerthError } from '../lib/errors.js';

/**
 * The spec's codes with the status each is sent with, plus distribution's own
 * `RANGE_INVALID`, `PAGINATION_NUMBER_INVALID` and `TAG_INVALID`, which clients of
 * distribution already know.
 */
export const ERROR_STATUS = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  TAG_INVALID: 400,
  UNKNOWN: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Default messages: distribution's wording, which some clients print verbatim. */
const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNSUPPORTED: 'The operation is unsupported.',
  TOOMANYREQUESTS: 'too many requests',
  RANGE_INVALID: 'invalid content range',
  PAGINATION_NUMBER_INVALID: 'invalid number of results requested',
  TAG_INVALID: 'manifest tag did not match URI',
  UNKNOWN: 'unknown error',
};

/** One error of the registry API; `status` overrides the code's usual status when given. */
export class RegistryError extends Error {
  readonly status: number;
  /** Extra response headers (e.g. `Content-Range` on 416, `WWW-Authenticate` on 401). */
  headers: Record<string, string | number> = {};
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly detail?: unknown,
    status?: number,
  ) {
    super(message ?? DEFAULT_MESSAGE[code]);
    this.name = `RegistryError(${code})`;
    this.status = status ?? ERROR_STATUS[code];
  }

  /** Adds response headers; returns the error for `throw regErr(…).with({…})`. */
  with(headers: Record<string, string | number>): this {
    Object.assign(this.headers, headers);
    return this;
  }

  /** The JSON body the spec prescribes. */
  body(): { errors: { code: string; message: string; detail?: unknown }[] } {
    const e: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return { errors: [e] };
  }
}

/** Shorthand for `new RegistryError(…)`, so handlers read `throw regErr('BLOB_UNKNOWN', …)`. */
export function regErr(code: ErrorCode, message?: string, detail?: unknown, status?: number): RegistryError {
  return new RegistryError(code, message, detail, status);
}

/**
 * Any thrown value as a RegistryError. Berth error kinds from shared code (the content
 * store's digest and size checks) map to the nearest spec code; anything else is UNKNOWN/500.
 */
export function toRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof BerthError) {
    switch (err.kind) {
      case 'InvalidArgument':
        // The content store's only InvalidArgument on a write is a failed digest check.
        return regErr('DIGEST_INVALID', err.message);
      case 'NotFound':
        return regErr('BLOB_UNKNOWN', err.message);
      case 'PermissionDenied':
        return regErr('DENIED', err.message);
      case 'NotImplemented':
        return regErr('UNSUPPORTED', err.message);
      case 'Unavailable':
        return regErr('UNKNOWN', err.message, undefined, 503);
      default:
        break;
    }
  }
  return regErr('UNKNOWN', undefined, undefined, 500);
}
