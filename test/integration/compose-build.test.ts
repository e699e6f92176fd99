/**
 * `berth compose` with builds, several files, `.env`, external networks and volumes,
 * attached `up`, and an image that cannot be pulled (from 127.0.0.1:9, never the internet).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';
import { ComposeDir, inventory } from './compose-helpers.js';

const DOCKERFILE = `FROM busybox AS base
ARG MSG=default
RUN echo "$MSG" > /msg
FROM base AS final
CMD ["sh", "-c", "cat /msg; trap 'exit 0' TERM; while true; do sleep 1; done"]
`;

describe('compose builds and files', () => {
  const d = new TestDaemon('compose-build');
  before(() => d.start());
  after(() => d.stop());
  const id = (ref: string, kind = 'container') => d.docker([kind, 'inspect', '-f', '{{.Id}}', ref]).stdout.trim();

  it('builds with context, dockerfile, args and target; rebuilds and recreates only when the image changes; down --rmi local removes it', () => {
    const app = new ComposeDir(d, 'bld', {
      'Dockerfile.app': DOCKERFILE,
      'compose.yaml': 'services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile.app\n      target: final\n      args: {MSG: "built-${VERSION:-1}"}\n',
    });
    const built = app.ok(['build']);
    assert.match(built.stdout, /Step 1\/5 : FROM busybox AS base/);
    assert.ok(id('bld-app', 'image'));
    app.ok(['up', '-d']);
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('built'); i++) logs = app.ok(['logs', '--no-log-prefix', 'app']).stdout;
    assert.equal(logs, 'built-1\n');
    const first = id('bld-app-1');
    // Same arguments: the cached build gives the same image, nothing is recreated.
    assert.match(app.ok(['up', '-d', '--build']).stderr, /bld-app-1 {2}Running/);
    assert.equal(id('bld-app-1'), first);
    const again = app.ok(['up', '-d', '--build'], { VERSION: '2' });
    assert.match(again.stderr, /bld-app-1 {2}Recreated/);
    assert.notEqual(id('bld-app-1'), first);
    app.ok(['down', '-t', '1', '--rmi', 'local']);
    assert.equal(d.docker(['image', 'inspect', 'bld-app']).code, 1);
    assert.equal(d.docker(['image', 'inspect', 'busybox']).code, 0);
  });

  it('merges -f files in order and reads .env', () => {
    const app = new ComposeDir(d, 'multi', {
      '.env': 'TAG=latest\nCOUNT=2\n',
      'base.yml': 'services:\n  web:\n    image: busybox:${TAG}\n    command: [base]\n    environment: [A=base, B=base]\n    ports: ["127.0.0.1:28473:80"]\n',
      'override.yml': 'services:\n  web:\n    command: [override]\n    environment: {B: override}\n    ports: ["127.0.0.1:28474:81"]\n    deploy: {replicas: "${COUNT}"}\n',
    });
    const out = app.ok(['-f', 'base.yml', '-f', 'override.yml', 'config', '--format', 'json']).stdout;
    const web = (JSON.parse(out) as { services: { web: Record<string, unknown> } }).services.web;
    assert.equal(web['image'], 'busybox:latest');
    assert.deepEqual(web['command'], ['override']);
    assert.deepEqual(web['environment'], { A: 'base', B: 'override' });
    assert.deepEqual((web['ports'] as Array<{ published: string }>).map((p) => p.published), ['28473', '28474']);
    assert.deepEqual(web['deploy'], { replicas: 2 });
  });

  it('uses external networks and volumes without creating or removing them', () => {
    assert.equal(d.docker(['network', 'create', 'shared-net']).code, 0);
    assert.equal(d.docker(['volume', 'create', 'shared-vol']).code, 0);
    const app = new ComposeDir(d, 'ext', {
      'compose.yaml': `services:
  app:
    image: busybox
    command: ["sh", "-c", "echo kept > /v/f; trap 'exit 0' TERM; while true; do sleep 1; done"]
    networks: [outside]
    volumes: ["keep:/v"]
networks: {outside: {external: true, name: shared-net}}
volumes: {keep: {external: true, name: shared-vol}}
`,
    });
    const up = app.ok(['up', '-d']);
    assert.doesNotMatch(up.stderr, /Network|Volume/);
    assert.deepEqual(JSON.parse(d.docker(['inspect', '-f', '{{json (index .NetworkSettings.Networks "shared-net").Aliases}}', 'ext-app-1']).stdout), ['app', 'ext-app-1']);
    app.ok(['down', '-v', '-t', '1']);
    assert.deepEqual(inventory(d), { containers: [], networks: ['shared-net'], volumes: ['shared-vol'] });
    d.docker(['network', 'rm', 'shared-net']);
    d.docker(['volume', 'rm', 'shared-vol']);
    const missing = new ComposeDir(d, 'noext', { 'compose.yaml': 'services:\n  a: {image: busybox, networks: [n]}\nnetworks: {n: {external: true}}\n' });
    const r = missing.compose(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /network n declared as external, but could not be found/);
  });

  it('runs attached without -d: prefixed output, exit lines, and returns when the services end', () => {
    const app = new ComposeDir(d, 'att', {
      'compose.yaml': 'services:\n  job:\n    image: busybox\n    command: ["sh", "-c", "echo attached-hello; echo second line"]\n',
    });
    const r = app.ok(['up']);
    assert.match(r.stdout, /^job-1 {2}\| attached-hello\njob-1 {2}\| second line\njob-1 exited with code 0\n$/);
    assert.match(r.stderr, /Attaching to att-job-1/);
    app.ok(['down']);
  });

  it('names the service whose image cannot be pulled, and leaves nothing made', () => {
    const app = new ComposeDir(d, 'nopull', { 'compose.yaml': 'services:\n  ghost: {image: "127.0.0.1:9/missing/image:1"}\n' });
    const pull = app.compose(['pull']);
    assert.equal(pull.code, 1);
    assert.match(pull.stderr, /failed to pull image for service "ghost": .*127\.0\.0\.1:9/);
    const up = app.compose(['up', '-d']);
    assert.equal(up.code, 1);
    assert.match(up.stderr, /failed to pull image for service "ghost"/);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });
});
