/**
 * `berth compose` end to end with busybox: a two-service stack where one service reaches the
 * other by name, a published port, a named volume that outlives `down`/`up`, `config`,
 * recreation of changed services only, scaling, `exec`/`run --rm`/`logs`/`ps`, `down -v`
 * leaving nothing, and bad input refused with the field's path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';
import { ComposeDir, httpGet, inventory } from './compose-helpers.js';

const PORT = 28471;
const STACK = `services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && cat /data/count > /www/index.html 2>/dev/null; echo \${GREETING:-hello} >> /www/index.html; httpd -f -p 80 -h /www & trap 'exit 0' TERM; wait"]
    ports: ["127.0.0.1:${PORT}:80"]
    volumes: ["data:/data"]
    labels: {tier: front}
  client:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    depends_on: [web]
    environment:
      TARGET: web
volumes:
  data: {}
`;

describe('compose', () => {
  const d = new TestDaemon('compose');
  let app: ComposeDir;
  const inspect = (name: string, fmt: string) => d.docker(['inspect', '-f', fmt, name]).stdout.trim();

  before(async () => {
    await d.start();
    app = new ComposeDir(d, 'Shop.App', { 'compose.yaml': STACK });
  });
  after(() => d.stop());

  it('brings the stack up with Compose names and labels; one service reaches the other by name', async () => {
    const r = app.ok(['up', '-d']);
    assert.match(r.stderr, / Network shopapp_default {2}Created/);
    assert.match(r.stderr, / Container shopapp-web-1 {2}Started/);
    // web starts before client, which depends on it.
    assert.ok(r.stderr.indexOf('shopapp-web-1  Started') < r.stderr.indexOf('shopapp-client-1  Started'), r.stderr);
    const labels = JSON.parse(inspect('shopapp-web-1', '{{json .Config.Labels}}')) as Record<string, string>;
    assert.equal(labels['com.docker.compose.project'], 'shopapp');
    assert.equal(labels['com.docker.compose.service'], 'web');
    assert.equal(labels['com.docker.compose.container-number'], '1');
    assert.equal(labels['com.docker.compose.oneoff'], 'False');
    assert.equal(labels['com.docker.compose.project.working_dir'], app.dir);
    assert.equal(labels['com.docker.compose.project.config_files'], `${app.dir}/compose.yaml`);
    assert.match(labels['com.docker.compose.config-hash'] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(labels['tier'], 'front');
    assert.equal(d.docker(['network', 'inspect', '-f', '{{index .Labels "com.docker.compose.network"}} {{index .Labels "com.docker.compose.project"}}', 'shopapp_default']).stdout.trim(), 'default shopapp');
    assert.equal(d.docker(['volume', 'inspect', '-f', '{{index .Labels "com.docker.compose.volume"}} {{index .Labels "com.docker.compose.project"}}', 'shopapp_data']).stdout.trim(), 'data shopapp');
    const aliases = JSON.parse(inspect('shopapp-web-1', '{{json .NetworkSettings.Networks.shopapp_default.Aliases}}')) as string[];
    assert.deepEqual([...aliases].sort(), ['shopapp-web-1', 'web']);
    // By service name and by container name, over the project network's DNS.
    assert.equal(app.ok(['exec', '-T', 'client', 'wget', '-q', '-O-', 'http://web/']).stdout, 'hello\n');
    assert.equal(app.ok(['exec', '-T', 'client', 'sh', '-c', 'wget -q -O- http://shopapp-web-1/ && echo $TARGET']).stdout, 'hello\nweb\n');
    assert.equal(await httpGet(PORT), 'hello\n');
  });

  it('lists the project with ps and prefixes logs per service', () => {
    const ps = app.ok(['ps']).stdout.split('\n');
    assert.match(ps[0]!, /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/);
    assert.match(ps.find((l) => l.startsWith('shopapp-web-1')) ?? '', /busybox .* web .* Up .*127\.0\.0\.1:28471->80\/tcp/);
    assert.deepEqual(app.ok(['ps', '--services']).stdout.split('\n').filter(Boolean).sort(), ['client', 'web']);
    d.docker(['exec', 'shopapp-web-1', 'sh', '-c', 'echo logged-line > /proc/1/fd/1']);
    const logs = app.ok(['logs', 'web']).stdout;
    assert.match(logs, /^web-1 {2}\| logged-line$/m);
    assert.doesNotMatch(logs, /\x1b\[/, 'no colours without a terminal');
  });

  it('prints the resolved model with config, variables substituted', () => {
    const out = app.ok(['config'], { GREETING: 'bonjour' }).stdout;
    assert.match(out, /^name: shopapp$/m);
    assert.match(out, /echo bonjour >> \/www\/index.html/);
    assert.match(out, /published: "28471"/);
    assert.match(out, /target: 80/);
    assert.match(out, /name: shopapp_data/);
    assert.equal(app.ok(['config', '--services']).stdout, 'client\nweb\n');
  });

  it('recreates only the service whose configuration changed', async () => {
    const before = { web: inspect('shopapp-web-1', '{{.Id}}'), client: inspect('shopapp-client-1', '{{.Id}}') };
    const same = app.ok(['up', '-d']);
    assert.match(same.stderr, /shopapp-web-1 {2}Running/);
    assert.equal(inspect('shopapp-web-1', '{{.Id}}'), before.web);
    const changed = app.ok(['up', '-d'], { GREETING: 'changed' });
    assert.match(changed.stderr, /shopapp-web-1 {2}Recreated/);
    assert.doesNotMatch(changed.stderr, /shopapp-client-1 {2}Recreate/);
    assert.notEqual(inspect('shopapp-web-1', '{{.Id}}'), before.web);
    assert.equal(inspect('shopapp-client-1', '{{.Id}}'), before.client);
    assert.equal(await httpGet(PORT), 'changed\n');
    const forced = app.ok(['up', '-d', '--force-recreate', '--no-deps', 'client'], { GREETING: 'changed' });
    assert.match(forced.stderr, /shopapp-client-1 {2}Recreated/);
    assert.doesNotMatch(forced.stderr, /shopapp-web-1/);
    assert.notEqual(inspect('shopapp-client-1', '{{.Id}}'), before.client);
  });

  it('scales a service up and down', () => {
    app.ok(['up', '-d', '--scale', 'client=3'], { GREETING: 'changed' });
    const names = () => app.ok(['ps', '--format', 'json']).stdout;
    const clients = () => (JSON.parse(names()) as Array<{ Name: string; Service: string }>).filter((c) => c.Service === 'client').map((c) => c.Name).sort();
    assert.deepEqual(clients(), ['shopapp-client-1', 'shopapp-client-2', 'shopapp-client-3']);
    // Every replica answers to the service name.
    const ips = d.docker(['inspect', '-f', '{{.NetworkSettings.Networks.shopapp_default.IPAddress}}', 'shopapp-client-1', 'shopapp-client-2', 'shopapp-client-3']).stdout.split('\n').filter(Boolean);
    assert.equal(new Set(ips).size, 3);
    app.ok(['up', '-d', '--scale', 'client=1'], { GREETING: 'changed' });
    assert.deepEqual(clients(), ['shopapp-client-1']);
  });

  it('runs one-off containers with run --rm, labelled oneoff and removed after', () => {
    const r = app.ok(['run', '--rm', '-T', 'client', 'sh', '-c', 'wget -q -O- http://web/; exit 0'], { GREETING: 'changed' });
    assert.equal(r.stdout, 'changed\n');
    assert.deepEqual(inventory(d).containers, ['shopapp-client-1', 'shopapp-web-1']);
    const failed = app.compose(['run', '--rm', '-T', 'client', 'sh', '-c', 'exit 7']);
    assert.equal(failed.code, 7);
  });

  it('stops, starts and restarts services', () => {
    app.ok(['stop', 'client']);
    assert.equal(inspect('shopapp-client-1', '{{.State.Status}}'), 'exited');
    assert.equal(inspect('shopapp-web-1', '{{.State.Status}}'), 'running');
    app.ok(['start']);
    assert.equal(inspect('shopapp-client-1', '{{.State.Status}}'), 'running');
    const started = inspect('shopapp-web-1', '{{.State.StartedAt}}');
    app.ok(['restart', 'web']);
    assert.notEqual(inspect('shopapp-web-1', '{{.State.StartedAt}}'), started);
  });

  it('keeps the named volume across down and up, and down -v removes everything', async () => {
    d.docker(['exec', 'shopapp-web-1', 'sh', '-c', 'echo persisted > /data/count']);
    app.ok(['down']);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: ['shopapp_data'] });
    app.ok(['up', '-d']);
    assert.equal(await httpGet(PORT), 'persisted\nhello\n');
    const down = app.ok(['down', '-v']);
    assert.match(down.stderr, /Volume shopapp_data {2}Removed/);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });

  it('refuses bad input with the path of the field and creates nothing', () => {
    const bad = new ComposeDir(d, 'bad');
    const cases: Array<[string, RegExp]> = [
      ['services:\n  web:\n    image: busybox\n    ports:\n      - "80:http"\n', /services\.web\.ports\[0\]: invalid port "http" \(line 5\)/],
      ['services:\n  web:\n    image: busybox\n    restart: sometimes\n', /services\.web\.restart: invalid restart policy "sometimes" \(line 4\)/],
      ['services:\n  web:\n    image: busybox\n    volumes: [{type: nfs, target: /x}]\n', /services\.web\.volumes\[0\]\.type: invalid mount type "nfs" \(line 4\)/],
      ['services:\n  web:\n    imgae: busybox\n', /services\.web additional properties 'imgae' not allowed \(line 3\)/],
      ['services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: {a: {condition: service_healthy}}}\n', /dependency cycle detected: a -> b -> a/],
      ['services:\n  web:\n    image: busybox\n    environment: 5\n', /services\.web\.environment must be a mapping or a array \(line 4\)/],
    ];
    for (const [text, want] of cases) {
      bad.write({ 'compose.yaml': text });
      const r = bad.compose(['up', '-d']);
      assert.equal(r.code, 1, text);
      assert.match(r.stderr, want);
    }
    const unset = new ComposeDir(d, 'unset', { 'compose.yaml': 'services:\n  web:\n    image: busybox${NOT_SET_ANYWHERE}\n' });
    const r = unset.ok(['config']);
    assert.match(r.stderr, /^WARN\[0000\] The "NOT_SET_ANYWHERE" variable is not set\. Defaulting to a blank string\.$/m);
    assert.match(unset.compose(['-p', 'Bad Name', 'ps']).stderr, /invalid project name "Bad Name"/);
    assert.match(app.compose(['up', '-d', 'nosuch']).stderr, /no such service: nosuch/);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });
});
