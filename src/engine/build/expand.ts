/**
 * Which parts of which instruction get `$VAR` substitution, per Docker's rules: names and values
 * of ENV, LABEL and ARG; WORKDIR, USER, VOLUME, STOPSIGNAL; the sources, destination and
 * `--chown`/`--chmod` of COPY and ADD; and EXPOSE, whose words may expand to several ports. RUN,
 * CMD, ENTRYPOINT, SHELL, HEALTHCHECK and ONBUILD are left to the shell or to later.
 */
import { invalidArgument } from '../../lib/errors.js';
import type { Instruction } from './instructions.js';
import { LexError, ShellLex, type EnvLookup } from './shell-lex.js';

/** An env lookup over `KEY=value` lists; earlier lists win (the image's ENV over build args). */
export function envLookup(...lists: string[][]): EnvLookup {
  const m = new Map<string, string>();
  for (const list of [...lists].reverse()) {
    for (const kv of list) {
      const eq = kv.indexOf('=');
      m.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? '' : kv.slice(eq + 1));
    }
  }
  return (name) => m.get(name);
}

/** Runs `fn`, turning substitution errors into InvalidArgument with Docker's words. */
export function lexed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LexError) throw invalidArgument(err.message);
    throw err;
  }
}

/** A copy of `ins` with variables substituted from `env`. */
export function expandInstruction(ins: Instruction, lex: ShellLex, env: EnvLookup): Instruction {
  const w = (s: string) => lex.processWord(s, env);
  return lexed((): Instruction => {
    switch (ins.name) {
      case 'env':
        return { ...ins, pairs: ins.pairs.map((p) => ({ key: w(p.key), value: w(p.value) })) };
      case 'label':
        return ins.noExpand ? ins : { ...ins, pairs: ins.pairs.map((p) => ({ key: w(p.key), value: w(p.value) })) };
      case 'arg':
        return { ...ins, args: ins.args.map((a) => ({ key: w(a.key), ...(a.value !== undefined ? { value: w(a.value) } : {}) })) };
      case 'add':
      case 'copy':
        return { ...ins, sources: ins.sources.map(w), dest: w(ins.dest), chown: w(ins.chown), chmod: w(ins.chmod), checksum: w(ins.checksum) };
      case 'workdir':
        return { ...ins, path: w(ins.path) };
      case 'user':
        return { ...ins, user: w(ins.user) };
      case 'volume':
        return { ...ins, volumes: ins.volumes.map(w) };
      case 'stopsignal':
        return { ...ins, signal: w(ins.signal) };
      case 'expose':
        return { ...ins, ports: ins.ports.flatMap((p) => lex.processWords(p, env)) };
      default:
        return ins;
    }
  });
}
