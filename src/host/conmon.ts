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

export interface ConmonExec {
  /** The exec'd process's host pid, or runc's error when it could not be started. */
  readonly started: Promise<ConmonResult>;
  /** The exit code once the process ended (after its output was delivered). */
  readonly exited: Promise<number>;
  /** Resolves when conmon's attach socket is listening (only with `attach`). */
  readonly attachReady: Promise<void>;
  /** Lets conmon run `runc exec` (only with `attach`: it waits so no output is lost). */
  go(): void;
}

/**
 * Starts conmon for an exec session. Besides the sync pipe (fd 3), which carries the pid and
 * later the exit code as newline-separated JSON, an attached session uses the start pipe (fd 4,
 * written twice: "begin", then "attached, run it") and the attach pipe (fd 5, conmon's signal
 * that its attach socket is listening).
 */
export function spawnConmonExec(file: string, args: string[], attach: boolean): ConmonExec {
  const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'ignore', 'pipe', 'pipe', ...(attach ? (['pipe', 'pipe'] as const) : [])];
  const env = { ...process.env, _OCI_SYNCPIPE: '3', ...(attach ? { _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' } : {}) };
  const child = spawn(file, [...args, ...(attach ? ['--exec-attach'] : [])], { stdio, env, detached: true });
  child.unref();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  const messages: Array<{ data: number; message?: string }> = [];
  const waiters: Array<() => void> = [];
  let ended = false;
  let text = '';
  sync.on('data', (d: Buffer) => {
    text += d;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      const line = text.slice(0, nl).trim();
      text = text.slice(nl + 1);
      if (!line) continue;
      try {
        messages.push(JSON.parse(line) as { data: number; message?: string });
      } catch {
        messages.push({ data: -1, message: `unreadable conmon message: ${line}` });
      }
    }
    waiters.splice(0).forEach((w) => w());
  });
  const finish = () => {
    ended = true;
    waiters.splice(0).forEach((w) => w());
  };
  sync.on('end', finish);
  sync.on('error', finish);
  child.on('error', (err) => {
    stderr += err.message;
    finish();
  });
  const next = async (i: number) => {
    while (messages.length <= i && !ended) await new Promise<void>((r) => waiters.push(r));
    return messages[i];
  };
  const started = next(0).then((m): ConmonResult => {
    if (m && m.data > 0) return { pid: m.data };
    return { error: cleanRuncMessage(m?.message ?? (stderr.trim() || 'conmon exited without reporting')) };
  });
  const exited = started.then(async (s) => {
    if ('error' in s) return -1;
    const m = await next(1);
    sync.destroy();
    child.stderr!.destroy();
    return m ? m.data : -1;
  });
  let attachReady = Promise.resolve();
  let go = () => undefined as void;
  if (attach) {
    const startPipe = child.stdio[4] as NodeJS.WritableStream;
    const attachPipe = (child.stdio as unknown as unknown[])[5] as NodeJS.ReadableStream & { destroy(): void };
    startPipe.on('error', () => undefined); // conmon gone: `exited` reports it
    startPipe.write('0');
    attachReady = new Promise<void>((resolve, reject) => {
      attachPipe.once('data', () => {
        attachPipe.destroy();
        resolve();
      });
      attachPipe.once('end', () => reject(new Error(stderr.trim() || 'conmon exited before its attach socket was ready')));
    });
    attachReady.catch(() => undefined); // observed by the caller; never an unhandled rejection
    go = () => {
      startPipe.end('1');
    };
  }
  return { started, exited, attachReady, go };
}
