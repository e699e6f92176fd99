/**
 * The instructions that change only an image's config, not its files (lecture concept: ENV, CMD,
 * ENTRYPOINT, LABEL, EXPOSE… are metadata; only RUN, COPY, ADD and WORKDIR touch the file
 * system). Shared by the builder and by `commit -c` / `import -c`, which Docker also runs through
 * its Dockerfile dispatchers. Each step returns the text Docker records in the image history
 * (`#(nop)  CMD ["sh"]`), which is also what the layer cache compares.
 */
import { constants } from 'node:os';
import path from 'node:path';
import { invalidArgument } from '../../lib/errors.js';
import type { ImageRuntimeConfig } from '../images/types.js';
import type { HealthConfig, Instruction } from './instructions.js';

/** What a stage's dispatch keeps between instructions. */
export interface ConfigState {
  config: ImageRuntimeConfig;
  /** A CMD was given in this stage (a later ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  maintainer: string;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Go's `%q` of a string slice: `["a" "b"]`. */
export function goQuoteList(list: string[] | null | undefined): string {
  return `[${(list ?? []).map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Go's time.Duration.String(), for the HEALTHCHECK history line. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const trim = (v: number) => String(Number(v.toFixed(9)));
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns % 3600e9) / 60e9);
  const s = trim((ns % 60e9) / 1e9);
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

function healthText(h: HealthConfig): string {
  const d = (v?: number) => JSON.stringify(goDuration(v ?? 0));
  const retries = `'\\x${(h.Retries ?? 0).toString(16).padStart(2, '0')}'`;
  return `&{${goQuoteList(h.Test)} ${d(h.Interval)} ${d(h.Timeout)} ${d(h.StartPeriod)} ${d(h.StartInterval)} ${retries}}`;
}

/** The shell a shell-form command runs under. */
export function shellOf(config: ImageRuntimeConfig): string[] {
  return config.Shell && config.Shell.length ? [...config.Shell] : [...DEFAULT_SHELL];
}

/** A command line in exec form: the stage's shell in front of a shell-form one. */
export function resolveCmdLine(cmdLine: string[] | null, prependShell: boolean, config: ImageRuntimeConfig): string[] | null {
  if (cmdLine === null) return null;
  return prependShell ? [...shellOf(config), ...cmdLine] : cmdLine;
}

/** `80`, `80/udp`, `8000-8010/tcp` or `ip:host:container` → `port/proto` keys. */
export function exposedPorts(spec: string): string[] {
  const container = spec.includes(':') ? spec.slice(spec.lastIndexOf(':') + 1) : spec;
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(container);
  if (!m) throw invalidArgument(`invalid containerPort: ${container}`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (lo < 0 || hi > 65535) throw invalidArgument(`invalid containerPort: ${container}`);
  if (hi < lo) throw invalidArgument(`invalid range specified for container port: ${container}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

/** Checks a STOPSIGNAL value the way Docker's signal.ParseSignal does. */
export function checkSignal(sig: string): void {
  const n = /^\d+$/.test(sig) ? Number(sig) : constants.signals[(sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`) as keyof typeof constants.signals];
  if (n === undefined || n < 1 || n > 64) throw invalidArgument(`Invalid signal: ${sig}`);
}

/** WORKDIR: relative paths are taken from the current one. */
export function normalizeWorkdir(current: string, requested: string): string {
  if (requested === '') throw invalidArgument('cannot normalize nothing');
  return requested.startsWith('/') ? path.posix.normalize(requested).replace(/(.)\/$/, '$1') : path.posix.join('/', current, requested);
}

/**
 * Applies a metadata instruction (variables already substituted) to `s`; returns the history
 * comment and whether Docker writes it as one argument (`#(nop) WORKDIR /x`) or two.
 * Instructions that touch files (RUN, COPY, ADD) are not handled here.
 */
export function applyConfigStep(s: ConfigState, ins: Instruction): { comment: string; oneArg?: boolean } {
  const c = s.config;
  switch (ins.name) {
    case 'env': {
      const env = [...(c.Env ?? [])];
      for (const { key, value } of ins.pairs) {
        const i = env.findIndex((e) => e.split('=', 1)[0] === key);
        if (i >= 0) env[i] = `${key}=${value}`;
        else env.push(`${key}=${value}`);
      }
      c.Env = env;
      return { comment: `ENV ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}` };
    }
    case 'maintainer':
      s.maintainer = ins.maintainer;
      return { comment: `MAINTAINER ${ins.maintainer}` };
    case 'label':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const { key, value } of ins.pairs) c.Labels[key] = value;
      return { comment: `LABEL ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}` };
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), ins.expression];
      return { comment: `ONBUILD ${ins.expression}` };
    case 'cmd': {
      const cmd = resolveCmdLine(ins.cmdLine, ins.prependShell, c);
      c.Cmd = cmd;
      if (ins.cmdLine && ins.cmdLine.length) s.cmdSet = true;
      return { comment: `CMD ${goQuoteList(cmd)}` };
    }
    case 'entrypoint': {
      const ep = resolveCmdLine(ins.cmdLine, ins.prependShell, c);
      c.Entrypoint = ep;
      // A new ENTRYPOINT drops an inherited CMD unless this stage set one.
      if (!s.cmdSet) c.Cmd = null;
      return { comment: `ENTRYPOINT ${goQuoteList(ep)}` };
    }
    case 'healthcheck':
      c.Healthcheck = ins.health;
      return { comment: `HEALTHCHECK ${healthText(ins.health)}` };
    case 'expose': {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const p of ins.ports) for (const k of exposedPorts(p)) ports[k] = {};
      c.ExposedPorts = ports;
      return { comment: `EXPOSE ${ins.ports.join(' ')}` };
    }
    case 'user':
      c.User = ins.user;
      return { comment: `USER ${ins.user}` };
    case 'volume': {
      const vols = { ...(c.Volumes ?? {}) };
      for (const v of ins.volumes) {
        if (v === '') throw invalidArgument('VOLUME specified can not be an empty string');
        vols[v] = {};
      }
      c.Volumes = vols;
      return { comment: `VOLUME [${ins.volumes.join(' ')}]` };
    }
    case 'stopsignal':
      checkSignal(ins.signal);
      c.StopSignal = ins.signal;
      return { comment: `STOPSIGNAL ${ins.signal}` };
    case 'shell':
      c.Shell = [...ins.shell];
      return { comment: `SHELL [${ins.shell.join(' ')}]` };
    case 'workdir':
      c.WorkingDir = normalizeWorkdir(c.WorkingDir ?? '', ins.path);
      return { comment: `WORKDIR ${c.WorkingDir}`, oneArg: true };
    case 'arg':
      return { comment: `ARG ${ins.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}` };
    default:
      throw invalidArgument(`${ins.name.toUpperCase()} is not a config instruction`);
  }
}

/** The `Cmd` Docker records for a step without a process: `[shell…, "#(nop) ", comment]`. */
export function nopCmd(config: ImageRuntimeConfig, comment: string, oneArg = false): string[] {
  return oneArg ? [...shellOf(config), `#(nop) ${comment}`] : [...shellOf(config), '#(nop) ', comment];
}
