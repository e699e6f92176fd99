/** `berth compose ps|logs|config`: what the project has and what its files say. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { StatusError } from '../errors.js';
import { ContainerRow, CONTAINER_HEADERS, type ContainerSummary } from '../format/containers.js';
import { renderRows } from '../format/formatter.js';
import { streamLogs } from '../../compose/logs.js';
import type { Project } from '../../compose/model.js';
import { L, networkName, volumeName } from '../../compose/naming.js';
import { checkServices, serviceContainers } from '../../compose/up.js';
import { composeAction, composeContext } from './compose.js';

class ServiceRow extends ContainerRow {
  constructor(private readonly summary: ContainerSummary) {
    super(summary, true);
  }
  get Service(): string {
    return this.summary.Labels?.[L.service] ?? '';
  }
}

const PS_TABLE = 'table {{.Names}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}';

/** The resolved model as `config` prints it: names filled in, keys in a stable order. */
export function printableModel(p: Project): Record<string, unknown> {
  const sortKeys = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
  const services = sortKeys(Object.fromEntries(Object.entries(p.model.services).map(([n, s]) => [n, sortKeys(s as Record<string, unknown>)])));
  const out: Record<string, unknown> = { name: p.name, services };
  if (Object.keys(p.model.networks).length) out['networks'] = sortKeys(Object.fromEntries(Object.entries(p.model.networks).map(([k, n]) => [k, { ...n, name: networkName(p, k) }])));
  if (Object.keys(p.model.volumes).length) out['volumes'] = sortKeys(Object.fromEntries(Object.entries(p.model.volumes).map(([k, v]) => [k, { ...v, name: volumeName(p, k) }])));
  return out;
}

export function registerComposeInfo(compose: Command): void {
  compose
    .command('ps')
    .description('List containers')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[services...]')
    .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
    .option('-q, --quiet', 'Only display IDs')
    .option('--services', 'Display services')
    .option('--format <string>', 'Format the output. Values: [table | json]', 'table')
    .action(async (services: string[], flags: { all?: boolean; quiet?: boolean; services?: boolean; format: string }, self: Command) =>
      composeAction(async () => {
        const ctx = composeContext(self);
        checkServices(ctx, services);
        let list = (await serviceContainers(ctx)).filter((c) => !services.length || services.includes(c.Labels[L.service] ?? ''));
        if (!flags.all) list = list.filter((c) => c.State === 'running' || c.State === 'restarting' || c.State === 'paused');
        list.sort((a, b) => (a.Names[0]! < b.Names[0]! ? -1 : 1));
        if (flags.quiet) return void ctx.out.write(list.map((c) => `${c.Id}\n`).join(''));
        if (flags.services) return void ctx.out.write([...new Set(list.map((c) => c.Labels[L.service]))].map((s) => `${s}\n`).join(''));
        if (flags.format === 'json') {
          const rows = list.map((c) => ({ ID: c.Id, Name: c.Names[0]!.slice(1), Image: c.Image, Command: c.Command, Project: ctx.project.name, Service: c.Labels[L.service], State: c.State, Status: c.Status, Publishers: c.Ports }));
          return void ctx.out.write(`${JSON.stringify(rows)}\n`);
        }
        if (flags.format !== 'table') throw new StatusError(`unsupported format "${flags.format}"`, 1);
        const rows = list.map((c) => new ServiceRow(c as unknown as ContainerSummary));
        ctx.out.write(renderRows(PS_TABLE, rows, { ...CONTAINER_HEADERS, Names: 'NAME', Service: 'SERVICE' }));
      }),
    );
  compose
    .command('logs')
    .description('View output from containers')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[services...]')
    .option('-f, --follow', 'Follow log output')
    .option('-t, --timestamps', 'Show timestamps')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs for each container', 'all')
    .option('--no-color', 'Produce monochrome output')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .action(async (services: string[], flags: { follow?: boolean; timestamps?: boolean; tail: string; color: boolean; logPrefix: boolean }, self: Command) =>
      composeAction(async () => {
        const ctx = composeContext(self);
        checkServices(ctx, services);
        const list = (await serviceContainers(ctx)).filter((c) => !services.length || services.includes(c.Labels[L.service] ?? ''));
        list.sort((a, b) => (a.Names[0]! < b.Names[0]! ? -1 : 1));
        await streamLogs(ctx, list, { follow: flags.follow, tail: flags.tail, timestamps: flags.timestamps, noColor: !flags.color, noPrefix: !flags.logPrefix });
      }),
    );
  compose
    .command('config')
    .description('Parse, resolve and render compose file in canonical format')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[services...]')
    .option('-q, --quiet', 'Only validate the configuration, don\'t print anything')
    .option('--services', 'Print the service names, one per line')
    .option('--volumes', 'Print the volume names, one per line')
    .option('--format <string>', 'Format the output. Values: [yaml | json]', 'yaml')
    .action(async (services: string[], flags: { quiet?: boolean; services?: boolean; volumes?: boolean; format: string }, self: Command) =>
      composeAction(async () => {
        const ctx = composeContext(self);
        checkServices(ctx, services);
        const p = ctx.project;
        if (services.length) for (const s of Object.keys(p.model.services)) if (!services.includes(s)) delete p.model.services[s];
        if (flags.quiet) return;
        if (flags.services) return void ctx.out.write(Object.keys(p.model.services).sort().map((s) => `${s}\n`).join(''));
        if (flags.volumes) return void ctx.out.write(Object.keys(p.model.volumes).sort().map((s) => `${s}\n`).join(''));
        const model = printableModel(p);
        if (flags.format === 'json') return void ctx.out.write(`${JSON.stringify(model, null, 2)}\n`);
        if (flags.format !== 'yaml') throw new StatusError(`unsupported format "${flags.format}"`, 1);
        ctx.out.write(stringify(model, { aliasDuplicateObjects: false, lineWidth: 0 }));
      }),
    );
}
