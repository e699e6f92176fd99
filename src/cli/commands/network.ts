/**
 * `berth network …`: the lecture's user-defined networks from the client side — `ls`,
 * `inspect`, `rm` and `prune` here, `create`/`connect`/`disconnect` in network-create.ts —
 * with the docker CLI's tables, JSON, messages and exit codes.
 */
import type { Command } from 'commander';
import { cliFor, requireArgs } from '../command.js';
import { DaemonError } from '../client.js';
import { StatusError } from '../errors.js';
import { formatNetworks, type NetworkSummary } from '../format/networks.js';
import { groupAction } from '../help.js';
import { inspectEach } from './inspect.js';
import { registerNetworkConnect, registerNetworkCreate, registerNetworkDisconnect } from './network-create.js';
import { confirm } from './prune.js';
import { filterFlag } from './ps.js';

/**
 * `--filter` values as the docker CLI encodes filters.Args: `{"driver":{"bridge":true}}`,
 * keys sorted as Go sorts map keys.
 */
export function filtersArgs(filters: readonly string[] | undefined): string | undefined {
  if (!filters?.length) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    const eq = f.indexOf('=');
    (out[f.slice(0, eq).trim().toLowerCase()] ??= {})[f.slice(eq + 1).trim()] = true;
  }
  const sorted = (m: Record<string, unknown>) => Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
  return JSON.stringify(sorted(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, sorted(v)]))));
}

interface LsFlags {
  quiet?: boolean;
  trunc?: boolean;
  format?: string;
  filter?: string[];
}

function registerLs(group: Command): void {
  group
    .command('ls')
    .aliases(['list'])
    .description('List networks')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', filterFlag)
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', 'Do not truncate the output')
    .option('-q, --quiet', 'Only display network IDs')
    .action(async (args: string[], flags: LsFlags, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      const res = await cli.client.request('GET', '/networks', { query: { filters: filtersArgs(flags.filter) } });
      const list = res.json<NetworkSummary[] | null>() ?? [];
      cli.out.write(formatNetworks(list, { format: flags.format, quiet: flags.quiet, trunc: flags.trunc !== false }));
    });
}

function registerInspect(group: Command): void {
  group
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .usage('[OPTIONS] NETWORK [NETWORK...]')
    .argument('[names...]')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Verbose output for diagnostics')
    .action(async (names: string[], flags: { format?: string; verbose?: boolean }, self: Command) => {
      requireArgs(self, names, { min: 1 });
      const cli = cliFor(self);
      await inspectEach(cli, names, flags.format, async (name) =>
        (await cli.client.request('GET', `/networks/${encodeURIComponent(name)}`, { query: { verbose: flags.verbose ? 'true' : undefined } })).body.toString('utf8'),
      );
    });
}

function registerRm(group: Command): void {
  group
    .command('rm')
    .aliases(['remove'])
    .description('Remove one or more networks')
    .usage('NETWORK [NETWORK...]')
    .argument('[names...]')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action(async (names: string[], flags: { force?: boolean }, self: Command) => {
      requireArgs(self, names, { min: 1 });
      const cli = cliFor(self);
      let failed = false;
      // Each network is tried in turn: one failure is reported and the rest still go.
      for (const name of names) {
        try {
          await cli.client.request('DELETE', `/networks/${encodeURIComponent(name)}`);
        } catch (e) {
          if (flags.force && e instanceof DaemonError && e.status === 404) continue;
          cli.err.write(`${(e as Error).message}\n`);
          failed = true;
          continue;
        }
        cli.out.write(`${name}\n`);
      }
      // docker ends with its status error's text after the per-network messages.
      if (failed) throw new StatusError('exit status 1', 1);
    });
}

function registerPrune(group: Command): void {
  group
    .command('prune')
    .description('Remove all unused networks')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', filterFlag)
    .action(async (args: string[], flags: { force?: boolean; filter?: string[] }, self: Command) => {
      requireArgs(self, args, { max: 0 });
      const cli = cliFor(self);
      const warning = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';
      // A declined prompt is a cancellation: docker exits 0 without a message.
      if (!flags.force && !(await confirm(cli, warning))) return;
      const res = await cli.client.request('POST', '/networks/prune', { query: { filters: filtersArgs(flags.filter) } });
      const deleted = res.json<{ NetworksDeleted?: string[] | null }>().NetworksDeleted ?? [];
      // docker prints its report followed by one more newline, and nothing when none went.
      if (deleted.length) cli.out.write(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    });
}

/** Registers the `network` group and its verbs on the root. */
export function registerNetwork(program: Command): void {
  const group = program
    .command('network')
    .description('Manage networks')
    .usage('COMMAND')
    .argument('[command...]')
    .action(groupAction);
  registerNetworkConnect(group);
  registerNetworkCreate(group);
  registerNetworkDisconnect(group);
  registerInspect(group);
  registerLs(group);
  registerPrune(group);
  registerRm(group);
}
