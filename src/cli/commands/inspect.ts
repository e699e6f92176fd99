/**
 * `berth inspect` (any object; containers first, then images, networks, volumes),
 * `container inspect` and `image inspect`: the daemon's JSON re-indented as docker does,
 * or each object rendered through `-f/--format` (`{{.State.Status}}`, `{{json .Config}}`).
 */
import type { Command } from 'commander';
import { cliFor, requireArgs, type Cli } from '../command.js';
import { DaemonError, escapePath } from '../client.js';
import { StatusError } from '../errors.js';
import { compactJson, indentJson } from '../format/json.js';
import { Template } from '../format/template.js';

/** Object kinds `inspect --type` accepts, in the order an untyped lookup tries them. */
const KINDS = ['container', 'image', 'network', 'volume'] as const;
type Kind = (typeof KINDS)[number];
const ALL_TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

function urlFor(kind: Kind, ref: string, size: boolean): { path: string; query?: Record<string, boolean> } {
  switch (kind) {
    case 'container':
      return { path: `/containers/${encodeURIComponent(ref)}/json`, query: { size } };
    case 'image':
      return { path: `/images/${escapePath(ref)}/json` };
    case 'network':
      return { path: `/networks/${encodeURIComponent(ref)}` };
    case 'volume':
      return { path: `/volumes/${encodeURIComponent(ref)}` };
  }
}

function skippable(e: unknown): boolean {
  if (!(e instanceof DaemonError)) return false;
  return e.status === 404 || e.message.includes('not supported') || e.message.includes('invalid reference format');
}

/** Fetches one object's raw JSON; with no `kind`, the first kind that knows `ref` wins. */
async function fetchRaw(cli: Cli, ref: string, kind: Kind | undefined, size: boolean): Promise<string> {
  if (kind) {
    const u = urlFor(kind, ref, size);
    return (await cli.client.request('GET', u.path, { query: u.query })).body.toString('utf8');
  }
  for (const k of KINDS) {
    try {
      const u = urlFor(k, ref, size && k === 'container');
      return (await cli.client.request('GET', u.path, { query: u.query })).body.toString('utf8');
    } catch (e) {
      if (!skippable(e)) throw e;
    }
  }
  throw new Error(`Error: No such object: ${ref}`);
}

/**
 * Writes the inspect output for already-fetched raw objects, as docker's inspectors do:
 * an indented JSON array by default, compact with `json`, one template result per line.
 */
export function renderInspect(raws: readonly string[], format: string | undefined): { out: string; errors: string[] } {
  if (!format) return { out: raws.length ? `${indentJson(`[${raws.join(',')}]`)}\n` : '[]\n', errors: [] };
  if (format === 'json') return { out: raws.length ? `${compactJson(`[${raws.join(',')}]`)}\n` : '[]\n', errors: [] };
  let tmpl: Template;
  try {
    tmpl = Template.parse(format);
  } catch (e) {
    throw new StatusError(`template parsing error: ${(e as Error).message}`, 64);
  }
  let out = '';
  const errors: string[] = [];
  for (const raw of raws) {
    try {
      out += `${tmpl.execute(JSON.parse(raw))}\n`;
    } catch (e) {
      errors.push(`template parsing error: ${(e as Error).message}`);
    }
  }
  return { out: out || '\n', errors };
}

/**
 * Fetches each object with `fetch` and prints them as docker's inspectors do: a bad template
 * fails before any request (exit 64), missing objects are reported after the others (exit 1).
 */
export async function inspectEach(cli: Cli, refs: readonly string[], format: string | undefined, fetch: (ref: string) => Promise<string>): Promise<void> {
  if (format && format !== 'json') renderInspect([], format);
  const raws: string[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      raws.push(await fetch(ref));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const r = renderInspect(raws, format);
  cli.out.write(r.out);
  errors.push(...r.errors);
  if (errors.length) throw new StatusError(errors.join('\n'), 1);
}

function runInspect(cli: Cli, refs: readonly string[], kind: Kind | undefined, format: string | undefined, size: boolean) {
  return inspectEach(cli, refs, format, (ref) => fetchRaw(cli, ref, kind, size));
}

interface InspectFlags {
  format?: string;
  size?: boolean;
  type?: string;
}

/** Registers the generic `inspect` command on the root. */
export function registerInspect(root: Command): void {
  root
    .command('inspect')
    .description('Return low-level information on Docker objects')
    .usage('[OPTIONS] NAME|ID [NAME|ID...]')
    .argument('[names...]')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .option('--type <string>', 'Only inspect objects of the given type')
    .action(async (refs: string[], flags: InspectFlags, self: Command) => {
      requireArgs(self, refs, { min: 1 });
      const type = flags.type;
      if (type !== undefined && type !== '' && !ALL_TYPES.includes(type)) {
        throw new StatusError(`unknown type: "${type}": must be one of "${ALL_TYPES.join('", "')}"`, 1);
      }
      if (type && !(KINDS as readonly string[]).includes(type)) {
        throw new StatusError(`Error: inspecting objects of type "${type}" is not supported by berth`, 1);
      }
      await runInspect(cliFor(self), refs, (type || undefined) as Kind | undefined, flags.format, flags.size ?? false);
    });
}

/** Registers `inspect` for one kind under its group (`container inspect`, `image inspect`). */
export function registerKindInspect(parent: Command, kind: 'container' | 'image'): void {
  const cmd = parent
    .command('inspect')
    .description(`Display detailed information on one or more ${kind}s`)
    .usage(`[OPTIONS] ${kind.toUpperCase()} [${kind.toUpperCase()}...]`)
    .argument('[names...]')
    .option('-f, --format <string>', 'Format output using a custom template');
  if (kind === 'container') cmd.option('-s, --size', 'Display total file sizes');
  cmd.action(async (refs: string[], flags: InspectFlags, self: Command) => {
    requireArgs(self, refs, { min: 1 });
    await runInspect(cliFor(self), refs, kind, flags.format, flags.size ?? false);
  });
}
