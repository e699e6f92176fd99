/**
 * Dockerfile-style config changes for `docker import -c` / `docker commit -c` (lecture
 * concept: CMD, ENTRYPOINT, ENV… are image *config*, not file system content). Docker accepts
 * CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME and WORKDIR here;
 * anything else is rejected with Docker's wording. Variable substitution ($VAR) is not done.
 */
import path from 'node:path';
import { invalidArgument } from '../../lib/errors.js';
import type { ImageRuntimeConfig } from './types.js';

/** Splits on unquoted whitespace, honouring "…", '…' and backslash escapes. */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw invalidArgument(`unterminated quote in "${s}"`);
  if (inWord) out.push(cur);
  return out;
}

/** `A=b C="d e"` or the legacy `A b c` form → pairs. */
function keyValues(cmd: string, rest: string): Array<[string, string]> {
  const ws = words(rest);
  if (ws.length === 0) throw invalidArgument(`${cmd} requires at least one argument`);
  if (!ws[0]!.includes('=')) {
    // Legacy one-pair form: the first word is the key, the rest of the line the value.
    const value = rest.trim().slice(rest.trim().indexOf(ws[0]!) + ws[0]!.length).trim();
    return [[ws[0]!, words(value).join(' ')]];
  }
  return ws.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw invalidArgument(`${cmd} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** JSON-array form (`["sh","-c"]`) or shell form (`sh -c …` → /bin/sh -c "…"). */
function commandForm(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      // Not JSON after all: Docker then treats the text as shell form.
    }
  }
  return ['/bin/sh', '-c', t];
}

function listForm(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v)) return v.map(String);
    } catch {
      // fall through to words
    }
  }
  return words(t);
}

function exposedPorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw invalidArgument(`invalid containerPort: ${spec}`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (lo < 1 || hi > 65535 || hi < lo) throw invalidArgument(`invalid containerPort: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

/** Applies `changes` (each possibly several lines) to a copy of `base`. */
export function applyChanges(base: ImageRuntimeConfig, changes: string[]): ImageRuntimeConfig {
  const cfg: ImageRuntimeConfig = structuredClone(base);
  let cmdSet = false;
  for (const line of changes.flatMap((c) => c.split('\n'))) {
    const m = /^\s*(\S+)\s*(.*)$/s.exec(line);
    if (!m || m[1]!.startsWith('#')) continue;
    const cmd = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    switch (cmd) {
      case 'CMD':
        cfg.Cmd = commandForm(rest);
        cmdSet = true;
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = commandForm(rest);
        if (!cmdSet) cfg.Cmd = null; // as in a Dockerfile: a new ENTRYPOINT resets an inherited CMD
        break;
      case 'ENV': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of keyValues(cmd, rest)) {
          const i = env.findIndex((e) => e.split('=', 1)[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL':
        cfg.Labels = { ...(cfg.Labels ?? {}), ...Object.fromEntries(keyValues(cmd, rest)) };
        break;
      case 'WORKDIR':
        if (!rest) throw invalidArgument('WORKDIR requires exactly one argument');
        cfg.WorkingDir = path.posix.resolve(cfg.WorkingDir || '/', words(rest).join(' '));
        break;
      case 'USER':
        if (!rest) throw invalidArgument('USER requires exactly one argument');
        cfg.User = words(rest).join(' ');
        break;
      case 'EXPOSE': {
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        for (const w of words(rest)) for (const p of exposedPorts(w)) ports[p] = {};
        cfg.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(cfg.Volumes ?? {}) };
        for (const v of listForm(rest)) if (v) vols[v] = {};
        cfg.Volumes = vols;
        break;
      }
      case 'STOPSIGNAL':
        if (!rest) throw invalidArgument('STOPSIGNAL requires exactly one argument');
        cfg.StopSignal = rest;
        break;
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest];
        break;
      default:
        throw invalidArgument(`${cmd} is not a valid change command`);
    }
  }
  return cfg;
}
