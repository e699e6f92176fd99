/**
 * `berth compose …`: multi-container applications from a Compose file (lecture concept: several
 * containers and their relations in one YAML file, started together). The model is loaded by
 * src/compose/; this file maps the subcommands and flags of `docker compose` onto it.
 */
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import YAML from 'yaml';
import { ComposeError } from '../../compose/errors.js';
import { Engine } from '../../compose/engine.js';
import { builtImageName, L } from '../../compose/labels.js';
import { loadProject } from '../../compose/load.js';
import type { Project, Service } from '../../compose/types.js';
import { down, up } from '../../compose/up.js';
import { cliFor, type Cli } from '../command.js';
import { StatusError } from '../errors.js';
import { readJsonMessages, renderMessage } from '../format/jsonmessage.js';
import { registryConfigHeader } from '../credentials.js';
import { groupAction } from '../help.js';
import { prepareContext } from './build.js';
import { composeLogs } from './compose-logs.js';
import { registerComposeOps } from './compose-ops.js';

interface ProjectFlags {
  file?: string[];
  projectName?: string;
  profile?: string[];
}

const collect = (v: string, acc: string[] = []) => [...acc, v];

function projectOf(self: Command): { p: Project; cli: Cli; engine: Engine } {
  const g = self.optsWithGlobals() as ProjectFlags;
  const cli = cliFor(self);
  try {
    const p = loadProject({ files: g.file ?? [], ...(g.projectName ? { projectName: g.projectName } : {}), cwd: process.cwd(), profiles: g.profile ?? [], warn: (m) => cli.err.write(`${m}\n`) });
    return { p, cli, engine: new Engine(cli.client) };
  } catch (err) {
    throw fail(err);
  }
}

function fail(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  return new StatusError(err instanceof ComposeError ? err.message : (err as Error).message, 1);
}

/** Builds a service's image with the legacy builder endpoint; its ID. */
async function buildService(cli: Cli, p: Project, s: Service): Promise<string> {
  const b = s.build!;
  const tag = builtImageName(p, s);
  const { body, dockerfile } = await prepareContext(b.context, { cache: true, rm: true, ...(b.dockerfile ? { file: b.dockerfile } : {}) }, Readable.from([]));
  const res = await cli.client.stream('POST', '/build', {
    query: { t: [tag], dockerfile, buildargs: JSON.stringify(b.args), target: b.target, rm: '1', version: '1', labels: JSON.stringify({ [L.project]: p.name, [L.service]: s.name }) },
    body,
    headers: { 'Content-Type': 'application/x-tar', ...registryConfigHeader() },
  });
  let id = '';
  for await (const jm of readJsonMessages(res)) {
    if (jm.errorDetail || jm.error) throw new StatusError(`failed to build service "${s.name}": ${jm.errorDetail?.message || jm.error}`, 1);
    if (jm.aux !== undefined) id = (jm.aux as { ID?: string }).ID ?? id;
    else cli.err.write(renderMessage(jm));
  }
  return id || tag;
}

function registerUpDown(compose: Command): void {
  compose
    .command('up [services...]')
    .description('Create and start containers')
    .option('-d, --detach', 'Detached mode: run containers in the background')
    .option('--build', 'Build images before starting containers')
    .option('--force-recreate', 'Recreate containers even if their configuration and image have not changed')
    .option('--no-deps', "Don't start linked services")
    .option('--scale <service=num>', 'Scale SERVICE to NUM instances', collect)
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .action(async (services: string[], f: { detach?: boolean; build?: boolean; forceRecreate?: boolean; deps: boolean; scale?: string[]; removeOrphans?: boolean }, self: Command) => {
      const { p, cli, engine } = projectOf(self);
      const scale: Record<string, number> = {};
      for (const s of f.scale ?? []) {
        const [k, v] = s.split('=');
        if (!k || !/^\d+$/.test(v ?? '')) throw new StatusError(`invalid --scale value "${s}": expected SERVICE=NUM`, 1);
        scale[k] = Number(v);
      }
      try {
        await up(engine, p, { forceRecreate: !!f.forceRecreate, noDeps: !f.deps, services, scale, removeOrphans: !!f.removeOrphans, alwaysBuild: !!f.build, build: (s) => buildService(cli, p, s) }, (l) => cli.err.write(`${l}\n`));
      } catch (err) {
        throw fail(err);
      }
      if (!f.detach) await composeLogs(cli, engine, p, services, { follow: true, untilExit: true });
    });
  compose
    .command('down')
    .description('Stop and remove containers, networks')
    .option('-v, --volumes', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--rmi <type>', 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")')
    .action(async (f: { volumes?: boolean; removeOrphans?: boolean; rmi?: string }, self: Command) => {
      const { p, cli, engine } = projectOf(self);
      if (f.rmi !== undefined && f.rmi !== 'local' && f.rmi !== 'all') throw new StatusError(`invalid value for --rmi: "${f.rmi}" (local or all)`, 1);
      await down(engine, p, { volumes: !!f.volumes, removeOrphans: !!f.removeOrphans, ...(f.rmi ? { rmi: f.rmi as 'local' | 'all' } : {}) }, (l) => cli.err.write(`${l}\n`)).catch((err) => {
        throw fail(err);
      });
    });
}

function registerInfo(compose: Command): void {
  compose
    .command('ps [services...]')
    .description('List containers')
    .option('-a, --all', 'Show all stopped containers')
    .option('-q, --quiet', 'Only display IDs')
    .action(async (services: string[], f: { all?: boolean; quiet?: boolean }, self: Command) => {
      const { p, cli, engine } = projectOf(self);
      const rows = (await engine.containers(p.name, !!f.all)).filter((c) => !services.length || services.includes(c.Labels[L.service] ?? ''));
      if (f.quiet) return void cli.out.write(rows.map((c) => `${c.Id}\n`).join(''));
      const ports = (c: (typeof rows)[number]) => c.Ports.map((x) => (x.PublicPort ? `${x.IP ?? '0.0.0.0'}:${x.PublicPort}->${x.PrivatePort}/${x.Type}` : `${x.PrivatePort}/${x.Type}`)).join(', ');
      const table = [['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'STATUS', 'PORTS'], ...rows.map((c) => [c.Names[0]!.slice(1), c.Image, `"${c.Command.length > 20 ? `${c.Command.slice(0, 19)}…` : c.Command}"`, c.Labels[L.service] ?? '', c.Status, ports(c)])];
      const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
      cli.out.write(table.map((r) => r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(w[i]! + 3))).join('').trimEnd() + '\n').join(''));
    });
  compose
    .command('config')
    .description('Parse, resolve and render the Compose file in canonical format')
    .option('--services', 'Print the service names, one per line')
    .option('-q, --quiet', 'Only validate the configuration, print nothing')
    .action((f: { services?: boolean; quiet?: boolean }, self: Command) => {
      const { p, cli } = projectOf(self);
      if (f.quiet) return;
      if (f.services) return void cli.out.write(Object.keys(p.services).map((s) => `${s}\n`).join(''));
      const { configFiles: _c, workingDir: _w, ...model } = p;
      cli.out.write(YAML.stringify(model, { sortMapEntries: false }));
    });
  compose
    .command('logs [services...]')
    .description('View output from containers')
    .option('-f, --follow', 'Follow log output')
    .option('--no-color', 'Produce monochrome output')
    .action(async (services: string[], f: { follow?: boolean; color: boolean }, self: Command) => {
      const { p, cli, engine } = projectOf(self);
      await composeLogs(cli, engine, p, services, { follow: !!f.follow, untilExit: false, color: f.color });
    });
}

export function registerCompose(program: Command): void {
  const compose = program
    .command('compose')
    .description('Define and run multi-container applications')
    .option('-f, --file <file>', 'Compose configuration files', collect)
    .option('-p, --project-name <name>', 'Project name')
    .option('--profile <profile>', 'Specify a profile to enable', collect);
  compose.action(groupAction);
  registerUpDown(compose);
  registerInfo(compose);
  registerComposeOps(compose, { projectOf, buildService, fail });
}
