/**
 * Build arguments (lecture concept: `ARG` declares a variable the user may set with
 * `--build-arg`; unlike ENV it does not stay in the image). Docker's rules: an ARG is usable only
 * after it is declared in the stage (ARGs before the first FROM only by FROM, or by a stage that
 * redeclares them without a value); a `--build-arg` value overrides the default; the proxy
 * variables are predefined and usable without ARG, but stay out of the image history unless
 * declared; values given but never declared are reported at the end.
 */

export const BUILTIN_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

export class BuildArgs {
  /** Declared in the current stage: name → default (undefined when declared without one). */
  private allowed = new Map<string, string | undefined>();
  /** Declared before the first FROM. */
  private meta = new Map<string, string | undefined>();
  /** Declared anywhere in the build (for the unused-args warning). */
  readonly referenced = new Set<string>();

  /** `fromOptions`: the `buildargs` of the request (null: named without a value). */
  constructor(readonly fromOptions: Record<string, string | null>) {}

  /** A copy for a new stage: meta args and references kept, stage declarations cleared. */
  forStage(): BuildArgs {
    const b = new BuildArgs(this.fromOptions);
    b.meta = new Map(this.meta);
    for (const r of this.referenced) b.referenced.add(r);
    return b;
  }

  addArg(key: string, value: string | undefined): void {
    this.allowed.set(key, value);
    this.referenced.add(key);
  }

  addMetaArg(key: string, value: string | undefined): void {
    this.meta.set(key, value);
  }

  /** Declarations of another stage count as uses for the final warning. */
  mergeReferenced(other: BuildArgs): void {
    for (const r of other.referenced) this.referenced.add(r);
  }

  /** Docker's lookup: a given `--build-arg` wins, then the declared default, then the meta ARG's. */
  private all(source: Map<string, string | undefined>): Map<string, string> {
    const out = new Map<string, string>();
    for (const key of new Set([...source.keys(), ...BUILTIN_ARGS])) {
      const opt = this.fromOptions[key];
      if (opt !== undefined && opt !== null) out.set(key, opt);
      else if (source.get(key) !== undefined) out.set(key, source.get(key)!);
      else if (this.meta.get(key) !== undefined) out.set(key, this.meta.get(key)!);
    }
    return out;
  }

  /** Values usable by this stage's instructions. */
  allAllowed(): Map<string, string> {
    return this.all(this.allowed);
  }

  /** Values usable by FROM. */
  allMeta(): Map<string, string> {
    return this.all(this.meta);
  }

  /** `KEY=value` for allowed args that the config ENV does not already set. */
  filterAllowed(env: string[]): string[] {
    const set = new Set(env.map((e) => e.split('=', 1)[0]));
    return [...this.allAllowed()].filter(([k]) => !set.has(k)).map(([k, v]) => `${k}=${v}`);
  }

  /** A proxy variable that was not declared is left out of the RUN step's recorded command. */
  isReferencedOrNotBuiltin(key: string): boolean {
    return this.allowed.has(key) || !BUILTIN_ARGS.has(key);
  }

  /** Build args given but never declared (the warning at the end of a build). */
  unused(): string[] {
    return Object.keys(this.fromOptions)
      .filter((k) => !this.referenced.has(k) && !BUILTIN_ARGS.has(k))
      .sort();
  }
}
