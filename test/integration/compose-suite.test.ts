/**
 * `berth compose` against a real daemon, with busybox services: a web server and a client that
 * finds it by its network alias, a published port, a named volume that outlives `down`,
 * recreation of only the changed service, scaling, dependency conditions, `config` with
 * interpolation, and bad files reported with their path while nothing is created.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon, type Result } from './harness.js';

const STACK = `
name: shop
services:
  web:
    image: busybox
    command: sh -c 'mkdir -p /www; [ -f /www/index.html ] || echo "hello \${GREETING:-from web}" > /www/index.html; echo started; exec httpd -f -p 80 -h /www'
    ports: ["127.0.0.1::80"]
    volumes: [site:/www]
    networks:
      default:
        aliases: [frontend]
    environment:
      MODE: \${MODE:-prod}
  client:
    image: busybox
    command: ["sh", "-c", "until wget -qO- http://frontend/; do sleep 0.2; done; exec sleep 3600"]
    depends_on:
      init: { condition: service_completed_successfully }
      web: { condition: service_started }
  init:
    image: busybox
    command: ["sh", "-c", "echo init done"]
volumes:
  site:
`;

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
}

describe('berth compose', () => {
  const d = new TestDaemon('compose');
  const dir = path.join(d.dir, 'project');
  const file = path.join(dir, 'compose.yaml');
  const compose = (args: string[], f = file) => d.berth(['compose', '-f', f, ...args]);
  const ok = (r: Result, what: string) => (assert.equal(r.code, 0, `${what}: ${r.stderr}\n${r.stdout}`), r.stdout);
  const status = (name: string) => ok(d.docker(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']), 'ps').trim();
  const inspect = (name: string) => JSON.parse(ok(d.docker(['inspect', name]), `inspect ${name}`))[0];
  const until = async (what: string, cond: () => boolean) => {
    for (const end = Date.now() + 20_000; !cond(); await new Promise((r) => setTimeout(r, 200))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  };

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, STACK);
    await d.start();
  });
  after(async () => {
    compose(['down', '-v']);
    await d.stop();
  });

  it('up -d starts the stack in dependency order, named and labelled as Compose does', async () => {
    delete process.env['MODE'];
    const r = compose(['up', '-d']);
    ok(r, 'up');
    const order = r.stderr.split('\n').filter((l) => / Started$/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    assert.deepEqual(order, ['shop-init-1', 'shop-web-1', 'shop-client-1']);
    await until('the client to reach web by its alias', () => /client-1\s+\| hello from web/.test(compose(['logs', 'client']).stdout));
    const web = inspect('shop-web-1');
    assert.equal(web.Config.Labels['com.docker.compose.project'], 'shop');
    assert.equal(web.Config.Labels['com.docker.compose.service'], 'web');
    assert.equal(web.Config.Labels['com.docker.compose.container-number'], '1');
    assert.ok(web.Config.Env.includes('MODE=prod'));
    assert.deepEqual(Object.keys(web.NetworkSettings.Networks), ['shop_default']);
    assert.ok(web.NetworkSettings.Networks.shop_default.Aliases.includes('frontend'));
    assert.equal(inspect('shop_default').Labels['com.docker.compose.network'], 'default');
    assert.equal(JSON.parse(ok(d.docker(['volume', 'inspect', 'shop_site']), 'volume'))[0].Labels['com.docker.compose.volume'], 'site');
    const port = Number(web.NetworkSettings.Ports['80/tcp'][0].HostPort);
    assert.equal(await get(port), 'hello from web\n');
    const ps = ok(compose(['ps']), 'ps');
    assert.match(ps, /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS/);
    assert.match(ps, new RegExp(`shop-web-1 .* web .*127\\.0\\.0\\.1:${port}->80/tcp`));
    assert.equal(ok(compose(['ps', '-a', '-q']), 'ps -a -q').trim().split('\n').length, 3);
  });

  it('up recreates only the service whose configuration changed, and scales', () => {
    const before = Object.fromEntries(['web', 'client'].map((s) => [s, inspect(`shop-${s}-1`).Id]));
    process.env['MODE'] = 'staging';
    ok(compose(['up', '-d']), 'up with a changed environment');
    delete process.env['MODE'];
    assert.notEqual(inspect('shop-web-1').Id, before['web']);
    assert.equal(inspect('shop-client-1').Id, before['client']);
    assert.ok(inspect('shop-web-1').Config.Env.includes('MODE=staging'));
    process.env['MODE'] = 'staging';
    ok(compose(['up', '-d', '--scale', 'client=2']), 'scale');
    assert.equal(inspect('shop-client-2').Config.Labels['com.docker.compose.container-number'], '2');
    ok(compose(['up', '-d', '--scale', 'client=1']), 'scale down');
    assert.notEqual(d.docker(['inspect', 'shop-client-2']).code, 0);
    delete process.env['MODE'];
  });

  it('a named volume outlives down; down -v removes it with everything else', async () => {
    ok(d.docker(['exec', 'shop-web-1', 'sh', '-c', 'echo kept > /www/index.html']), 'write');
    ok(compose(['down']), 'down');
    assert.equal(d.docker(['ps', '-aq']).stdout, '');
    assert.notEqual(d.docker(['network', 'inspect', 'shop_default']).code, 0);
    ok(d.docker(['volume', 'inspect', 'shop_site']), 'the volume survives down');
    ok(compose(['up', '-d', 'web']), 'up web');
    assert.equal(d.docker(['ps', '-q']).stdout.trim().split('\n').length, 1, 'only web (it has no dependencies)');
    const port = Number(inspect('shop-web-1').NetworkSettings.Ports['80/tcp'][0].HostPort);
    await until('web to answer', () => true);
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) body = await get(port).catch(() => new Promise<string>((r) => setTimeout(() => r(''), 100)));
    assert.equal(body, 'kept\n');
    ok(compose(['down', '-v']), 'down -v');
    assert.notEqual(d.docker(['volume', 'inspect', 'shop_site']).code, 0);
  });

  it('build, up --build, exec, run --rm, stop/start/restart and down --rmi local', () => {
    const b = path.join(dir, 'b');
    fs.mkdirSync(path.join(b, 'app'), { recursive: true });
    fs.writeFileSync(path.join(b, 'app', 'Dockerfile'), 'FROM busybox\nARG V=zero\nRUN echo "built $V" > /v.txt\nCMD ["sh", "-c", "cat /v.txt; exec sleep 600"]\n');
    const f = path.join(b, 'compose.yaml');
    fs.writeFileSync(f, 'services:\n  app:\n    build: {context: ./app, args: {V: one}}\n    environment: [FOO=bar]\n');
    ok(compose(['build'], f), 'build');
    ok(compose(['up', '-d'], f), 'up');
    assert.equal(ok(compose(['exec', '-T', 'app', 'sh', '-c', 'echo $FOO; cat /v.txt'], f), 'exec'), 'bar\nbuilt one\n');
    assert.equal(compose(['exec', '-T', 'app', 'sh', '-c', 'exit 3'], f).code, 3);
    const run = compose(['run', '--rm', '-T', 'app', 'cat', '/v.txt'], f);
    assert.equal(ok(run, 'run --rm'), 'built one\n');
    assert.deepEqual(d.docker(['ps', '-aq', '--filter', 'label=com.docker.compose.oneoff=True']).stdout, '', 'the one-off container was removed');
    fs.writeFileSync(f, 'services:\n  app:\n    build: {context: ./app, args: {V: two}}\n    environment: [FOO=bar]\n');
    ok(compose(['up', '-d', '--build'], f), 'up --build');
    assert.equal(ok(compose(['exec', '-T', 'app', 'cat', '/v.txt'], f), 'exec'), 'built two\n');
    ok(compose(['stop'], f), 'stop');
    assert.match(ok(compose(['ps', '-a'], f), 'ps'), /b-app-1 .* Exited/);
    ok(compose(['start'], f), 'start');
    ok(compose(['restart'], f), 'restart');
    assert.match(ok(compose(['ps'], f), 'ps'), /b-app-1 .* Up/);
    ok(compose(['down', '--rmi', 'local'], f), 'down --rmi local');
    assert.notEqual(d.docker(['image', 'inspect', 'b-app']).code, 0);
    ok(d.docker(['image', 'inspect', 'busybox']), 'images with a name of their own stay');
  });

  it('Debian docker-compose (v1) and berth compose see and manage the same project', async (t) => {
    if (spawnSync('docker-compose', ['version']).status !== 0) return t.skip('docker-compose is not installed');
    const f = path.join(dir, 'interop.yaml');
    fs.writeFileSync(f, 'services:\n  web:\n    image: busybox\n    command: httpd -f -p 80 -h /etc\n    ports: ["127.0.0.1::80"]\n');
    const v1 = (args: string[]) => spawnSync('docker-compose', ['-f', f, '-p', 'interop', ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: d.host }, timeout: 120_000 });
    let r = v1(['up', '-d']);
    assert.equal(r.status, 0, r.stderr);
    // v1 names containers with underscores; the project and service labels are the same.
    assert.match(ok(d.berth(['compose', '-f', f, '-p', 'interop', 'ps']), 'berth compose ps'), /interop_web_1 .* web .*127\.0\.0\.1:\d+->80\/tcp/);
    const port = Number(inspect('interop_web_1').NetworkSettings.Ports['80/tcp'][0].HostPort);
    assert.match(await get(port).catch(() => get(port)), /404 Not Found/); // busybox httpd answered through the published port
    ok(d.berth(['compose', '-f', f, '-p', 'interop', 'down']), 'berth compose down of a v1 project');
    assert.equal(d.docker(['ps', '-aq']).stdout, '');
    assert.notEqual(d.docker(['network', 'inspect', 'interop_default']).code, 0);
    ok(d.berth(['compose', '-f', f, '-p', 'interop', 'up', '-d']), 'berth compose up');
    r = v1(['ps']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /interop-web-1 .* Up /);
    r = v1(['down']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(d.docker(['ps', '-aq']).stdout, '');
  });

  it('every service key reaches its containers; -f files merge; profiles, replicas, externals, --no-deps', () => {
    const m = path.join(dir, 'model');
    fs.mkdirSync(m, { recursive: true });
    fs.writeFileSync(path.join(m, 'app.env'), 'FROM_FILE=1\nSHARED=file\n');
    fs.writeFileSync(
      path.join(m, 'base.yaml'),
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    entrypoint: ["sh", "-c"]',
        '    command: ["exec sleep 600"]',
        '    env_file: app.env',
        '    environment: {SHARED: inline}',
        '    working_dir: /tmp',
        '    user: "65534"',
        '    hostname: apphost',
        '    labels: {tier: backend}',
        '    restart: unless-stopped',
        '    expose: ["7000"]',
        '    deploy: {replicas: 2}',
        '    networks: [ext]',
        '    volumes: [{type: volume, source: shared, target: /data}]',
        '  side:',
        '    image: busybox',
        '    command: sleep 600',
        '    depends_on: [app]',
        '  debug:',
        '    image: busybox',
        '    profiles: [debug]',
        '    command: sleep 600',
        'networks:',
        '  ext: {external: true, name: outside-net}',
        'volumes:',
        '  shared: {external: true, name: outside-vol}',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(m, 'override.yaml'), 'services:\n  app:\n    labels: {extra: "yes"}\n    environment: [ADDED=1]\n');
    const mc = (args: string[]) => d.berth(['compose', '-f', path.join(m, 'base.yaml'), '-f', path.join(m, 'override.yaml'), '-p', 'model', ...args]);
    let r = mc(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /network outside-net declared as external, but could not be found/);
    ok(d.docker(['network', 'create', 'outside-net']), 'network');
    ok(d.docker(['volume', 'create', 'outside-vol']), 'volume');
    ok(mc(['up', '-d', '--no-deps', 'side']), 'up --no-deps side');
    assert.deepEqual(ok(d.docker(['ps', '--format', '{{.Names}}']), 'ps').trim().split('\n'), ['model-side-1']);
    ok(mc(['up', '-d']), 'up');
    const a = inspect('model-app-2');
    assert.deepEqual(a.Config.Entrypoint, ['sh', '-c']);
    assert.deepEqual(a.Config.Cmd, ['exec sleep 600']);
    for (const e of ['FROM_FILE=1', 'SHARED=inline', 'ADDED=1']) assert.ok(a.Config.Env.includes(e), e);
    assert.equal(a.Config.WorkingDir, '/tmp');
    assert.equal(a.Config.User, '65534');
    assert.equal(a.Config.Hostname, 'apphost');
    assert.equal(a.Config.Labels.tier, 'backend');
    assert.equal(a.Config.Labels.extra, 'yes');
    assert.equal(a.HostConfig.RestartPolicy.Name, 'unless-stopped');
    assert.ok('7000/tcp' in a.Config.ExposedPorts);
    assert.deepEqual(Object.keys(a.NetworkSettings.Networks), ['outside-net']);
    assert.equal(a.Mounts[0].Name, 'outside-vol');
    assert.notEqual(d.docker(['inspect', 'model-debug-1']).code, 0, 'a service of an inactive profile is not started');
    ok(d.berth(['compose', '-f', path.join(m, 'base.yaml'), '-p', 'model', '--profile', 'debug', 'up', '-d', 'debug']), 'up with --profile');
    ok(d.docker(['inspect', 'model-debug-1']), 'debug');
    ok(d.berth(['compose', '-f', path.join(m, 'base.yaml'), '-p', 'model', '--profile', 'debug', 'down', '-v']), 'down -v');
    ok(d.docker(['network', 'inspect', 'outside-net']), 'an external network stays');
    ok(d.docker(['volume', 'inspect', 'outside-vol']), 'an external volume stays');
    ok(d.docker(['network', 'rm', 'outside-net']), 'rm network');
    ok(d.docker(['volume', 'rm', 'outside-vol']), 'rm volume');
  });

  it('a service that fails to start is named with the reason; the services before it keep running', () => {
    const f = path.join(dir, 'fail.yaml');
    fs.writeFileSync(f, 'services:\n  a: {image: busybox, command: sleep 600, ports: ["127.0.0.1:39123:80"]}\n  b: {image: busybox, command: sleep 600, ports: ["127.0.0.1:39123:80"], depends_on: [a]}\n');
    const r = compose(['up', '-d'], f);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /service "b" failed to start: .*port is already allocated/);
    assert.match(status('project-a-1'), /^Up /);
    ok(compose(['down'], f), 'down');
    assert.equal(d.docker(['ps', '-aq']).stdout, '');
  });

  it('config resolves variables, warns about unset ones, and prints the model', () => {
    const f = path.join(dir, 'vars.yaml');
    fs.writeFileSync(f, 'services:\n  a:\n    image: ${IMG:-busybox}\n    command: echo ${UNSET_THING}\n    environment:\n      - X=$${Y}\n');
    fs.writeFileSync(path.join(dir, '.env'), 'IMG=busybox:latest\n');
    const r = compose(['config'], f);
    ok(r, 'config');
    assert.match(r.stderr, /WARN\[0000\] The "UNSET_THING" variable is not set\. Defaulting to a blank string\./);
    assert.match(r.stdout, /^name: project$/m);
    assert.match(r.stdout, /image: busybox:latest/);
    assert.match(r.stdout, /X: \$\{Y\}/);
    assert.equal(ok(compose(['config', '--services'], f), 'services'), 'a\n');
    fs.rmSync(path.join(dir, '.env'));
  });

  it('bad files are refused with the path of the fault, and nothing is created', () => {
    const cases: Array<[string, RegExp]> = [
      ['services:\n  web:\n    image: busybox\n    colour: red\n', /services\.web additional properties 'colour' not allowed/],
      ['services:\n  web:\n    image: busybox\n    ports: "80:80"\n', /services\.web\.ports must be a array/],
      ['services:\n  web:\n    image: busybox\n    ports: ["80:80", "99999:80"]\n', /services\.web\.ports\[1\]: invalid port/],
      ['services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n', /dependency cycle detected: a -> b -> a/],
      ['services:\n  a: {image: busybox, volumes: ["nope:/data"]}\n', /refers to undefined volume nope: invalid compose project/],
      ['services:\n  a:\n    image: busybox\n   bad-indent: 1\n', /^yaml: line \d+/m],
      ['services:\n  a: {image: busybox, secrets: [s]}\n', /services\.a\.secrets is not supported/],
    ];
    for (const [text, want] of cases) {
      const f = path.join(dir, 'bad.yaml');
      fs.writeFileSync(f, text);
      const r = compose(['up', '-d'], f);
      assert.equal(r.code, 1, text);
      assert.match(r.stderr, want, text);
    }
    assert.equal(d.docker(['ps', '-aq']).stdout, '');
    assert.doesNotMatch(d.docker(['network', 'ls']).stdout, /project_default/);
  });

  it('depends_on service_healthy waits for the health check; an unhealthy dependency stops up', () => {
    const f = path.join(dir, 'health.yaml');
    fs.writeFileSync(
      f,
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: sh -c "sleep 2; touch /ready; exec sleep 600"',
        '    healthcheck: {test: "test -f /ready", interval: 500ms, retries: 20}',
        '  app:',
        '    image: busybox',
        '    command: sleep 600',
        '    depends_on: {db: {condition: service_healthy}}',
        '',
      ].join('\n'),
    );
    const t0 = Date.now();
    ok(compose(['up', '-d'], f), 'up');
    assert.ok(Date.now() - t0 >= 2000, 'app waited for db to be healthy');
    assert.equal(inspect('project-db-1').State.Health.Status, 'healthy');
    assert.ok(Date.parse(inspect('project-app-1').State.StartedAt) > Date.parse(inspect('project-db-1').State.Health.Log.find((l: { ExitCode: number }) => l.ExitCode === 0).Start));
    ok(compose(['down'], f), 'down');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('test -f /ready", interval: 500ms, retries: 20', 'false", interval: 300ms, retries: 2'));
    const r = compose(['up', '-d'], f);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /dependency failed to start: container project-db-1 is unhealthy/);
    // Compose creates every container before starting any: app is left created, not started.
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', 'project-app-1']).stdout.trim(), 'created');
    ok(compose(['down'], f), 'down');
    assert.equal(d.docker(['ps', '-aq']).stdout, '');
  });
});
