/**
 * Unit tests for `run`/`create` flag parsing: the real command definitions parse argv, and
 * the result must be the create body docker 28 sends (checked field by field against the
 * docker CLI through a recording proxy), with docker's errors and exit codes for bad values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram, main } from '../../../src/cli/main.js';
import { buildCreateBody, type ContainerFlags, type CreateBody } from '../../../src/cli/commands/container-opts.js';
import { parseKvFile, parsePortSpecs, parseRestartPolicy } from '../../../src/cli/commands/container-parse.js';

/** Parses `berth <verb> …argv` with the real flags; returns what the action would build. */
async function parse(argv: string[], files: Record<string, string> = {}): Promise<{ body: CreateBody; flags: ContainerFlags }> {
  const program = buildProgram();
  let got: { body: CreateBody; flags: ContainerFlags } | undefined;
  const cmd = program.commands.find((c) => c.name() === argv[0]) as Command;
  cmd.action((operands: string[], flags: ContainerFlags) => {
    const body = buildCreateBody(flags, operands[0]!, operands.slice(1), {
      env: { FROM_ENV: 'yes' },
      readFile: (p) => {
        if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        return files[p]!;
      },
    });
    got = { body, flags };
  });
  await program.parseAsync(argv, { from: 'user' });
  assert.ok(got, 'action ran');
  return got;
}

/** Runs main() and captures what it prints to stderr. */
async function runMain(argv: string[]): Promise<{ code: number | undefined; stderr: string }> {
  let stderr = '';
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stderr };
  } finally {
    process.stderr.write = orig;
  }
}

describe('run/create flags → create body', () => {
  it('splits image and command at the first operand; later flags belong to the command', async () => {
    const { body } = await parse(['run', '--rm', '-e', 'A=1', 'busybox', 'sh', '-c', 'echo hi', '-e', '--rm']);
    assert.equal(body.Image, 'busybox');
    assert.deepEqual(body.Cmd, ['sh', '-c', 'echo hi', '-e', '--rm']);
    assert.deepEqual(body.Env, ['A=1']);
    assert.equal(body.HostConfig.AutoRemove, true);
  });
  it('leaves Cmd and Entrypoint null without a command, and resets the entrypoint with ""', async () => {
    const a = await parse(['create', 'busybox']);
    assert.equal(a.body.Cmd, null);
    assert.equal(a.body.Entrypoint, null);
    assert.equal(a.body.Env, null);
    const b = await parse(['create', '--entrypoint=', 'busybox']);
    assert.deepEqual(b.body.Entrypoint, ['']);
    const c = await parse(['create', '--entrypoint', '/bin/sh', 'busybox', '-c', 'true']);
    assert.deepEqual(c.body.Entrypoint, ['/bin/sh']);
    assert.deepEqual(c.body.Cmd, ['-c', 'true']);
  });
  it('builds the full body docker sends', async () => {
    const { body } = await parse(
      [
        'run', '-d', '--name', 'web', '-e', 'X=1', '-e', 'FROM_ENV', '-e', 'UNSET', '--env-file', '/f',
        '-w', '/tmp', '-u', '1000:1000', '-h', 'myhost', '-l', 'k=v', '-l', 'k2', '--restart', 'on-failure:3',
        '-m', '512m', '--memory-swap', '1g', '--cpus', '1.5', '--pids-limit', '100', '--read-only',
        '--cap-add', 'net_admin', '--cap-drop', 'MKNOD', '--privileged', '--init', '--stop-signal', 'SIGUSR1',
        '--stop-timeout', '7', '-p', '8080:80', '-p', '127.0.0.1:9000-9001:9000-9001/udp', '--network', 'none',
        '-it', '--pull', 'never', 'busybox', 'true',
      ],
      { '/f': 'A=1\n# comment\nFROM_ENV\nC=x y\n' },
    );
    assert.deepEqual(body.Env, ['A=1', 'FROM_ENV=yes', 'C=x y', 'X=1', 'FROM_ENV=yes', 'UNSET']);
    assert.equal(body.WorkingDir, '/tmp');
    assert.equal(body.User, '1000:1000');
    assert.equal(body.Hostname, 'myhost');
    assert.deepEqual(body.Labels, { k: 'v', k2: '' });
    assert.equal(body.Tty, true);
    assert.equal(body.OpenStdin, true);
    assert.equal(body.StdinOnce, true);
    assert.equal(body.StopSignal, 'SIGUSR1');
    assert.equal(body.StopTimeout, 7);
    assert.deepEqual(body.ExposedPorts, { '80/tcp': {}, '9000/udp': {}, '9001/udp': {} });
    const hc = body.HostConfig;
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(hc.Memory, 512 * 1024 * 1024);
    assert.equal(hc.MemorySwap, 1024 ** 3);
    assert.equal(hc.NanoCpus, 1_500_000_000);
    assert.equal(hc.PidsLimit, 100);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.deepEqual(hc.CapAdd, ['CAP_NET_ADMIN']);
    assert.deepEqual(hc.CapDrop, ['CAP_MKNOD']);
    assert.equal(hc.Privileged, true);
    assert.equal(hc.Init, true);
    assert.equal(hc.NetworkMode, 'none');
    assert.deepEqual(hc.PortBindings, {
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '9000/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
      '9001/udp': [{ HostIp: '127.0.0.1', HostPort: '9001' }],
    });
  });
  it('accepts --flag=false for booleans and defaults', async () => {
    const { body } = await parse(['run', '--rm=false', '--init=false', '--read-only=true', 'busybox']);
    assert.equal(body.HostConfig.AutoRemove, false);
    assert.equal(body.HostConfig.Init, false);
    assert.equal(body.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(body.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    assert.equal(body.HostConfig.NetworkMode, 'default');
    assert.equal(body.AttachStdout, true);
    assert.equal(body.AttachStderr, true);
    assert.equal(body.AttachStdin, false);
  });
  it('attaches only the streams given with -a', async () => {
    const { body } = await parse(['run', '-a', 'stdout', 'busybox']);
    assert.equal(body.AttachStdout, true);
    assert.equal(body.AttachStderr, false);
  });
  it('rejects --memory 12zz with pflag wording, the usage, and exit 125', async () => {
    const r = await runMain(['run', '--memory', '12zz', 'busybox']);
    assert.equal(r.code, 125);
    assert.equal(
      r.stderr,
      'invalid argument "12zz" for "-m, --memory" flag: invalid suffix: \'zz\'\n\n' +
        "Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n",
    );
    const short = await runMain(['create', '-m12zz', 'busybox']);
    assert.equal(short.code, 125);
    assert.match(short.stderr, /^invalid argument "12zz" for "-m, --memory" flag/);
  });
  it('reports other flag errors like docker, exit 125', async () => {
    assert.equal((await runMain(['run', '--cpus', 'abc', 'busybox'])).code, 125);
    const unknown = await runMain(['run', '--bogus', 'busybox']);
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /^unknown flag: --bogus\n/);
    const restart = await runMain(['run', '--rm', '--restart', 'always', 'busybox']);
    assert.equal(restart.code, 125);
    assert.match(restart.stderr, /^berth: conflicting options: cannot specify both --restart and --rm\n\nRun 'berth run --help'/);
    const pull = await runMain(['run', '--pull', 'sometimes', 'busybox']);
    assert.equal(pull.code, 125);
    assert.match(pull.stderr, /invalid pull option: 'sometimes'/);
  });
  it('requires an image', async () => {
    const r = await runMain(['run']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^berth: 'berth run' requires at least 1 argument/);
  });
});

describe('value parsers', () => {
  it('parses port specs like nat.ParsePortSpecs', () => {
    assert.deepEqual(parsePortSpecs(['80']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '' }] });
    assert.deepEqual(parsePortSpecs(['[::1]:53:53/udp']).bindings, { '53/udp': [{ HostIp: '::1', HostPort: '53' }] });
    assert.deepEqual(parsePortSpecs(['8000-8002:80']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '8000-8002' }] });
    assert.throws(() => parsePortSpecs(['99999:80']), { message: 'invalid hostPort: 99999' });
    assert.throws(() => parsePortSpecs(['80/xyz']), { message: 'invalid proto: xyz' });
    assert.throws(() => parsePortSpecs(['1-2:3-5']), /invalid ranges specified/);
  });
  it('parses restart policies and env files', () => {
    assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
    assert.throws(() => parseRestartPolicy(':3'), /no policy provided before colon/);
    assert.throws(() => parseRestartPolicy('on-failure:x'), /must be an integer/);
    assert.deepEqual(parseKvFile('\uFEFFA=1\n  B=2 \n\n#x\nC\nD', (k) => (k === 'C' ? 'c' : undefined)), ['A=1', 'B=2 ', 'C=c']);
    assert.throws(() => parseKvFile('B C=2'), { message: "variable 'B C' contains whitespaces" });
  });
});
