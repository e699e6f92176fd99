/**
 * A real terminal for interactive tests: a tmux server of its own (one socket per test file),
 * one window running bash, keys sent with `send-keys`, the screen read with `capture-pane`.
 */
import { spawnSync } from 'node:child_process';

export class Terminal {
  private readonly sock: string;

  constructor(name: string, private readonly env: Record<string, string>, width = 100, height = 30) {
    this.sock = `berth-test-${name}-${process.pid}`;
    const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v}';`).join(' ');
    this.tmux(['new-session', '-d', '-s', 'main', '-x', String(width), '-y', String(height), `bash --norc --noprofile -c "${exports} PS1='$ ' exec bash --norc --noprofile"`]);
    this.tmux(['set-option', '-g', 'history-limit', '5000']);
  }

  private tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.sock, ...args], { encoding: 'utf8', env: { ...process.env, ...this.env } });
    if (r.status !== 0) throw new Error(`tmux ${args[0]}: ${r.stderr}`);
    return r.stdout;
  }

  /** Types `text` literally, then Enter. */
  line(text: string): void {
    this.tmux(['send-keys', '-t', 'main', '-l', text]);
    this.tmux(['send-keys', '-t', 'main', 'Enter']);
  }

  /** Sends tmux key names (`C-p`, `C-d`, `Enter`). */
  keys(...names: string[]): void {
    this.tmux(['send-keys', '-t', 'main', ...names]);
  }

  resize(width: number, height: number): void {
    this.tmux(['resize-window', '-t', 'main', '-x', String(width), '-y', String(height)]);
  }

  /** The visible screen plus scrollback, trailing blank lines dropped; `escapes` keeps colours. */
  screen(escapes = false): string {
    return this.tmux(['capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-S', '-2000', '-t', 'main']).replace(/\n+$/, '\n');
  }

  clear(): void {
    this.tmux(['send-keys', '-t', 'main', 'clear', 'Enter']);
    this.tmux(['clear-history', '-t', 'main']);
  }

  /** Waits until the screen matches `re`; returns the match. */
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.screen().match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`terminal never showed ${re}; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Waits for bash's prompt (the foreground command ended), then prints and returns the
   * last command's exit status. Typing earlier would feed the keys to that command.
   */
  async status(marker: string): Promise<number> {
    await this.waitFor(/\$ ?\n$/);
    this.line(`echo "${marker}=$?"`);
    return Number((await this.waitFor(new RegExp(`${marker}=(\\d+)`)))[1]);
  }

  close(): void {
    spawnSync('tmux', ['-L', this.sock, 'kill-server']);
  }
}
