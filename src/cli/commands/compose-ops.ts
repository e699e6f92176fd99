/**
 * The other `compose` verbs: `build`, `pull`, `start`, `stop`, `restart`, and `exec`/`run` in a
 * service's container. `exec` and `run` are the client's own `exec` and `run` with the service's
 * settings filled in, so they behave exactly as those do (terminal, detach keys, exit codes).
 */
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import type { Engine } from '../../compose/engine.js';
import { builtImageName, containerName, L } from '../../compose/labels.js';
import type { Project, Service } from '../../compose/types.js';
import type { Cli } from '../command.js';
import { StatusError } from '../errors.js';
import { main } from '../main.js';

export interface OpsDeps {
  projectOf: (self: Command) => { p: Project; cli: Cli; engine: Engine };
  buildService: (cli: Cli, p: Project, s: Service) => Promise<string>;
  fail: (err: unknown) => StatusError;
}

const collect = (v: string, acc: string[] = []) => [...acc, v];

function servicesOf(p: Project, names: string[]): Service[] {
  for (const n of names) if (!p.services[n]) throw new StatusError(`no such service: ${n}`, 1);
  return Object.values(p.services).filter((s) => !names.length || names.includes(s.name));
}

/** Runs another `berth` verb in this process (exec, run) and exits with its code. */
async function delegate(argv: string[]): Promise<void> {
  // A static import of main.js: the module is in an import cycle with this one, and a dynamic
  // import would wait for the entry module's own top-level await, which is waiting for us.
  const code = await main(argv);
  if (code) throw new StatusError('', code);
}

function registerLifecycle(compose: Command, deps: OpsDeps): void {
  for (const [verb, desc] of [['start', 'Start services'], ['stop', 'Stop services'], ['restart', 'Restart service containers']] as const) {
    compose
      .command(`${verb} [services...]`)
      .description(desc)
      .action(async (names: string[], _f: unknown, self: Command) => {
        const { p, cli, engine } = deps.projectOf(self);
        const wanted = servicesOf(p, names).map((s) => s.name);
        const mine = (await engine.containers(p.name)).filter((c) => wanted.includes(c.Labels[L.service] ?? '') && c.Labels[L.oneoff] !== 'True');
        const [ing, ed] = { start: ['Starting', 'Started'], stop: ['Stopping', 'Stopped'], restart: ['Restarting', 'Started'] }[verb];
        for (const c of mine) {
          const name = c.Names[0]!.slice(1);
          cli.err.write(` Container ${name}  ${ing}\n`);
          await cli.client.request('POST', `/containers/${c.Id}/${verb}`).catch((err) => {
            throw deps.fail(err);
          });
          cli.err.write(` Container ${name}  ${ed}\n`);
        }
      });
  }
}

function registerImages(compose: Command, deps: OpsDeps): void {
  compose
    .command('build [services...]')
    .description('Build or rebuild services')
    .action(async (names: string[], _f: unknown, self: Command) => {
      const { p, cli } = deps.projectOf(self);
      for (const s of servicesOf(p, names).filter((s) => s.build)) {
        const id = await deps.buildService(cli, p, s);
        cli.err.write(` Service ${s.name}  Built ${builtImageName(p, s)} (${id.replace('sha256:', '').slice(0, 12)})\n`);
      }
    });
  compose
    .command('pull [services...]')
    .description('Pull service images')
    .action(async (names: string[], _f: unknown, self: Command) => {
      const { p, cli, engine } = deps.projectOf(self);
      for (const s of servicesOf(p, names).filter((s) => s.image && !s.build)) {
        cli.err.write(` ${s.name} Pulling\n`);
        await engine.pull(s.image!).catch((err) => {
          throw deps.fail(err);
        });
        cli.err.write(` ${s.name} Pulled\n`);
      }
    });
}

function registerExecRun(compose: Command, deps: OpsDeps): void {
  compose
    .command('exec <service> <command...>')
    .description('Execute a command in a running container')
    .option('-d, --detach', 'Detached mode: Run command in the background')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (allocated by default when stdin is a terminal)')
    .option('-e, --env <KEY=VAL>', 'Set environment variables', collect)
    .option('-u, --user <user>', 'Run the command as this user')
    .option('-w, --workdir <dir>', 'Path to workdir directory for this command')
    .option('--index <n>', 'Index of the container if service has multiple replicas', '1')
    .passThroughOptions()
    .action(async (service: string, command: string[], f: { detach?: boolean; TTY: boolean; env?: string[]; user?: string; workdir?: string; index: string }, self: Command) => {
      const { p } = deps.projectOf(self);
      servicesOf(p, [service]);
      const tty = f.TTY && process.stdin.isTTY === true;
      await delegate(['exec', ...(f.detach ? ['-d'] : ['-i']), ...(tty ? ['-t'] : []), ...(f.env ?? []).flatMap((e) => ['-e', e]), ...(f.user ? ['-u', f.user] : []), ...(f.workdir ? ['-w', f.workdir] : []), containerName(p.name, service, Number(f.index)), ...command]);
    });
  compose
    .command('run <service> [command...]')
    .description('Run a one-off command on a service')
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('--rm', 'Automatically remove the container when it exits')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation')
    .option('-e, --env <KEY=VAL>', 'Set environment variables', collect)
    .option('--name <name>', 'Assign a name to the container')
    .option('--entrypoint <cmd>', 'Override the entrypoint of the image')
    .passThroughOptions()
    .action(async (service: string, command: string[], f: { detach?: boolean; rm?: boolean; TTY: boolean; env?: string[]; name?: string; entrypoint?: string }, self: Command) => {
      const { p, engine } = deps.projectOf(self);
      const s = servicesOf(p, [service])[0]!;
      const image = builtImageName(p, s);
      if (!(await engine.imageId(image)) && s.image) await engine.pull(s.image);
      const nets = Object.entries(s.networks);
      const name = f.name ?? `${p.name}-${s.name}-run-${randomBytes(6).toString('hex')}`;
      const labels = { [L.project]: p.name, [L.service]: s.name, [L.oneoff]: 'True', [L.workingDir]: p.workingDir, [L.configFiles]: p.configFiles.join(',') };
      const argv = [
        'run', ...(f.detach ? ['-d'] : ['-i']), ...(!f.detach && f.TTY && process.stdin.isTTY ? ['-t'] : []), ...(f.rm ? ['--rm'] : []), '--name', name,
        ...Object.entries({ ...s.labels, ...labels }).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        ...Object.entries(s.environment).flatMap(([k, v]) => ['-e', `${k}=${v}`]), ...(f.env ?? []).flatMap((e) => ['-e', e]),
        ...(nets[0] ? ['--network', p.networks[nets[0][0]]!.name, '--network-alias', s.name, ...nets[0][1].aliases.flatMap((a) => ['--network-alias', a])] : []),
        ...s.volumes.map((v) => `--mount=type=${v.type}${v.source ? `,source=${v.type === 'volume' ? p.volumes[v.source]!.name : v.source}` : ''},target=${v.target}${v.read_only ? ',readonly' : ''}`),
        ...(s.working_dir ? ['-w', s.working_dir] : []), ...(s.user ? ['-u', s.user] : []),
        ...(f.entrypoint !== undefined ? ['--entrypoint', f.entrypoint] : s.entrypoint ? ['--entrypoint', s.entrypoint[0]!] : []),
        image, ...(command.length ? command : f.entrypoint === undefined && s.entrypoint ? [...s.entrypoint.slice(1), ...(s.command ?? [])] : s.command ?? []),
      ];
      await delegate(argv);
    });
}

export function registerComposeOps(compose: Command, deps: OpsDeps): void {
  registerLifecycle(compose, deps);
  registerImages(compose, deps);
  registerExecRun(compose, deps);
}
