/**
 * `berth registry serve`: the private registry role of the one Berth binary. Parses its
 * flags, serves until SIGTERM or SIGINT, then shuts down cleanly. Loaded by the CLI only
 * when this role is asked for.
 */
import { parseArgs } from 'node:util';
import { log } from '../lib/log.js';
import { RegistryServer } from './server.js';

export const DEFAULT_ADDR = '127.0.0.1:5000';
export const DEFAULT_ROOT = '/var/lib/berth/registry';

const USAGE = `Usage:  berth registry serve [OPTIONS]

Run an OCI Distribution (Docker Registry HTTP API v2) server

Options:
      --addr string       Address to listen on, HOST:PORT (default "${DEFAULT_ADDR}"; port 0 picks a free port)
      --root string       Storage directory (default "${DEFAULT_ROOT}")
      --htpasswd string   Require basic authentication with the users of this htpasswd file
      --tls-cert string   Serve HTTPS with this certificate (PEM; needs --tls-key)
      --tls-key string    Private key of --tls-cert (PEM)
  -h, --help              Print usage
`;

/** Runs the server with `argv` (the arguments after `registry serve`); resolves with the exit code. */
export async function runRegistryServe(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        addr: { type: 'string', default: DEFAULT_ADDR },
        root: { type: 'string', default: DEFAULT_ROOT },
        htpasswd: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`berth registry serve: ${(err as Error).message}\n\n${USAGE}`);
    return 125;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const server = new RegistryServer({
    addr: values.addr,
    root: values.root,
    htpasswd: values.htpasswd,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
  });
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    log.info(`registry: ${sig} received, shutting down`);
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const serving = server.start(stop.signal);
  // Its failure is reported through `ready` (or the await below), never as an unhandled rejection.
  serving.catch(() => undefined);
  try {
    const url = await server.ready;
    // Tests and scripts read the address from this line (it names the real port when --addr had port 0).
    log.info(`registry: listening on ${url}`, { root: values.root, auth: values.htpasswd ? 'basic' : 'none' });
    await serving;
    return 0;
  } catch (err) {
    process.stderr.write(`berth registry serve: ${(err as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
