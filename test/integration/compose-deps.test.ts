/**
 * `depends_on` conditions ordering real starts (service_healthy waits for a healthcheck that
 * passes only once the dependency listens; service_completed_successfully waits for a
 * one-shot job), and failures: an unhealthy dependency, a job that exits non-zero, and a
 * service whose container cannot start — each named, the rest left as Compose leaves it
 * (everything created, the dependents of the failure not started).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';
import { ComposeDir, inventory } from './compose-helpers.js';

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

describe('compose depends_on', () => {
  const d = new TestDaemon('compose-deps');
  before(() => d.start());
  after(() => d.stop());
  const state = (name: string) => d.docker(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim();

  it('starts a service only once its dependency is healthy, and after a job completed', () => {
    const app = new ComposeDir(d, 'health', {
      'compose.yaml': `services:
  db:
    image: busybox
    # Listens only after two seconds: a start without waiting would find nothing there.
    command: ["sh", "-c", "mkdir /www && echo db-ready > /www/index.html && sleep 2 && httpd -f -p 80 -h /www & trap 'exit 0' TERM; wait"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1/"]
      interval: 300ms
      timeout: 2s
      retries: 30
  migrate:
    image: busybox
    command: ["sh", "-c", "sleep 1; echo migrated"]
  app:
    image: busybox
    command: ["sh", "-c", "wget -q -O- http://db/ || echo db-not-ready; trap 'exit 0' TERM; while true; do sleep 1; done"]
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
`,
    });
    const r = app.ok(['up', '-d']);
    assert.match(r.stderr, /Container health-db-1 {2}Healthy/);
    assert.match(r.stderr, /Container health-migrate-1 {2}Exited/);
    assert.ok(r.stderr.indexOf('health-db-1  Healthy') < r.stderr.indexOf('health-app-1  Started'), r.stderr);
    assert.equal(state('health-migrate-1'), 'exited');
    // The app's first request found the database listening.
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('|'); i++) logs = app.ok(['logs', 'app']).stdout;
    assert.match(logs, /^app-1 {2}\| db-ready$/m);
    app.ok(['down', '-t', '1']);
  });

  it('fails up when a dependency is unhealthy, naming it, and does not start the dependent', () => {
    const app = new ComposeDir(d, 'sick', {
      'compose.yaml': `services:
  db:
    image: busybox
    command: ${LOOP}
    healthcheck: {test: ["CMD-SHELL", "exit 1"], interval: 200ms, retries: 2}
  app:
    image: busybox
    command: ${LOOP}
    depends_on: {db: {condition: service_healthy}}
`,
    });
    const r = app.compose(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /dependency failed to start: container sick-db-1 is unhealthy/);
    assert.equal(state('sick-db-1'), 'running');
    // Created with the rest, never started.
    assert.equal(state('sick-app-1'), 'created');
    app.ok(['down', '-t', '1']);
  });

  it('fails up when a service_healthy dependency has no health check', () => {
    const app = new ComposeDir(d, 'nocheck', {
      'compose.yaml': `services:
  db: {image: busybox, command: ${LOOP}}
  app: {image: busybox, command: ${LOOP}, depends_on: {db: {condition: service_healthy}}}
`,
    });
    const r = app.compose(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /dependency failed to start: container nocheck-db-1 has no healthcheck configured/);
    app.ok(['down', '-t', '1']);
  });

  it('fails up when a job exits non-zero', () => {
    const app = new ComposeDir(d, 'job', {
      'compose.yaml': `services:
  migrate: {image: busybox, command: ["sh", "-c", "exit 3"]}
  app:
    image: busybox
    command: ${LOOP}
    depends_on: {migrate: {condition: service_completed_successfully}}
`,
    });
    const r = app.compose(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /service "migrate" didn't complete successfully: exit 3/);
    assert.equal(state('job-app-1'), 'created');
    app.ok(['down']);
  });

  it('reports which service failed to start and why; the others stay as they are', () => {
    const app = new ComposeDir(d, 'broken', {
      'compose.yaml': `services:
  alpha: {image: busybox, command: ${LOOP}}
  bravo: {image: busybox, command: ["/no/such/binary"]}
  charlie: {image: busybox, command: ${LOOP}, depends_on: [bravo]}
`,
    });
    const r = app.compose(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Container broken-bravo-1 {2}Error/);
    assert.match(r.stderr, /service "bravo" failed to start: container broken-bravo-1: .*\/no\/such\/binary/);
    assert.equal(state('broken-alpha-1'), 'running');
    assert.equal(state('broken-bravo-1'), 'created');
    // charlie depends on bravo: created with the others, never started.
    assert.equal(state('broken-charlie-1'), 'created');
    app.ok(['down', '-t', '1']);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });
});
