/**
 * Unit tests for the Compose model: interpolation (every form, `$$`, the unset-variable
 * warning), `.env`, short and long syntaxes, merging of several files by Compose's rules,
 * project names, and errors that name the field's path and line.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { interpolateString } from '../../../src/compose/interpolate.js';
import { loadProject, normalizeProjectName, serviceEnv } from '../../../src/compose/load.js';
import { configHash } from '../../../src/compose/naming.js';

/** Every project directory made here, removed when the file's tests are done. */
const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>, opts: { env?: NodeJS.ProcessEnv; names?: string[]; projectName?: string; dir?: string } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.dir ?? 'compose-unit-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const warnings: string[] = [];
  const p = loadProject({ cwd: dir, files: opts.names, env: opts.env ?? {}, projectName: opts.projectName, warn: (m) => warnings.push(m) });
  return { p, warnings, dir };
}

function loadError(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): string {
  try {
    project(files, { env });
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected the project to be refused');
}

describe('interpolation', () => {
  const env = { A: 'x', EMPTY: '' };
  const run = (s: string, warned: string[] = []) => interpolateString(s, { lookup: (k) => env[k as keyof typeof env], warnUnset: (k) => warned.push(k) }, 'f');
  it('substitutes $VAR and ${VAR}', () => assert.equal(run('$A-${A}'), 'x-x'));
  it('applies :- to unset and empty, - to unset only', () => {
    assert.equal(run('${EMPTY:-d}|${EMPTY-d}|${NOPE-d}|${NOPE:-d}'), 'd||d|d');
  });
  it('applies :+ and + alternatives', () => assert.equal(run('${A:+alt}|${EMPTY:+alt}|${EMPTY+alt}'), 'alt||alt'));
  it('nests defaults', () => assert.equal(run('${NOPE:-${A}}'), 'x'));
  it('keeps $$ as a literal dollar', () => assert.equal(run('$$A costs $$5'), '$A costs $5'));
  it('fails :? with the message', () => assert.throws(() => run('${NOPE:?must be set}'), /required variable NOPE is missing a value: must be set/));
  it('warns once per use of an unset variable and substitutes a blank', () => {
    const warned: string[] = [];
    assert.equal(run('a${NOPE}b', warned), 'ab');
    assert.deepEqual(warned, ['NOPE']);
  });
  it('refuses an unterminated brace', () => assert.throws(() => run('${A'), /invalid interpolation format for f/));
});

describe('loading', () => {
  it('reads .env, lets the shell win, and warns as Compose does for unset variables', () => {
    const { p, warnings } = project(
      { '.env': 'TAG=fromdotenv\nPORT=8080\n', 'compose.yaml': 'services:\n  web:\n    image: busybox:${TAG}\n    ports: ["${PORT}:80"]\n    environment: ["X=${MISSING}"]\n' },
      { env: { PORT: '9090' } },
    );
    const web = p.model.services['web']!;
    assert.equal(web.image, 'busybox:fromdotenv');
    assert.deepEqual(web.ports, [{ target: 80, protocol: 'tcp', published: '9090' }]);
    assert.deepEqual(warnings, ['WARN[0000] The "MISSING" variable is not set. Defaulting to a blank string.']);
  });

  it('normalises short syntaxes to long ones', () => {
    const { p, dir } = project({
      'compose.yaml': `services:
  web:
    image: busybox
    command: sh -c 'echo "a b"'
    ports: ["127.0.0.1:8000-8001:80-81/udp", 3000, {target: 90, published: "9000"}]
    volumes: ["data:/data:ro", "./src:/src", "/anon", {type: tmpfs, target: /tmp, tmpfs: {size: 1000}}]
    environment: {A: 1, B: null}
    networks: {front: {aliases: [w]}}
    depends_on: [db]
  db:
    image: busybox
    networks: [front]
networks: {front: {}}
volumes: {data: {}}
`,
    });
    const web = p.model.services['web']!;
    assert.deepEqual(web.command, ['sh', '-c', 'echo "a b"']);
    assert.deepEqual(web.ports, [
      { target: 80, protocol: 'udp', published: '8000', host_ip: '127.0.0.1' },
      { target: 81, protocol: 'udp', published: '8001', host_ip: '127.0.0.1' },
      { target: 3000, protocol: 'tcp' },
      { target: 90, protocol: 'tcp', published: '9000' },
    ]);
    assert.deepEqual(web.volumes, [
      { type: 'volume', source: 'data', target: '/data', read_only: true },
      { type: 'bind', source: path.join(dir, 'src'), target: '/src', bind: { create_host_path: true } },
      { type: 'volume', target: '/anon' },
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 1000 } },
    ]);
    assert.deepEqual(web.environment, { A: '1', B: null });
    assert.deepEqual(web.depends_on, { db: { condition: 'service_started' } });
    assert.deepEqual(serviceEnv(p, 'web', (k) => (k === 'B' ? 'host' : undefined)), ['A=1', 'B=host']);
  });

  it('merges -f files: maps by key, ports appended, volumes by target, command replaced', () => {
    const { p } = project(
      {
        'a.yml': 'services:\n  web:\n    image: busybox\n    command: [a]\n    environment: [A=1, B=1]\n    ports: ["80:80"]\n    volumes: ["v1:/data", "v2:/keep"]\nvolumes: {v1: {}, v2: {}, v3: {}}\n',
        'b.yml': 'services:\n  web:\n    command: [b]\n    environment: {B: 2, C: 3}\n    ports: ["81:81", "80:80"]\n    volumes: ["v3:/data"]\n',
      },
      { names: ['a.yml', 'b.yml'] },
    );
    const web = p.model.services['web']!;
    assert.deepEqual(web.command, ['b']);
    assert.deepEqual(web.environment, { A: '1', B: '2', C: '3' });
    assert.deepEqual(web.ports!.map((x) => x.published), ['80', '81']);
    assert.deepEqual(web.volumes!.map((v) => `${v.source}:${v.target}`), ['v3:/data', 'v2:/keep']);
    assert.deepEqual(p.configFiles.map((f) => path.basename(f)), ['a.yml', 'b.yml']);
  });

  it('names the project from -p, the file, or the directory (normalised)', () => {
    assert.equal(normalizeProjectName('My_App.v2'), 'my_appv2');
    assert.equal(project({ 'compose.yaml': 'services: {a: {image: busybox}}\n' }, { projectName: 'given' }).p.name, 'given');
    assert.equal(project({ 'compose.yaml': 'name: named\nservices: {a: {image: busybox}}\n' }).p.name, 'named');
    const { p, dir } = project({ 'compose.yaml': 'services: {a: {image: busybox}}\n' }, { dir: 'Upper.Case-' });
    assert.equal(p.name, normalizeProjectName(path.basename(dir)));
    assert.throws(() => project({ 'compose.yaml': 'services: {a: {image: busybox}}\n' }, { projectName: 'Bad Name' }), /invalid project name "Bad Name"/);
  });

  it('reads extra_hosts as a list or a map, and stop_grace_period as a duration', () => {
    const { p } = project({ 'compose.yaml': 'services:\n  a: {image: busybox, extra_hosts: ["x:1.2.3.4", "y=5.6.7.8"], stop_grace_period: 1m30s}\n  b: {image: busybox, extra_hosts: {z: 9.9.9.9}}\n' });
    assert.deepEqual(p.model.services['a']!.extra_hosts, ['x:1.2.3.4', 'y:5.6.7.8']);
    assert.equal(p.model.services['a']!.stop_grace_period, '1m30s');
    assert.deepEqual(p.model.services['b']!.extra_hosts, ['z:9.9.9.9']);
    assert.match(loadError({ 'compose.yaml': 'services:\n  a: {image: busybox, stop_grace_period: soon}\n' }), /services\.a\.stop_grace_period: invalid duration "soon" \(line 2\)/);
  });

  it('drops services of profiles not enabled', () => {
    const { p } = project({ 'compose.yaml': 'services:\n  a: {image: busybox}\n  dbg: {image: busybox, profiles: [debug]}\n' });
    assert.deepEqual(Object.keys(p.model.services), ['a']);
  });

  it('hashes configs independently of key order and replicas', () => {
    assert.equal(configHash({ image: 'a', environment: { X: '1', Y: '2' }, deploy: { replicas: 3 } }), configHash({ environment: { Y: '2', X: '1' }, image: 'a' }));
    assert.notEqual(configHash({ image: 'a' }), configHash({ image: 'b' }));
  });
});

describe('errors name the path', () => {
  it('an unknown key', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    colour: red\n' }), /services\.web additional properties 'colour' not allowed \(line 4\)/);
  });
  it('a wrong type in a list item', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    ports:\n      - [1, 2]\n' }), /services\.web\.ports\[0\] must be a string, number or mapping \(line 5\)/);
  });
  it('a bad port', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    ports: ["80:99999"]\n' }), /services\.web\.ports\[0\]: invalid port "99999" \(line 4\)/);
  });
  it('a wrong type of a whole field', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    depends_on: db\n' }), /services\.web\.depends_on must be a mapping \(line 4\)/);
  });
  it('an unknown condition', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    depends_on: {db: {condition: service_ready}}\n  db: {image: busybox}\n' }), /services\.web\.depends_on\.db\.condition must be one of service_started, service_healthy, service_completed_successfully/);
  });
  it('a dependency cycle', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [c]}\n  c: {image: busybox, depends_on: [a]}\n' }), /services\.a\.depends_on: dependency cycle detected: a -> b -> c -> a/);
  });
  it('an undefined dependency, network or volume', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  a: {image: busybox, depends_on: [nope]}\n' }), /service "a" depends on undefined service "nope": invalid compose project/);
    assert.match(loadError({ 'compose.yaml': 'services:\n  a: {image: busybox, networks: [nope]}\n' }), /service "a" refers to undefined network nope/);
    assert.match(loadError({ 'compose.yaml': 'services:\n  a: {image: busybox, volumes: ["nope:/x"]}\n' }), /service "a" refers to undefined volume nope/);
  });
  it('a service with neither image nor build', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  a: {command: [x]}\n' }), /service "a" has neither an image nor a build context specified/);
  });
  it('invalid YAML, with its line', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  a: {image: busybox\n  b: x\n' }), /^yaml: line \d+: .*\(in .*compose\.yaml\)$/);
  });
  it('a required variable', () => {
    assert.match(loadError({ 'compose.yaml': 'services:\n  a: {image: "${IMG:?set IMG}"}\n' }), /required variable IMG is missing a value: set IMG/);
  });
  it('no file at all', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-empty-'));
    made.push(dir);
    assert.throws(() => loadProject({ cwd: dir, env: {}, warn: () => {} }), /no configuration file provided: not found/);
  });
});

describe('.env files', async () => {
  const { parseDotenv } = await import('../../../src/compose/dotenv.js');
  it('reads quotes, export, comments and bare names', () => {
    const text = "# c\nexport A=1\nB='lit $X # not a comment'\nC=\"two\\nlines\"\nD=plain # comment\nE=\nF\n";
    assert.deepEqual(parseDotenv(text, '.env', (k) => (k === 'F' ? 'from-env' : undefined)), { A: '1', B: 'lit $X # not a comment', C: 'two\nlines', D: 'plain', E: '', F: 'from-env' });
  });
  it('refuses a bad variable name with its line', () => {
    assert.throws(() => parseDotenv('OK=1\nBAD NAME=2\n', '.env'), /failed to read \.env: line 2: unexpected character in variable name "BAD NAME"/);
  });
  it('takes --env-file instead of .env', () => {
    const { p } = project({ '.env': 'IMG=wrong\n', 'other.env': 'IMG=busybox\n', 'compose.yaml': 'services: {a: {image: "${IMG}"}}\n' });
    assert.equal(p.model.services['a']!.image, 'wrong');
    const again = loadProject({ cwd: p.workingDir, env: {}, envFile: 'other.env', warn: () => {} });
    assert.equal(again.model.services['a']!.image, 'busybox');
    assert.throws(() => loadProject({ cwd: p.workingDir, env: {}, envFile: 'none.env', warn: () => {} }), /couldn't find env file/);
  });
});
