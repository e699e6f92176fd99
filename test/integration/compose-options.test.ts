/**
 * Service options reaching the engine as Compose sends them (entrypoint, command, env_file
 * and environment, user, working_dir, hostname, restart, expose, labels, healthcheck,
 * bind/tmpfs/anonymous mounts, extra networks with aliases), orphans (the warning, removal,
 * and `down` removing networks of services no longer in the file), and hostile files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';
import { ComposeDir, inventory } from './compose-helpers.js';

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

describe('compose service options', () => {
  const d = new TestDaemon('compose-opts');
  before(() => d.start());
  after(() => d.stop());
  const inspect = (name: string, fmt: string) => JSON.parse(d.docker(['inspect', '-f', `{{json ${fmt}}}`, name]).stdout) as unknown;

  it('passes every service option to the container', () => {
    const app = new ComposeDir(d, 'opts', {
      'app.env': '# comment\nFROM_FILE=file\nOVERRIDDEN=file\n',
      'compose.yaml': `services:
  app:
    image: busybox
    entrypoint: ["/bin/sh", "-c"]
    command: ["id -u; pwd; hostname; cat /srv/f; echo $$FROM_FILE $$OVERRIDDEN; trap 'exit 0' TERM; while true; do sleep 1; done"]
    env_file: app.env
    environment: {OVERRIDDEN: env}
    user: "1234"
    working_dir: /tmp
    hostname: apphost
    restart: on-failure:3
    expose: ["9000"]
    labels: [team=core]
    healthcheck: {test: ["CMD-SHELL", "true"], interval: 2s, timeout: 1s, retries: 4, start_period: 1s}
    stop_grace_period: 3s
    stop_signal: SIGINT
    init: true
    read_only: true
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    dns: 10.0.0.53
    extra_hosts: ["db.example:10.1.2.3"]
    tty: true
    volumes:
      - ./src:/srv:ro
      - ./made-by-up:/made
      - {type: tmpfs, target: /scratch, tmpfs: {size: 1048576}}
      - /anon
    networks:
      default:
      back: {aliases: [api]}
networks: {back: {}}
`,
    });
    fs.mkdirSync(path.join(app.dir, 'src'));
    fs.writeFileSync(path.join(app.dir, 'src', 'f'), 'from-bind\n');
    app.ok(['up', '-d']);
    assert.deepEqual(inspect('opts-app-1', '.Config.Entrypoint'), ['/bin/sh', '-c']);
    assert.equal(inspect('opts-app-1', '.Config.User'), '1234');
    assert.equal(inspect('opts-app-1', '.Config.WorkingDir'), '/tmp');
    assert.equal(inspect('opts-app-1', '.Config.Hostname'), 'apphost');
    assert.deepEqual(inspect('opts-app-1', '.HostConfig.RestartPolicy'), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.ok(Object.keys(inspect('opts-app-1', '.Config.ExposedPorts') as object).includes('9000/tcp'));
    assert.equal((inspect('opts-app-1', '.Config.Labels') as Record<string, string>)['team'], 'core');
    assert.deepEqual(inspect('opts-app-1', '.Config.Healthcheck'), { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Timeout: 1e9, StartPeriod: 1e9, Retries: 4 });
    assert.equal(inspect('opts-app-1', '.Config.StopTimeout'), 3);
    assert.equal(inspect('opts-app-1', '.Config.StopSignal'), 'SIGINT');
    assert.equal(inspect('opts-app-1', '.Config.Tty'), true);
    assert.equal(inspect('opts-app-1', '.HostConfig.Init'), true);
    assert.equal(inspect('opts-app-1', '.HostConfig.ReadonlyRootfs'), true);
    assert.deepEqual(inspect('opts-app-1', '.HostConfig.CapAdd'), ['NET_ADMIN']);
    assert.deepEqual(inspect('opts-app-1', '.HostConfig.CapDrop'), ['MKNOD']);
    assert.deepEqual(inspect('opts-app-1', '.HostConfig.Dns'), ['10.0.0.53']);
    assert.match(d.docker(['exec', 'opts-app-1', 'cat', '/etc/hosts']).stdout, /^10\.1\.2\.3\s+db\.example$/m);
    assert.notEqual(d.docker(['exec', 'opts-app-1', 'touch', '/rootfs-write']).code, 0);
    const env = inspect('opts-app-1', '.Config.Env') as string[];
    assert.ok(env.includes('FROM_FILE=file') && env.includes('OVERRIDDEN=env'), env.join(' '));
    const mounts = (inspect('opts-app-1', '.Mounts') as Array<{ Type: string; Destination: string; RW: boolean }>).map((m) => `${m.Type}:${m.Destination}:${m.RW}`).sort();
    assert.deepEqual(mounts, ['bind:/made:true', 'bind:/srv:false', 'tmpfs:/scratch:true', 'volume:/anon:true']);
    // A short-syntax bind creates its missing host directory, as with Compose.
    assert.ok(fs.statSync(path.join(app.dir, 'made-by-up')).isDirectory());
    const back = inspect('opts-app-1', '(index .NetworkSettings.Networks "opts_back").Aliases') as string[];
    assert.deepEqual([...back].sort(), ['api', 'app', 'opts-app-1']);
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('file'); i++) logs = app.ok(['logs', '--no-log-prefix']).stdout;
    // A TTY container's output comes with the terminal's line endings.
    assert.equal(logs.replace(/\r/g, ''), '1234\n/tmp\napphost\nfrom-bind\nfile env\n');
    // `down -v` takes the anonymous volume with the container.
    app.ok(['down', '-v', '-t', '1']);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });

  it('warns about orphans, removes them on request, and down removes networks of services gone from the file', () => {
    const app = new ComposeDir(d, 'orph', {
      'compose.yaml': `services:\n  keep: {image: busybox, command: ${LOOP}}\n  gone: {image: busybox, command: ${LOOP}, networks: [side]}\nnetworks: {side: {}}\n`,
    });
    app.ok(['up', '-d']);
    app.write({ 'compose.yaml': `services:\n  keep: {image: busybox, command: ${LOOP}}\n` });
    const warned = app.ok(['up', '-d']);
    assert.match(warned.stderr, /WARN\[0000\] Found orphan containers \(\[orph-gone-1\]\) for this project\. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up\./);
    assert.deepEqual(inventory(d).containers, ['orph-gone-1', 'orph-keep-1']);
    app.ok(['up', '-d', '--remove-orphans', '-t', '1']);
    assert.deepEqual(inventory(d).containers, ['orph-keep-1']);
    assert.deepEqual(inventory(d).networks, ['orph_default', 'orph_side']);
    // Without the file, `-p` finds the project by its labels.
    const elsewhere = new ComposeDir(d, 'elsewhere');
    assert.match(elsewhere.compose(['ps']).stderr, /no configuration file provided: not found/);
    assert.match(elsewhere.ok(['-p', 'orph', 'ps']).stdout, /orph-keep-1/);
    elsewhere.ok(['-p', 'orph', 'stop', '-t', '1']);
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', 'orph-keep-1']).stdout.trim(), 'exited');
    elsewhere.ok(['-p', 'orph', 'start']);
    assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', 'orph-keep-1']).stdout.trim(), 'running');
    elsewhere.ok(['-p', 'orph', 'down', '-t', '1']);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });

  it('runs a one-off container in a project not yet up: its networks made, its dependencies started', () => {
    const app = new ComposeDir(d, 'oneoff', {
      'compose.yaml': `services:
  db: {image: busybox, command: ["sh", "-c", "echo db > /i.html; httpd -f -p 80 -h / & trap 'exit 0' TERM; wait"]}
  tool:
    image: busybox
    depends_on: [db]
    networks: [default, extra]
networks: {extra: {}}
`,
    });
    const r = app.ok(['run', '--rm', '-T', 'tool', 'sh', '-c', 'wget -q -O- http://db/i.html; ip -o -4 addr | grep -c eth']);
    assert.equal(r.stdout, 'db\n2\n');
    // The one-off container is gone; the dependency it started stays.
    assert.deepEqual(inventory(d).containers, ['oneoff-db-1']);
    assert.deepEqual(inventory(d).networks, ['oneoff_default', 'oneoff_extra']);
    const detached = app.ok(['run', '-d', '--no-deps', 'tool', 'sleep', '30']).stdout.trim();
    assert.match(detached, /^oneoff-tool-run-[0-9a-f]{12}$/);
    assert.equal(d.docker(['inspect', '-f', '{{index .Config.Labels "com.docker.compose.oneoff"}} {{.Config.Image}}', detached]).stdout.trim(), 'True busybox');
    // ps leaves one-off containers out; down removes them with the rest.
    assert.doesNotMatch(app.ok(['ps']).stdout, /run-/);
    app.ok(['down', '-t', '1']);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });

  it('shares a service\'s network namespace with network_mode: service:NAME, started after it', () => {
    const app = new ComposeDir(d, 'shared', {
      'compose.yaml': `services:
  side:
    image: busybox
    network_mode: "service:web"
    command: ${LOOP}
  web: {image: busybox, command: ["sh", "-c", "echo shared-ns > /i.html; httpd -f -p 80 -h / & trap 'exit 0' TERM; wait"]}
  lonely: {image: busybox, network_mode: none, command: ${LOOP}}
`,
    });
    const r = app.ok(['up', '-d']);
    assert.ok(r.stderr.indexOf('shared-web-1  Started') < r.stderr.indexOf('shared-side-1  Started'), r.stderr);
    let body = '';
    for (let i = 0; i < 30 && !body; i++) body = d.docker(['exec', 'shared-side-1', 'wget', '-q', '-O-', 'http://127.0.0.1/i.html']).stdout;
    assert.equal(body, 'shared-ns\n');
    assert.equal(d.docker(['exec', 'shared-lonely-1', 'sh', '-c', 'ls /sys/class/net']).stdout, 'lo\n');
    // A change to web alone recreates the service living in its namespace too.
    app.write({ 'compose.yaml': fs.readFileSync(path.join(app.dir, 'compose.yaml'), 'utf8').replace('shared-ns', 'shared-ns-2') });
    const r2 = app.ok(['up', '-d']);
    assert.match(r2.stderr, /shared-web-1 {2}Recreated/);
    assert.match(r2.stderr, /shared-side-1 {2}Recreated/);
    body = '';
    for (let i = 0; i < 30 && !body; i++) body = d.docker(['exec', 'shared-side-1', 'wget', '-q', '-O-', 'http://127.0.0.1/i.html']).stdout;
    assert.equal(body, 'shared-ns-2\n');
    app.ok(['down', '-t', '1']);
    const bad = new ComposeDir(d, 'badmode', { 'compose.yaml': 'services:\n  a: {image: busybox, networks: [default], network_mode: host}\n' });
    assert.match(bad.compose(['config']).stderr, /services\.a\.network_mode: network_mode and networks cannot be combined \(line 2\)/);
  });

  it('refuses hostile files without creating anything', () => {
    const app = new ComposeDir(d, 'hostile');
    const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)}]`);
    const cases: Array<[string, RegExp]> = [
      [`x-bomb:\n  ${laughs.join('\n  ')}\nservices:\n  a: {image: busybox}\n`, /alias.*compose\.yaml/i],
      ['services:\n  "../../etc": {image: busybox}\n', /services\.\.\.\/\.\.\/etc: invalid service name/],
      ['services:\n  a: {image: busybox}\n  a: {image: busybox}\n', /yaml: line 3: Map keys must be unique/],
      ['services:\n  a:\n    image: busybox\n    volumes: ["data:relative/path"]\nvolumes: {data: {}}\n', /services\.a\.volumes\[0\]: .*the target must be an absolute path \(line 4\)/],
      ['services:\n  a:\n    image: busybox\n    ports: ["99999999999999999999:80"]\n', /services\.a\.ports\[0\]: invalid port .*\(line 4\)/],
      ['services:\n  a: {image: busybox, deploy: {replicas: -1}}\n', /services\.a\.deploy\.replicas must be at least 0 \(line 2\)/],
      ['- just\n- a list\n', /\(root\) must be a mapping/],
    ];
    for (const [text, want] of cases) {
      app.write({ 'compose.yaml': text });
      const r = app.compose(['up', '-d']);
      assert.equal(r.code, 1, text);
      assert.match(r.stderr, want);
    }
    const missingEnv = new ComposeDir(d, 'noenv', { 'compose.yaml': 'services:\n  a: {image: busybox, env_file: nope.env}\n' });
    assert.match(missingEnv.compose(['up', '-d']).stderr, /env file .*nope\.env not found/);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });
});
