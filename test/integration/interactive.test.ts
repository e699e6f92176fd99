/**
 * Interactive containers in a real terminal (tmux): `run -it` with the terminal's size,
 * detaching with Ctrl+P Ctrl+Q and re-attaching, `exit` stopping the container, resizing,
 * custom detach keys, and `exec -it` — through the docker CLI and through `berth`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, TestDaemon } from './harness.js';
import { Terminal } from './tmux.js';

const BERTH = `${process.execPath} ${REPO}/dist/src/cli/main.js`;

/** The resize travels client → daemon → conmon asynchronously: ask until the shell sees it. */
async function sizeBecomes(term: Terminal, rows: number, cols: number): Promise<void> {
  for (let i = 0; i < 20; i++) {
    term.line(`echo "size-$(stty size | tr ' ' x)"`);
    try {
      await term.waitFor(new RegExp(`size-${rows}x${cols}$`, 'm'), 500);
      return;
    } catch {
      // not yet
    }
  }
  throw new Error(`terminal size never became ${rows}x${cols}:\n${term.screen()}`);
}

describe('interactive terminal sessions', () => {
  const d = new TestDaemon('interactive');
  let term: Terminal;
  before(async () => {
    await d.start();
    term = new Terminal('interactive', { DOCKER_HOST: d.host, BERTH_HOST: d.host }, 100, 30);
  });
  after(async () => {
    term?.close();
    await d.stop();
  });

  const state = (name: string) => d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]).stdout.trim();

  for (const cli of ['docker', BERTH]) {
    const tag = cli === 'docker' ? 'docker' : 'berth';
    it(`${tag}: run -it gets a terminal of the client's size; detach, re-attach, resize, exit`, async () => {
      term.clear();
      const name = `it-${tag}`;
      term.line(`${cli} run -it --name ${name} busybox sh`);
      await term.waitFor(/\/ # $/m);
      term.line('echo "size=$(stty size) term=$TERM tty=$(tty)"');
      await term.waitFor(/size=30 100 term=xterm tty=\/dev\/pts\/\d+/);

      term.keys('C-p', 'C-q');
      assert.equal(await term.status('detached'), 0);
      assert.equal(state(name), 'running 0');

      term.clear();
      term.line(`${cli} attach ${name}`);
      // Re-attaching makes the shell redraw its prompt; the session is the same shell.
      term.line('echo "again-$$"');
      await term.waitFor(/again-1\b/);
      term.resize(90, 25);
      await sizeBecomes(term, 25, 90);
      term.resize(100, 30);

      term.line('exit 3');
      assert.equal(await term.status('exited'), 3);
      assert.equal(state(name), 'exited 3');
      d.docker(['rm', name]);
    });

    it(`${tag}: exec -it runs a shell beside the container's process; leaving it keeps the container`, async () => {
      term.clear();
      const name = `ex-${tag}`;
      d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
      term.line(`${cli} exec -it ${name} sh`);
      await term.waitFor(/\/ # $/m);
      term.line('echo "pid1=$(cat /proc/1/cmdline | tr "\\0" " ") size=$(stty size)"');
      await term.waitFor(/pid1=sleep 1000 +size=30 100/);
      term.resize(80, 20);
      await sizeBecomes(term, 20, 80);
      term.resize(100, 30);
      term.keys('C-d');
      assert.equal(await term.status('execdone'), 0);
      assert.equal(state(name), 'running 0');
      d.docker(['rm', '-f', name]);
    });
  }

  it('custom detach keys (--detach-keys) leave the container running; Ctrl+D stops it', async () => {
    term.clear();
    term.line('docker run -it --detach-keys ctrl-a,x --name dk busybox sh');
    await term.waitFor(/\/ # $/m);
    // The default keys now reach the shell instead of detaching.
    term.keys('C-p', 'C-q', 'C-u');
    term.line('echo still-here');
    await term.waitFor(/^still-here$/m);
    term.keys('C-a', 'x');
    assert.equal(await term.status('dkdetached'), 0);
    assert.equal(state('dk'), 'running 0');
    term.clear();
    term.line('docker attach dk');
    term.line('echo back-in');
    await term.waitFor(/^back-in$/m);
    term.keys('C-d');
    assert.equal(await term.status('dkdone'), 0);
    assert.equal(state('dk'), 'exited 0');
    d.docker(['rm', 'dk']);
  });

  for (const cli of ['docker', BERTH]) {
    it(`${cli === 'docker' ? 'docker' : 'berth'}: detach keys from the client config file (detachKeys)`, async () => {
      const conf = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-conf-'));
      fs.writeFileSync(path.join(conf, 'config.json'), JSON.stringify({ detachKeys: 'ctrl-e,e' }));
      term.clear();
      term.line(`DOCKER_CONFIG=${conf} ${cli} run -it --name cf busybox sh`);
      await term.waitFor(/\/ # $/m);
      term.keys('C-e', 'e');
      assert.equal(await term.status('cfdetached'), 0);
      assert.equal(state('cf'), 'running 0');
      d.docker(['rm', '-f', 'cf']);
      fs.rmSync(conf, { recursive: true });
    });
  }
});
