/**
 * The closed set of error kinds every layer of Berth speaks.
 *
 * Code below the edges throws a `BerthError` with one of these kinds; only the edges
 * (Docker API, Kubernetes API, CLI) translate a kind into a status code, a Status object
 * or an exit code. Callers branch on `kind`, never on the message text.
 */
export type ErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'Conflict'
  | 'FailedPrecondition'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'NotImplemented'
  | 'Unavailable'
  | 'Expired'
  | 'Internal';

export class BerthError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = `BerthError(${kind})`;
  }
}

export const notFound = (msg: string) => new BerthError('NotFound', msg);
export const alreadyExists = (msg: string) => new BerthError('AlreadyExists', msg);
export const invalidArgument = (msg: string) => new BerthError('InvalidArgument', msg);
export const conflict = (msg: string) => new BerthError('Conflict', msg);
export const failedPrecondition = (msg: string) => new BerthError('FailedPrecondition', msg);
/** The request is understood but refused by rule (Docker's and Kubernetes' 403). */
export const permissionDenied = (msg: string) => new BerthError('PermissionDenied', msg);
/** Credentials are missing or were rejected (Docker's and Kubernetes' 401). */
export const unauthenticated = (msg: string) => new BerthError('Unauthenticated', msg);
export const notImplemented = (msg: string) => new BerthError('NotImplemented', msg);
export const unavailable = (msg: string) => new BerthError('Unavailable', msg);
/**
 * What was asked for existed once but is gone for good: a store revision older than the last
 * compaction (Kubernetes' 410 Gone, reason Expired). Callers start over from the present.
 */
export const expired = (msg: string) => new BerthError('Expired', msg);
export const internal = (msg: string, cause?: unknown) => new BerthError('Internal', msg, { cause });

/** True when `err` is a BerthError of the given kind. */
export function isKind(err: unknown, kind: ErrorKind): err is BerthError {
  return err instanceof BerthError && err.kind === kind;
}

/** The kind of any thrown value; foreign errors count as Internal. */
export function kindOf(err: unknown): ErrorKind {
  return err instanceof BerthError ? err.kind : 'Internal';
}

/** A message for any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
