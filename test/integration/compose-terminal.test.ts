/**
 * `berth compose` in a real terminal (tmux): `logs -f` colours each container's prefix,
 * `exec` gets a TTY by default, and attached `up` stops the project on Ctrl-C.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, TestDaemon } from './harness.js';
import { ComposeDir, inventory } from './compose-helpers.js';
import { Terminal } from './tmux.js';

describe('compose in a terminal', () => {
  const d = new TestDaemon('compose-tty');
  let term: Terminal;
  let app: ComposeDir;
  const berth = `node ${path.join(REPO, 'dist/src/cli/main.js')}`;

  before(async () => {
    await d.start();
    app = new ComposeDir(d, 'tty', {
      'compose.yaml': `services:
  one: {image: busybox, command: ["sh", "-c", "echo from-one; trap 'exit 0' TERM; while true; do sleep 1; done"]}
  two: {image: busybox, command: ["sh", "-c", "echo from-two; trap 'exit 0' TERM; while true; do sleep 1; done"]}
`,
    });
    term = new Terminal('compose', { BERTH_HOST: d.host }, 100, 30);
    term.line(`cd ${app.dir}`);
  });
  after(async () => {
    term.close();
    await d.stop();
  });

  it('colours the prefixes of logs -f per container, and exec has a TTY', async () => {
    app.ok(['up', '-d']);
    term.line(`${berth} compose logs -f`);
    await term.waitFor(/two-1 {2}\| from-two/);
    await term.waitFor(/one-1 {2}\| from-one/);
    const screen = term.screen(true);
    const one = /\x1b\[(\d+)mone-1 {2}\|\x1b\[[0-9;]*m from-one/.exec(screen);
    const two = /\x1b\[(\d+)mtwo-1 {2}\|\x1b\[[0-9;]*m from-two/.exec(screen);
    assert.ok(one && two, screen);
    assert.notEqual(one[1], two[1], 'each container has its own colour');
    term.keys('C-c');
    assert.equal(await term.status('LOGS'), 130);
    term.clear();
    term.line(`${berth} compose exec one sh -c 'test -t 0 && echo has-tty'`);
    await term.waitFor(/has-tty/);
    assert.equal(await term.status('EXEC'), 0);
    app.ok(['down', '-t', '1']);
  });

  it('stops the project on Ctrl-C in attached up', async () => {
    term.clear();
    term.line(`${berth} compose up`);
    await term.waitFor(/one-1 {2}\| from-one/);
    await term.waitFor(/two-1 {2}\| from-two/);
    term.keys('C-c');
    await term.waitFor(/Gracefully stopping\.\.\./);
    await term.status('UP');
    const states = d.docker(['ps', '-a', '--format', '{{.Names}} {{.State}}']).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(states, ['tty-one-1 exited', 'tty-two-1 exited']);
    app.ok(['down']);
    assert.deepEqual(inventory(d), { containers: [], networks: [], volumes: [] });
  });
});
