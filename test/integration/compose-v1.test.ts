/**
 * Debian's docker-compose (1.29, Python, over DOCKER_HOST) against Berth: it brings a
 * project up, reuses it on a second `up`, lists and removes it; and it sees and removes a
 * project `berth compose` made, and the other way round. The two tools hash configurations
 * differently and v1 names containers `<project>_<service>_<n>`, so each recreates the
 * other's containers on `up` (under its own name); both find them by the same labels.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';
import { ComposeDir, httpGet, inventory } from './compose-helpers.js';

const PORT = 28472;
const FILE = `version: "3"
services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo v1-ok > /www/index.html && httpd -f -p 80 -h /www & trap 'exit 0' TERM; wait"]
    ports: ["${PORT}:80"]
  probe:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    depends_on: [web]
    volumes: ["data:/data"]
volumes:
  data: {}
`;

describe('docker-compose (Debian, v1) against Berth', () => {
  const d = new TestDaemon('compose-v1');
  let app: ComposeDir;
  before(async () => {
    await d.start();
    app = new ComposeDir(d, 'legacy', { 'docker-compose.yml': FILE });
  });
  after(() => d.stop());

  const v1 = (args: string[]) => {
    const r = app.v1(args);
    assert.equal(r.code, 0, `docker-compose ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
    return r;
  };

  it('keeps ports and addresses of a created container reconnected before start (what v1 does to every container)', async () => {
    const ok = (args: string[]) => assert.equal(d.docker(args).code, 0, args.join(' '));
    ok(['network', 'create', 'recon']);
    ok(['create', '--name', 'recon1', '--network', 'recon', '-p', '127.0.0.1:28475:80', 'busybox', 'sh', '-c', "echo recon > /i.html; httpd -f -p 80 -h / & trap 'exit 0' TERM; wait"]);
    ok(['network', 'disconnect', 'recon', 'recon1']);
    ok(['network', 'connect', '--alias', 'again', 'recon', 'recon1']);
    ok(['start', 'recon1']);
    assert.match(d.docker(['inspect', '-f', '{{.NetworkSettings.Networks.recon.IPAddress}}', 'recon1']).stdout, /^\d+\.\d+\.\d+\.\d+\n$/);
    assert.equal(await httpGet(28475, '/i.html'), 'recon\n');
    ok(['rm', '-f', 'recon1']);
    ok(['network', 'rm', 'recon']);
  });

  it('runs up -d, a second up, ps and down', async () => {
    v1(['up', '-d']);
    assert.equal(await httpGet(PORT), 'v1-ok\n');
    // The service name resolves on the project network for v1's containers too.
    assert.equal(d.docker(['exec', 'legacy_probe_1', 'wget', '-q', '-O-', 'http://web/']).stdout, 'v1-ok\n');
    assert.match(v1(['up', '-d']).stderr, /legacy_web_1 is up-to-date/);
    const ps = v1(['ps']).stdout;
    assert.match(ps, /legacy_web_1\s+.*Up\s+0\.0\.0\.0:28472->80\/tcp/);
    assert.match(ps, /legacy_probe_1\s+.*Up/);
    // berth compose finds v1's containers by the same labels.
    assert.deepEqual(app.ok(['ps', '--services']).stdout.split('\n').filter(Boolean).sort(), ['probe', 'web']);
    v1(['down', '-v', '-t', '1']);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });

  it('sees, takes over and removes a project berth compose made', async () => {
    app.ok(['up', '-d']);
    const ps = v1(['ps']).stdout;
    assert.match(ps, /legacy-web-1\s+.*Up\s+0\.0\.0\.0:28472->80\/tcp/);
    assert.match(ps, /legacy-probe-1\s+.*Up/);
    // v1 reuses berth's network and replaces the containers with its own.
    v1(['up', '-d']);
    assert.deepEqual(inventory(d).containers, ['legacy_probe_1', 'legacy_web_1']);
    assert.equal(await httpGet(PORT), 'v1-ok\n');
    // ...and berth compose takes them back the same way.
    app.ok(['up', '-d']);
    assert.deepEqual(inventory(d).containers, ['legacy-probe-1', 'legacy-web-1']);
    assert.deepEqual(inventory(d).volumes, ['legacy_data']);
    v1(['down', '-v', '-t', '1']);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });
});
