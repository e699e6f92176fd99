/**
 * The legacy builder behind `POST /build` (lecture concept: `docker build` turns a Dockerfile and a
 * context into an image, step by step, the same way every time). One build: receive the context,
 * read and check the Dockerfile, then run the stages up to the target, printing Docker's
 * `Step N/M : …` / ` ---> <id>` lines, and tag the last image. Temporary state — the context on
 * disk, step mounts, intermediate containers — is removed whether the build succeeds or not.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BerthError, invalidArgument } from '../../lib/errors.js';
import { familiarOf, parseReference, referenceString, withDefaultTag } from '../images/reference.js';
import { BuildArgs } from './buildargs.js';
import { BuildContext } from './context.js';
import { Dispatcher, type BuildDeps, type BuildSettings } from './dispatch.js';
import { parseStages, type Instruction, type Stage } from './instructions.js';
import type { BuildOutput } from './output.js';
import { envLookup, lexed } from './expand.js';
import { DockerfileError, parseDockerfile } from './parser.js';
import { ShellLex } from './shell-lex.js';

export interface BuildOptions extends BuildSettings {
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** The tags of a build, checked before anything else (Docker's sanitizeRepoAndTags). */
export function buildTags(tags: string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    if (!t) continue;
    const ref = parseReference(t);
    if (ref.digest !== undefined) throw invalidArgument('build tag cannot contain a digest');
    const s = referenceString(withDefaultTag(ref));
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** Reads and checks the Dockerfile; errors are worded as Docker words them. */
async function readStages(ctx: BuildContext, name: string): Promise<{ stages: Stage[]; metaArgs: Array<Instruction & { name: 'arg' }>; escape: string; warnings: string[] }> {
  const df = await ctx.dockerfile(name);
  let parsed;
  try {
    parsed = parseDockerfile(df.text);
  } catch (err) {
    if (!(err instanceof DockerfileError)) throw err;
    const where = err.message === 'file with no instructions' ? '' : `dockerfile parse error on line ${err.line}: `;
    throw invalidArgument(`failed to parse ${df.name}: ${where}${err.message}`);
  }
  return { ...parseStages(parsed.nodes), escape: parsed.escape, warnings: parsed.warnings };
}

/** Runs a build; returns the image ID. `body` is the context tar (or a lone Dockerfile). */
export async function build(deps: BuildDeps, opts: BuildOptions, body: AsyncIterable<Uint8Array>, out: BuildOutput, signal?: AbortSignal): Promise<string> {
  const tags = buildTags(opts.tags);
  const id = randomBytes(8).toString('hex');
  const ctxDir = path.join(deps.workDir, `ctx-${id}`);
  await fs.mkdir(deps.workDir, { recursive: true, mode: 0o700 });
  try {
    const ctx = await BuildContext.receive(body, ctxDir, deps.host).catch((err: unknown) => {
      throw err instanceof BerthError ? err : invalidArgument(`failed to read the build context: ${(err as Error).message}`);
    });
    const { stages: all, metaArgs, escape, warnings } = await readStages(ctx, opts.dockerfile || 'Dockerfile');
    await ctx.applyIgnore();
    let stages = all;
    if (opts.target) {
      const i = stages.findIndex((s) => s.name === opts.target!.toLowerCase());
      if (i < 0) throw invalidArgument(`target stage "${opts.target}" could not be found`);
      stages = stages.slice(0, i + 1);
    }
    if (stages.length === 0) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
    // `--label`s become LABEL steps at the end of the last stage, in key order, not substituted.
    const last = stages[stages.length - 1]!;
    for (const key of Object.keys(opts.labels).sort()) {
      last.commands.push({ name: 'label', code: `LABEL ${key}=${opts.labels[key]}`, line: 0, pairs: [{ key, value: opts.labels[key]! }], noExpand: true });
    }
    const write = (s: string) => out.text(s);
    for (const w of warnings) write(`[WARNING]: ${w}\n`);
    if (warnings.length) write('[WARNING]: Empty continuation lines will become errors in a future release.\n');
    const d = new Dispatcher(deps, opts, ctx, write, escape, signal, (m) => out.progress(m));
    const total = metaArgs.length + stages.reduce((n, s) => n + 1 + s.commands.length, 0);
    let step = 1;
    const print = (code: string) => write(`Step ${step++}/${total} : ${code}\n`);
    const args = new BuildArgs(opts.buildArgs);
    const lex = new ShellLex(escape);
    for (const meta of metaArgs) {
      print(meta.code);
      const env = [...args.allAllowed()].map(([k, v]) => `${k}=${v}`);
      for (const a of meta.args) {
        const value = a.value === undefined ? undefined : lexed(() => lex.processWord(a.value!, envLookup(env)));
        const key = lexed(() => lex.processWord(a.key, envLookup(env)));
        args.addArg(key, value);
        args.addMetaArg(key, value);
      }
    }
    let imageId = '';
    for (const stage of stages) {
      if (stage.name && d.named.has(stage.name)) throw invalidArgument(`${stage.name} stage name already used`);
      print(stage.code);
      const st = await d.from(stage, args.forStage());
      write(` ---> ${short(st.imageId)}\n`);
      for (const ins of stage.commands) {
        print(ins.code);
        await d.dispatch(st, ins);
        write(` ---> ${short(st.imageId)}\n`);
      }
      if (st.imageId) out.imageId(st.imageId);
      args.mergeReferenced(st.args);
      d.finishStage(st);
      imageId = st.imageId;
    }
    const unused = args.unused();
    if (unused.length) write(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    if (!imageId) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
    write(`Successfully built ${short(imageId)}\n`);
    for (const t of tags) {
      await deps.images.tag(imageId, t);
      write(`Successfully tagged ${familiarOf(t)}\n`);
    }
    out.done(imageId);
    return imageId;
  } finally {
    await fs.rm(ctxDir, { recursive: true, force: true });
  }
}
