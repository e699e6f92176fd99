/**
 * Running one stage's instructions (lecture concept: each Dockerfile instruction makes a new image
 * from the previous one). Every step first substitutes variables, then asks the layer cache, and
 * on a miss makes the new image: metadata instructions directly (no container is needed to change
 * a config), RUN in a container (run.ts), COPY/ADD/WORKDIR in a mounted writable layer
 * (file-steps.ts). What Docker records per step — the `#(nop)` command line — is both the
 * history entry and the cache key.
 */
import { invalidArgument, isKind, notImplemented } from '../../lib/errors.js';
import { containerLayer } from '../containers/commit.js';
import type { ContainerService } from '../containers/service.js';
import type { Host } from '../../host/host.js';
import type { AuthConfig } from '../registry/auth.js';
import type { ImageService } from '../images/service.js';
import type { ImageRuntimeConfig } from '../images/types.js';
import { hostPlatform } from '../images/platform.js';
import { BuildArgs } from './buildargs.js';
import { LayerCache } from './cache.js';
import { applyConfigStep, nopCmd, resolveCmdLine, type ConfigState } from './config-steps.js';
import type { BuildContext } from './context.js';
import { envLookup, expandInstruction, lexed } from './expand.js';
import { copyStep, workdirStep } from './file-steps.js';
import { parseCommand, type Instruction, type Stage } from './instructions.js';
import { parseDockerfile, parseHeredocWord } from './parser.js';
import { removeStep, runStep } from './run.js';
import { ShellLex } from './shell-lex.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuildDeps {
  images: ImageService;
  containers: ContainerService;
  host: Host;
  /** Where contexts and other temporary files of builds go (on disk, under the data root). */
  workDir: string;
  /** Where step mounts go (under the exec root). */
  mountDir: string;
  /**
   * Pulls `name` from its registry (a base image that is missing, or every base image with
   * `pull`), sending Docker's JSON progress messages; `auths` are the client's credentials by
   * registry (X-Registry-Config). Absent: base images must be present.
   */
  pull?: (name: string, auths: Record<string, AuthConfig>, out: (msg: object) => void, signal?: AbortSignal) => Promise<void>;
}

export interface BuildSettings {
  noCache: boolean;
  /** Remove intermediate containers after a successful step (default). */
  rm: boolean;
  /** Remove them after a failed step too. */
  forceRm: boolean;
  pull: boolean;
  /** Credentials for pulling base images, by registry (the X-Registry-Config header). */
  registryAuths?: Record<string, AuthConfig>;
  networkMode?: string;
  extraHosts?: string[];
  /** Resource limits for RUN containers (`memory`, `cpushares`… of the request), as HostConfig fields. */
  resources?: Record<string, number | string>;
}

/** A stage being built. */
export interface StageState {
  name: string;
  /** The image so far; '' while a `FROM scratch` stage has made none. */
  imageId: string;
  cfg: ConfigState;
  args: BuildArgs;
}

const clone = <T>(v: T): T => structuredClone(v);

export class Dispatcher {
  readonly cache: LayerCache;
  private readonly lex: ShellLex;
  /** Finished stages, by lower-case name and in order. */
  readonly named = new Map<string, string>();
  readonly flat: string[] = [];

  constructor(
    readonly deps: BuildDeps,
    readonly settings: BuildSettings,
    readonly ctx: BuildContext,
    readonly write: (text: string) => void,
    escape: string,
    readonly signal?: AbortSignal,
    /** Progress messages of base image pulls, passed through to the client. */
    private readonly progress: (msg: object) => void = () => undefined,
  ) {
    this.cache = new LayerCache(deps.images, settings.noCache);
    this.lex = new ShellLex(escape);
  }

  /** FROM: the stage starts from an earlier stage, an image, or nothing (`scratch`). */
  async from(stage: Stage, args: BuildArgs): Promise<StageState> {
    this.cache.reset();
    const meta = [...args.allMeta()].map(([k, v]) => `${k}=${v}`);
    const name = lexed(() => this.lex.processWord(stage.baseName, envLookup(meta)));
    if (name === '') throw invalidArgument(`base name (${stage.baseName}) should not be blank`);
    const platform = stage.platform ? lexed(() => this.lex.processWord(stage.platform, envLookup(meta))) : '';
    const host = hostPlatform();
    if (platform && platform !== host.os && platform !== `${host.os}/${host.architecture}`) throw notImplemented(`building for platform ${platform} is not implemented`);
    let imageId = '';
    if (this.named.has(name.toLowerCase())) imageId = this.named.get(name.toLowerCase())!;
    else if (name !== 'scratch') imageId = await this.baseImage(name);
    const base = imageId ? this.deps.images.resolve(imageId).config.config : undefined;
    const config: ImageRuntimeConfig = clone(base ?? {});
    if (!(config.Env ?? []).some((e) => e.startsWith('PATH='))) config.Env = [...(config.Env ?? []), DEFAULT_PATH];
    const st: StageState = { name: stage.name, imageId, cfg: { config, cmdSet: false, maintainer: '' }, args };
    const triggers = config.OnBuild ?? [];
    if (triggers.length) {
      config.OnBuild = null;
      this.write(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const t of triggers) {
        const nodes = parseDockerfile(t).nodes;
        if (nodes.length !== 1) throw invalidArgument('onbuild trigger should be a single expression');
        await this.dispatch(st, parseCommand(nodes[0]!));
      }
    }
    return st;
  }

  /** The image a FROM names: pulled when missing (or always with `pull`), as Docker's builder does. */
  private async baseImage(name: string): Promise<string> {
    const pull = this.deps.pull;
    if (!this.settings.pull || !pull) {
      try {
        return this.deps.images.resolve(name).id;
      } catch (err) {
        if (!isKind(err, 'NotFound') || !pull) throw err;
      }
    }
    await pull!(name, this.settings.registryAuths ?? {}, this.progress, this.signal);
    return this.deps.images.resolve(name).id;
  }

  /** Records a finished stage for `FROM <stage>` and `COPY --from`. */
  finishStage(st: StageState): void {
    if (st.name) this.named.set(st.name, st.imageId);
    this.flat.push(st.imageId);
  }

  /** The image `COPY --from=<value>` names: a stage by name or index, else an image. */
  fromImage(value: string): string {
    const byName = this.named.get(value.toLowerCase());
    if (byName !== undefined) return byName;
    if (/^\d+$/.test(value)) {
      const i = Number(value);
      if (i === this.flat.length) throw invalidArgument(`invalid from flag value ${value}: refers to current build stage`);
      if (i > this.flat.length) throw invalidArgument(`invalid from flag value ${value}: index out of bounds`);
      return this.flat[i]!;
    }
    try {
      return this.deps.images.resolve(value).id;
    } catch (err) {
      throw invalidArgument(`invalid from flag value ${value}: ${(err as Error).message}`);
    }
  }

  /** Runs one instruction of the stage. */
  async dispatch(st: StageState, raw: Instruction): Promise<void> {
    if (this.signal?.aborted) throw new Error('Build cancelled');
    const env = st.cfg.config.Env ?? [];
    const ins = expandInstruction(raw, this.lex, envLookup(env, st.args.filterAllowed(env)));
    switch (ins.name) {
      case 'run':
        return this.run(st, ins);
      case 'add':
      case 'copy':
        return copyStep(this, st, ins);
      case 'workdir':
        return workdirStep(this, st, ins);
      case 'arg':
        for (const a of ins.args) st.args.addArg(a.key, a.value);
        return this.commitConfig(st, applyConfigStep(st.cfg, ins));
      default:
        return this.commitConfig(st, applyConfigStep(st.cfg, ins));
    }
  }

  /** Looks the step up in the cache; on a hit the stage moves to the cached image. */
  probe(st: StageState, key: ImageRuntimeConfig): boolean {
    const hit = this.cache.probe(st.imageId, key);
    if (!hit) return false;
    this.write(' ---> Using cache\n');
    st.imageId = hit;
    return true;
  }

  /** Stores a step's image (a layer or none) and moves the stage to it. */
  async commit(st: StageState, key: ImageRuntimeConfig, layer?: AsyncIterable<Uint8Array>, containerId?: string): Promise<void> {
    const img = await this.deps.images.createChild({
      ...(st.imageId ? { parent: st.imageId } : {}),
      ...(layer ? { layer } : {}),
      config: clone(st.cfg.config),
      containerConfig: key,
      ...(containerId ? { containerId } : {}),
      createdBy: (key.Cmd ?? []).join(' '),
      ...(st.cfg.maintainer ? { author: st.cfg.maintainer } : {}),
    });
    st.imageId = img.id;
  }

  /** A metadata step: a new image with the changed config and no layer. */
  private async commitConfig(st: StageState, step: { comment: string; oneArg?: boolean }): Promise<void> {
    const key = { ...clone(st.cfg.config), Cmd: nopCmd(st.cfg.config, step.comment, step.oneArg) };
    if (this.probe(st, key)) return;
    await this.commit(st, key);
  }

  private async run(st: StageState, ins: Instruction & { name: 'run' }): Promise<void> {
    if (ins.flagsUsed.length) throw invalidArgument(`the --${ins.flagsUsed[0]} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`);
    let cmdLine = ins.cmdLine ?? [];
    if (ins.files.length) {
      if (!ins.prependShell || cmdLine.length !== 1) throw invalidArgument('parsing produced an invalid run command');
      // `RUN <<EOF` alone runs the document as the script; otherwise the shell gets the heredocs back.
      const f = ins.files[0]!;
      if (parseHeredocWord(cmdLine[0]!) && ins.files.length === 1) cmdLine = [f.chomp ? f.content.replace(/^\t+/gm, '') : f.content];
      else cmdLine = [cmdLine[0]! + ins.files.map((d) => `\n${d.content}${d.name}`).join('')];
    }
    const config = st.cfg.config;
    const cmd = resolveCmdLine(cmdLine, ins.prependShell, config) ?? [];
    const buildArgs = st.args.filterAllowed(config.Env ?? []);
    // Build args used by the step are part of its identity: `|N K=v … cmd`, sorted.
    const recorded = buildArgs.filter((kv) => st.args.isReferencedOrNotBuiltin(kv.split('=', 1)[0]!)).sort();
    const saveCmd = buildArgs.length ? [`|${recorded.length}`, ...recorded, ...cmd] : cmd;
    const key: ImageRuntimeConfig = { ...clone(config), Cmd: saveCmd, ...(saveCmd.length ? { Entrypoint: null } : {}) };
    if (this.probe(st, key)) return;
    if (!st.imageId) throw invalidArgument(`The command '${cmd.join(' ')}' cannot run: the stage has no file system yet (FROM scratch)`);
    const svc = this.deps.containers;
    const keepFailed = !this.settings.rm && !this.settings.forceRm;
    const rec = await runStep(
      svc,
      { imageId: st.imageId, cmd, env: [...(config.Env ?? []), ...buildArgs], config, networkMode: this.settings.networkMode, extraHosts: this.settings.extraHosts, resources: this.settings.resources, write: this.write, signal: this.signal },
      keepFailed,
    );
    try {
      await this.commit(st, key, containerLayer(svc, rec), rec.Id);
    } finally {
      if (this.settings.rm || this.settings.forceRm) await removeStep(svc, rec, this.write);
    }
  }
}
