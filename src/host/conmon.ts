/**
 * Starting conmon, the per-container monitor (the lecture's containerd-shim role).
 *
 * conmon forks itself into the background, runs `runc create`, and reports the container's pid
 * (or runc's error) as one JSON message on the "sync pipe" (fd 3, named by `_OCI_SYNCPIPE`).
 * The pipe stays open in the daemonized conmon, so the message is parsed as soon as it is
 * complete rather than at end-of-file.
 */
import { spawn } from 'node:child_process';

export type ConmonResult = { pid: number } | { error: string };

export function spawnConmon(file: string, args: string[], timeoutMs = 30_000): Promise<ConmonResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, _OCI_SYNCPIPE: '3' }, detached: true });
    const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
    let text = '';
    let stderr = '';
    let done = false;
    const finish = (r: ConmonResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sync.destroy();
      child.stderr!.destroy();
      child.unref();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ error: 'timed out waiting for conmon' }), timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('error', (err) => finish({ error: `conmon: ${err.message}` }));
    sync.on('data', (d: Buffer) => {
      text += d;
      const end = text.indexOf('}');
      if (end < 0) return;
      try {
        const msg = JSON.parse(text.slice(0, end + 1)) as { data: number; message?: string };
        finish(msg.data > 0 ? { pid: msg.data } : { error: cleanRuncMessage(msg.message ?? 'container create failed') });
      } catch {
        finish({ error: `unreadable conmon message: ${text}` });
      }
    });
    sync.on('end', () => finish({ error: stderr.trim() || 'conmon exited without reporting' }));
  });
}

/** Turns runc's logrus line (`time=… level=error msg="…"`) into its message. */
export function cleanRuncMessage(raw: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(raw);
  return (m ? m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\') : raw).trim();
}
