/**
 * Dockerfile-style config changes for `docker commit -c` and `docker import -c` (lecture concept:
 * CMD, ENTRYPOINT, ENV… are image config, not file system content). As in Docker, the changes
 * are parsed as a small Dockerfile and run through the same metadata steps as a build, with
 * `$VAR` taken from the config's own ENV; only CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL,
 * ONBUILD, STOPSIGNAL, USER, VOLUME and WORKDIR are accepted.
 */
import { invalidArgument } from '../../lib/errors.js';
import type { ImageRuntimeConfig } from '../images/types.js';
import { applyConfigStep, type ConfigState } from './config-steps.js';
import { envLookup, expandInstruction } from './expand.js';
import { InstructionError, parseCommand, type Instruction } from './instructions.js';
import { parseDockerfile, type ParseResult } from './parser.js';
import { ShellLex } from './shell-lex.js';

const VALID = new Set(['cmd', 'entrypoint', 'healthcheck', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/** Applies `changes` (each possibly several lines) to a copy of `base`; bad changes are InvalidArgument. */
export function applyChanges(base: ImageRuntimeConfig, changes: string[]): ImageRuntimeConfig {
  const state: ConfigState = { config: structuredClone(base), cmdSet: false, maintainer: '' };
  if (changes.length === 0) return state.config;
  let parsed: ParseResult;
  try {
    parsed = parseDockerfile(changes.join('\n'));
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
  const commands: Instruction[] = [];
  for (const n of parsed.nodes) {
    if (!VALID.has(n.cmd.toLowerCase())) throw invalidArgument(`${n.cmd} is not a valid change command`);
    try {
      commands.push(parseCommand(n));
    } catch (err) {
      throw err instanceof InstructionError ? invalidArgument(err.detail) : err;
    }
  }
  const lex = new ShellLex(parsed.escape);
  for (const ins of commands) applyConfigStep(state, expandInstruction(ins, lex, envLookup(state.config.Env ?? [])));
  return state.config;
}
