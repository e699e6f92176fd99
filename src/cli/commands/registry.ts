/**
 * Registry verbs of the `berth` CLI (lecture concept: share images through a registry; log in
 * to reach private ones): `login` (checks credentials with `POST /auth`, then stores them in
 * the Docker-compatible config file), `logout`, and `push` (`POST /images/{name}/push` with
 * the stored credentials in X-Registry-Auth, progress drawn like docker's). Wording follows
 * docker/cli's cli/command/registry and image/push.go.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Command } from 'commander';
import { cliFor, requireArgs, type Cli } from '../command.js';
import { escapePath, readAll } from '../client.js';
import { authKey, configFile, convertToHostname, eraseAuth, INDEX_SERVER, registryAuthHeader, storeAuth, storedAuth, type AuthConfig } from '../credentials.js';
import { StatusError } from '../errors.js';
import { displayJsonMessages } from '../format/jsonmessage.js';
import { familiarName, fullName, parseNormalizedNamed, tagNameOnly } from '../reference.js';

const UNENCRYPTED_WARNING = (file: string) =>
  `\nWARNING! Your credentials are stored unencrypted in '${file}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`;

/** Reads one line from a terminal; with `secret` nothing is echoed (raw mode). */
function prompt(cli: Cli, question: string, secret: boolean): Promise<string> {
  cli.out.write(question);
  const input = cli.in;
  return new Promise((resolve, reject) => {
    let line = '';
    const raw = secret && typeof input.setRawMode === 'function';
    if (raw) input.setRawMode!(true);
    const finish = (err?: Error) => {
      input.off('data', onData);
      if (raw) input.setRawMode!(false);
      input.pause();
      if (secret) cli.out.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\x03') return finish(new StatusError('', 130));
        if (ch === '\x7f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/** Sends POST /auth; resolves with the daemon's status line. */
async function checkLogin(cli: Cli, a: AuthConfig): Promise<string> {
  const res = await cli.client.request('POST', '/auth', { body: a });
  return res.json<{ Status?: string }>().Status ?? 'Login Succeeded';
}

interface LoginFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

async function runLogin(cli: Cli, server: string | undefined, f: LoginFlags): Promise<void> {
  if (f.password && f.passwordStdin) throw new StatusError('--password and --password-stdin are mutually exclusive', 1);
  let password = f.password;
  if (f.passwordStdin) {
    if (!f.username) throw new StatusError('Must provide --username with --password-stdin', 1);
    password = (await readAll(cli.in as Readable)).toString('utf8').replace(/\n$/, '').replace(/\r$/, '');
  } else if (password) {
    cli.err.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  const key = authKey(server && server !== 'docker.io' ? server : INDEX_SERVER);
  const stored = storedAuth(key);
  if (!f.username && !password && stored.username && stored.password) {
    cli.err.write(`Authenticating with existing credentials... [Username: ${stored.username}]\n\n`);
    try {
      cli.out.write(`${await checkLogin(cli, stored)}\n`);
      return;
    } catch (e) {
      cli.err.write(`Login did not succeed, error: ${(e as Error).message}\n`);
    }
  }
  let username = f.username;
  if (!username || !password) {
    if (!cli.in.isTTY) throw new StatusError('Error: Cannot perform an interactive login from a non TTY device', 1);
    if (!username) {
      const dflt = stored.username;
      username = (await prompt(cli, dflt ? `Username (${dflt}): ` : 'Username: ', false)).trim() || dflt;
      if (!username) throw new StatusError('Error: Non-null Username Required', 1);
    }
    if (!password) password = await prompt(cli, 'Password: ', true);
    if (!password) throw new StatusError('Error: Password Required', 1);
  }
  const a: AuthConfig = { username, password, serveraddress: key };
  const status = await checkLogin(cli, a);
  await storeAuth(key, a);
  cli.err.write(UNENCRYPTED_WARNING(configFile()));
  cli.out.write(`${status}\n`);
}

/** Registers `login` and `logout` on the root. */
export function registerLogin(parent: Command): void {
  parent
    .command('login')
    .description('Authenticate to a registry')
    .usage('[OPTIONS] [SERVER]')
    .argument('[server...]')
    .option('-u, --username <string>', 'Username')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
    .action(async (args: string[], flags: LoginFlags, self: Command) => {
      requireArgs(self, args, { max: 1 });
      await runLogin(cliFor(self), args[0], flags);
    });

  parent
    .command('logout')
    .description('Log out from a registry')
    .usage('[SERVER]')
    .argument('[server...]')
    .action(async (args: string[], _flags: unknown, self: Command) => {
      requireArgs(self, args, { max: 1 });
      const cli = cliFor(self);
      const server = args[0] || INDEX_SERVER;
      const isDefault = authKey(server) === INDEX_SERVER;
      const hostname = isDefault ? INDEX_SERVER : convertToHostname(server);
      cli.out.write(`Removing login credentials for ${hostname}\n`);
      const keys = isDefault ? [INDEX_SERVER] : [server, hostname, `http://${hostname}`, `https://${hostname}`];
      await eraseAuth(keys);
    });
}

/** Registers `push` on `parent` (top-level or under `image`). */
export function registerPush(parent: Command): void {
  parent
    .command('push')
    .description('Upload an image to a registry')
    .usage('[OPTIONS] NAME[:TAG]')
    .argument('[image...]')
    .option('-a, --all-tags', 'Push all tags of an image to the repository')
    .option('-q, --quiet', 'Suppress verbose output')
    .option('--platform <string>', 'Push a platform-specific manifest as a single-platform image to the registry')
    .action(async (args: string[], flags: { allTags?: boolean; quiet?: boolean }, self: Command) => {
      requireArgs(self, args, { min: 1, max: 1 });
      const cli = cliFor(self);
      const ref = transferRef(cli, args[0]!, flags);
      const res = await cli.client.stream('POST', `/images/${escapePath(familiarName(ref))}/push`, {
        query: { tag: ref.tag },
        headers: registryAuthHeader(ref.domain),
      });
      const out = flags.quiet ? new PassThrough().resume() : cli.out;
      await displayJsonMessages(res, out, undefined, { terminal: !flags.quiet && !!cli.out.isTTY, width: cli.out.columns });
      if (flags.quiet) cli.out.write(`${fullName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}\n`);
    });
}

/**
 * The reference of a `pull` or `push` as docker resolves it: normalized, `--all-tags` only for
 * a bare name, and `:latest` added (and announced) to a bare name otherwise.
 */
export function transferRef(cli: Cli, arg: string, flags: { allTags?: boolean; quiet?: boolean }) {
  let ref;
  try {
    ref = parseNormalizedNamed(arg);
  } catch (e) {
    throw new StatusError((e as Error).message, 1);
  }
  const nameOnly = ref.tag === undefined && ref.digest === undefined;
  if (flags.allTags && !nameOnly) throw new StatusError("tag can't be used with --all-tags/-a", 1);
  if (!flags.allTags && nameOnly) {
    ref = tagNameOnly(ref);
    if (!flags.quiet) cli.out.write(`Using default tag: ${ref.tag}\n`);
  }
  return ref;
}
