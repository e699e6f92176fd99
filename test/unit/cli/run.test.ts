/**
 * Unit tests for the HTTP client and for `run`'s call sequence, against a scripted daemon:
 * create → attach (hijacked, before start) → wait (headers first) → start, output
 * demultiplexed, exit code from wait; pull on 404; docker's error wording and exit codes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { ApiClient, ConnectError, DaemonError, encodeQuery } from '../../../src/cli/client.js';
import type { Cli } from '../../../src/cli/command.js';
import { buildProgram } from '../../../src/cli/main.js';
import { buildCreateBody } from '../../../src/cli/commands/container-opts.js';
import { runContainer, runExitCode } from '../../../src/cli/commands/run.js';
import { StatusError } from '../../../src/cli/errors.js';
import { startFakeDaemon, type FakeDaemon, type Script } from './fake-daemon.js';

interface Captured {
  cli: Cli;
  out: () => string;
  err: () => string;
}

function capture(host: string, trace = false): Captured {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c.toString()));
  err.on('data', (c: Buffer) => (e += c.toString()));
  const input = new PassThrough();
  input.end();
  return { cli: { client: new ApiClient(host), in: input, out, err, trace }, out: () => o, err: () => e };
}

const runCmd = (): Command => buildProgram().commands.find((c) => c.name() === 'run')!;

const daemons: FakeDaemon[] = [];
async function daemon(script: Script): Promise<FakeDaemon> {
  const d = await startFakeDaemon(script);
  daemons.push(d);
  return d;
}
after(async () => {
  for (const d of daemons) await d.close();
});

describe('ApiClient', () => {
  it('encodes queries like url.Values', () => {
    assert.equal(encodeQuery({ all: true, size: false, limit: 3, names: ['a', 'b'], none: undefined }), '?all=1&limit=3&names=a&names=b');
    assert.equal(encodeQuery({}), '');
  });
  it('turns error bodies into "Error response from daemon: …"', async () => {
    const d = await daemon({});
    const c = new ApiClient(d.host);
    await assert.rejects(c.request('GET', '/nope'), (e) => e instanceof DaemonError && e.status === 404 && e.message === 'Error response from daemon: page not found');
  });
  it('says it cannot connect when no daemon listens', async () => {
    const c = new ApiClient('unix:///nonexistent/berth.sock');
    await assert.rejects(c.request('GET', '/_ping'), (e) => e instanceof ConnectError &&
      e.message === 'Cannot connect to the Berth daemon at unix:///nonexistent/berth.sock. Is the berth daemon running?');
  });
});

describe('run', () => {
  it('attaches and waits before start, demultiplexes output and returns the exit code', async () => {
    const d = await daemon({ output: [[1, 'hello\n'], [2, 'oops\n']], exitCode: 3 });
    const c = capture(d.host);
    const body = buildCreateBody({ rm: true, name: 'x' }, 'busybox', ['echo', 'hello']);
    const code = await runContainer(c.cli, runCmd(), { rm: true, name: 'x' }, body);
    assert.equal(code, 3);
    assert.deepEqual(d.events, ['create busybox name=x', 'attach ?stream=1&stdout=1&stderr=1', 'wait removed', 'start']);
    assert.equal(c.out(), 'hello\n');
    assert.equal(c.err(), 'WARNING: this is a warning\noops\n');
  });
  it('prints the full ID and does not attach with -d', async () => {
    const d = await daemon({});
    const c = capture(d.host);
    const body = buildCreateBody({ detach: true }, 'busybox', []);
    assert.equal(await runContainer(c.cli, runCmd(), { detach: true }, body), 0);
    assert.equal(c.out(), `${'f'.repeat(64)}\n`);
    assert.deepEqual(d.events, ['create busybox name=', 'start']);
  });
  it('pulls a missing image and retries, as docker does', async () => {
    const d = await daemon({ missingImages: ['alpine'], output: [[1, 'ok\n']] });
    const c = capture(d.host);
    const code = await runContainer(c.cli, runCmd(), {}, buildCreateBody({}, 'alpine', []));
    assert.equal(code, 0);
    assert.deepEqual(d.events.slice(0, 3), ['create alpine name=', 'pull docker.io/library/alpine:latest', 'create alpine name=']);
    assert.match(c.err(), /^Unable to find image 'alpine:latest' locally\nlatest: Pulling from library\/x\n/);
  });
  it('maps start failures to 127/126/125 with docker’s message', async () => {
    const msg = 'failed to create task: exec: "nope": executable file not found in $PATH';
    const d = await daemon({ startError: msg });
    const c = capture(d.host);
    await assert.rejects(runContainer(c.cli, runCmd(), {}, buildCreateBody({}, 'busybox', ['nope'])), (e) =>
      e instanceof StatusError && e.exitCode === 127 &&
      e.message === `berth: Error response from daemon: ${msg}\n\nRun 'berth run --help' for more information`);
    assert.equal(runExitCode('exec: "/etc": permission denied'), 126);
    assert.equal(runExitCode('is a directory'), 126);
    assert.equal(runExitCode('No such image: x'), 125);
  });
  it('prints the trace timeline with --trace', async () => {
    const d = await daemon({ output: [[1, 'x\n']] });
    const c = capture(d.host, true);
    await runContainer(c.cli, runCmd(), {}, buildCreateBody({}, 'busybox', []));
    assert.match(c.err(), /trace ffffffffffff\nSTAGE +START +DURATION +TIMELINE/);
    assert.match(c.err(), /resolve image +\+0\.10 ms +1\.20 ms/);
  });
});
