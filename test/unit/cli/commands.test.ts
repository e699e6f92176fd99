/**
 * Unit tests for the small translations inside the verbs: `ps` flags to the list query,
 * `--since` values, tag targets, image references, inspect output and the docker-style
 * argument and help handling of the command tree.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { psQuery, filtersJson } from '../../../src/cli/commands/ps.js';
import { getTimestamp } from '../../../src/cli/commands/logs.js';
import { tagQuery } from '../../../src/cli/commands/image-ops.js';
import { renderInspect } from '../../../src/cli/commands/inspect.js';
import { familiarString, fullName, parseNormalizedNamed, tagNameOnly } from '../../../src/cli/reference.js';
import { main } from '../../../src/cli/main.js';

async function runMain(argv: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => ((out += c.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((err += c.toString()), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('ps query', () => {
  it('maps flags to the list query like the docker client', () => {
    assert.deepEqual(psQuery({}), { all: undefined, limit: undefined, size: false, filters: undefined });
    assert.equal(psQuery({ latest: true, last: -1 }).limit, 1);
    assert.equal(psQuery({ last: 3 }).limit, 3);
    assert.equal(psQuery({ format: '{{.Size}}' }).size, true);
    assert.equal(psQuery({ format: '{{.Size}}', quiet: true }).size, false);
    assert.equal(filtersJson(['status=exited', 'label=a=b', 'status=created']), '{"status":["exited","created"],"label":["a=b"]}');
  });
});

describe('logs --since', () => {
  it('turns durations into Unix timestamps counted back from now', () => {
    assert.equal(getTimestamp('10m', 1_000_000_000), '999400.000000000');
    assert.equal(getTimestamp('1h30m', 10_000_000_000), '9994600.000000000');
    assert.equal(getTimestamp('1700000000'), '1700000000');
    assert.equal(getTimestamp('2024-01-02T03:04:05Z'), '1704164645.000000000');
  });
});

describe('references', () => {
  it('normalizes and prints references like distribution/reference', () => {
    const r = parseNormalizedNamed('busybox');
    assert.equal(fullName(r), 'docker.io/library/busybox');
    assert.equal(familiarString(tagNameOnly(r)), 'busybox:latest');
    assert.equal(familiarString(parseNormalizedNamed('localhost:5000/x/y:z')), 'localhost:5000/x/y:z');
    assert.equal(familiarString(parseNormalizedNamed('docker.io/library/busybox:1')), 'busybox:1');
    assert.throws(() => parseNormalizedNamed('Bad:x'), { message: 'invalid reference format: repository name (library/Bad) must be lowercase' });
    assert.throws(() => parseNormalizedNamed('a b'), { message: 'invalid reference format' });
  });
  it('builds tag queries with the full repository name', () => {
    assert.deepEqual(tagQuery('myrepo/thing'), { repo: 'docker.io/myrepo/thing', tag: 'latest' });
    assert.deepEqual(tagQuery('localhost:5000/app:v2'), { repo: 'localhost:5000/app', tag: 'v2' });
    assert.throws(() => tagQuery(`x@sha256:${'0'.repeat(64)}`), { message: 'refusing to create a tag with a digest reference' });
  });
});

describe('inspect output', () => {
  it('indents raw objects into one array, or runs the template per object', () => {
    assert.equal(renderInspect(['{"Id":"a"}', '{"Id":"b"}'], undefined).out, '[\n    {\n        "Id": "a"\n    },\n    {\n        "Id": "b"\n    }\n]\n');
    assert.equal(renderInspect([], undefined).out, '[]\n');
    assert.equal(renderInspect(['{"Id":"a"}'], 'json').out, '[{"Id":"a"}]\n');
    assert.equal(renderInspect(['{"State":{"Status":"running"}}'], '{{.State.Status}}').out, 'running\n');
    const bad = renderInspect(['{"Id":"a"}'], '{{.Nope}}');
    assert.deepEqual(bad.errors, ['template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"']);
  });
});

describe('command tree', () => {
  it('prints help on stdout for the bare command and groups', async () => {
    const root = await runMain([]);
    assert.equal(root.code, 0);
    assert.match(root.out, /^Usage:  berth \[OPTIONS\] COMMAND\n/);
    const group = await runMain(['container']);
    assert.match(group.out, /^Usage:  berth container COMMAND\n\nManage containers\n\nCommands:\n/);
  });
  it('rejects unknown commands and flags with docker wording', async () => {
    const r = await runMain(['frobnicate']);
    assert.equal(r.code, 1);
    assert.equal(r.err, "berth: unknown command: berth frobnicate\n\nRun 'berth --help' for more information\n");
    const f = await runMain(['ps', '-x']);
    assert.equal(f.code, 125);
    assert.match(f.err, /^unknown shorthand flag: 'x' in -x\n\nUsage:  berth ps \[OPTIONS\]\n/);
    const a = await runMain(['rename', 'one']);
    assert.equal(a.code, 1);
    assert.match(a.err, /^berth: 'berth rename' requires 2 arguments\n/);
  });
  it('prints the version with -v', async () => {
    const v = await runMain(['-v']);
    assert.equal(v.code, 0);
    assert.equal(v.out, 'Berth version 0.1.0\n');
  });
  it('refuses to connect anywhere but unix:// and tcp://', async () => {
    const r = await runMain(['-H', 'ssh://x', 'ps']);
    assert.equal(r.code, 1);
    assert.match(r.err, /unable to parse daemon host/);
  });
});
