/**
 * How a `berth` command fails: every failure ends as a message on stderr and an exit code,
 * with docker's codes (1 for daemon and argument errors, 125 for flag errors and for
 * `run`'s own failures, 126/127 when the container command cannot be invoked or found).
 */

/** A failure with a message for stderr (may be empty) and the process exit code. */
export class StatusError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * A bad flag value, worded like pflag: `invalid argument "12zz" for "-m, --memory" flag: …`.
 * The command layer adds the usage lines and exits 125.
 */
export class FlagValueError extends Error {}

/** Builds the pflag message for an invalid value of the flag labelled `label`. */
export function invalidFlagValue(label: string, value: string, reason: string): FlagValueError {
  return new FlagValueError(`invalid argument "${value}" for "${label}" flag: ${reason}`);
}
