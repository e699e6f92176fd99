/**
 * The container lifecycle as an explicit state machine (ARCHITECTURE principle 6):
 *
 *   created ──start──▶ running ──pause──▶ paused ──unpause──▶ running
 *      ▲                  │  ▲                                  │
 *      │               (exit) └──────────restart policy────────┘
 *      │                  ▼
 *      └──── start ─── exited ──rm──▶ removing ──▶ (gone)
 *
 * `restarting` is running's twin while a restart policy waits to start the process again;
 * `dead` marks a container whose removal failed half-way. Every verb asks `check` first, so a
 * refusal always names the state the container is in.
 */
import { conflict } from '../../lib/errors.js';

export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'dead';

export type Verb = 'start' | 'stop' | 'kill' | 'pause' | 'unpause' | 'remove' | 'exec' | 'attach' | 'rename' | 'restart';

const allowed: Record<Verb, Status[]> = {
  start: ['created', 'exited'],
  stop: ['running', 'paused', 'restarting'],
  kill: ['running', 'paused', 'restarting'],
  pause: ['running'],
  unpause: ['paused'],
  remove: ['created', 'exited', 'dead'],
  exec: ['running'],
  attach: ['created', 'running', 'exited'],
  rename: ['created', 'running', 'paused', 'restarting', 'exited', 'dead'],
  restart: ['created', 'running', 'paused', 'exited', 'restarting'],
};

export function can(verb: Verb, status: Status): boolean {
  return allowed[verb].includes(status);
}

/** Docker's wording for verbs refused in a given state. */
export function refusal(verb: Verb, status: Status, id: string): string {
  switch (verb) {
    case 'pause':
      return status === 'paused' ? `Container ${id} is already paused` : `Container ${id} is not running`;
    case 'unpause':
      return `Container ${id} is not paused`;
    case 'kill':
      return `Cannot kill container: ${id}: Container ${id} is not running`;
    case 'exec':
      return status === 'paused' ? `Container ${id} is paused, unpause the container before exec` : `Container ${id} is not running`;
    case 'remove':
      return status === 'paused'
        ? `cannot remove container "${id}": container is paused and must be unpaused first`
        : `cannot remove container "${id}": container is ${status === 'removing' ? 'being removed' : status}: stop the container before removing or force remove`;
    default:
      return `Cannot ${verb} container ${id}: container is ${status}`;
  }
}

/** Throws Conflict with Docker's wording unless `verb` is allowed in `status`. */
export function check(verb: Verb, status: Status, id: string): void {
  if (!can(verb, status)) throw conflict(refusal(verb, status, id));
}
