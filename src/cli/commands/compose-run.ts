/**
 * `berth compose exec` (a process in a service's running container, with a TTY when the
 * terminal has one, `-T` to refuse it) and `compose run` (a one-off container of a service,
 * named `<project>-<service>-run-<id>` and labelled oneoff, after its dependencies are up).
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { BerthCommand, collect, intFlag } from '../command.js';
import { StatusError } from '../errors.js';
import { attachContainer } from '../stream/attach.js';
import { exec } from './attach-exec.js';
import { startAndFollow, waitExitOrRemoved } from './run.js';
import { createRequest, serviceNetworks } from '../../compose/convert.js';
import { ensureImages } from '../../compose/images.js';
import { imageName, L, networkName } from '../../compose/naming.js';
import { checkServices, ensureResources, serviceContainers, up } from '../../compose/up.js';
import { composeAction, composeContext } from './compose.js';

interface ExecFlags {
  detach?: boolean;
  T?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  index: number;
  privileged?: boolean;
}

interface RunFlags {
  detach?: boolean;
  rm?: boolean;
  T?: boolean;
  env?: string[];
  entrypoint?: string;
  deps: boolean;
  servicePorts?: boolean;
  user?: string;
  workdir?: string;
  name?: string;
}

export function registerComposeRun(compose: Command): void {
  const execCmd = (compose as BerthCommand)
    .command('exec')
    .description('Execute a command in a running container')
    .usage('[OPTIONS] SERVICE COMMAND [ARGS...]')
    .argument('[args...]')
    .option('-d, --detach', 'Detached mode: Run command in the background')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation. By default `compose exec` allocates a TTY.')
    .option('-e, --env <stringArray>', 'Set environment variables', collect)
    .option('-u, --user <string>', 'Run the command as this user')
    .option('-w, --workdir <string>', 'Path to workdir directory for this command')
    .option('--index <int>', 'index of the container if service has multiple replicas', intFlag('--index <int>'), 1)
    .option('--privileged', 'Give extended privileges to the process')
    .action(async (args: string[], flags: ExecFlags, self: Command) =>
      composeAction(async () => {
        const ctx = composeContext(self);
        const [service, ...cmd] = args;
        if (!service || !cmd.length) throw new StatusError('"compose exec" requires at least 2 arguments', 1);
        checkServices(ctx, [service]);
        const c = (await serviceContainers(ctx, service)).find((x) => x.Labels[L.number] === String(flags.index) && x.State === 'running');
        if (!c) throw new StatusError(`service "${service}" is not running`, 1);
        const tty = flags.T !== false && !!ctx.cli.in.isTTY;
        const code = await exec(ctx.cli, c.Id, cmd, { detach: flags.detach, tty, interactive: tty, env: flags.env, user: flags.user, workdir: flags.workdir, privileged: flags.privileged });
        if (code !== 0) throw new StatusError('', code);
      }),
    );
  execCmd.stopAtOperand = true;

  const runCmd = (compose as BerthCommand)
    .command('run')
    .description('Run a one-off command on a service')
    .usage('[OPTIONS] SERVICE [COMMAND] [ARGS...]')
    .argument('[args...]')
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('--rm', 'Automatically remove the container when it exits')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: auto-detected)')
    .option('-e, --env <stringArray>', 'Set environment variables', collect)
    .option('--entrypoint <string>', 'Override the entrypoint of the image')
    .option('--no-deps', "Don't start linked services")
    .option('-P, --service-ports', "Run command with all service's ports enabled and mapped to the host")
    .option('-u, --user <string>', 'Run as specified username or uid')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('--name <string>', 'Assign a name to the container')
    .action(async (args: string[], flags: RunFlags, self: Command) =>
      composeAction(async () => {
        const ctx = composeContext(self);
        const [service, ...cmd] = args;
        if (!service) throw new StatusError('"compose run" requires at least 1 argument', 1);
        checkServices(ctx, [service]);
        const deps = Object.keys(ctx.project.model.services[service]!.depends_on ?? {});
        if (flags.deps && deps.length) await up(ctx, { services: deps });
        await ensureImages(ctx, [service]);
        await ensureResources(ctx, [service]);
        const tty = flags.T !== false && !!ctx.cli.in.isTTY && !flags.detach;
        const name = flags.name ?? `${ctx.project.name}-${service}-run-${randomBytes(6).toString('hex')}`;
        const { body } = createRequest(ctx.project, service, 1, imageName(ctx.project, service), {
          oneoff: { name, command: cmd, entrypoint: flags.entrypoint !== undefined ? [flags.entrypoint] : undefined, tty, stdin: tty, publish: flags.servicePorts, env: flags.env },
        });
        const hc = body['HostConfig'] as Record<string, unknown>;
        hc['AutoRemove'] = !!flags.rm;
        if (flags.user) body['User'] = flags.user;
        if (flags.workdir) body['WorkingDir'] = flags.workdir;
        if (flags.detach) Object.assign(body, { AttachStdin: false, AttachStdout: false, AttachStderr: false });
        const id = await ctx.engine.create(name, body);
        for (const net of serviceNetworks(ctx.project.model.services[service]!).slice(1)) await ctx.engine.connect(networkName(ctx.project, net), id, []);
        if (flags.detach) {
          await ctx.engine.start(id);
          ctx.out.write(`${name}\n`);
          return;
        }
        const session = await attachContainer(ctx.cli, id, { stdin: tty, stdout: true, stderr: true, tty });
        const { status } = await waitExitOrRemoved(ctx.cli, id, !!flags.rm);
        const code = await startAndFollow(ctx.cli, id, session, status, { tty, autoRemove: !!flags.rm, startError: (e) => e });
        if (code !== 0) throw new StatusError('', code);
      }),
    );
  runCmd.stopAtOperand = true;
}
