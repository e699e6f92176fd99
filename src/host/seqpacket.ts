/**
 * Client side of conmon's attach socket, a SOCK_SEQPACKET unix socket (Node's `net` has only
 * stream sockets, so the well-kept `node-unix-socket` addon provides this one).
 *
 * conmon's protocol: every packet we send is written to the process's stdin; every packet it
 * sends is one chunk of output whose first byte names the pipe (2 = stdout, 3 = stderr).
 * Half-closing our side makes conmon close the process's stdin (unless it was started with
 * `--leave-stdin-open`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SeqpacketSocket } from 'node-unix-socket';

const MAX_PACKET = 16 * 1024;

export interface AttachConnection {
  write(data: Buffer): void;
  /** Half-close: no more input. */
  end(): void;
  close(): void;
  readonly closed: Promise<void>;
}

export type OutputHandler = (stream: 'stdout' | 'stderr', data: Buffer) => void;

/**
 * Connects to `<dir>/attach`. Socket paths are limited to 108 bytes, so the connection goes
 * through `/proc/self/fd/<dir fd>`, which keeps the path short whatever the exec root is.
 */
export function connectAttach(dir: string, onOutput: OutputHandler): Promise<AttachConnection> {
  return new Promise((resolve, reject) => {
    const dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    const sock = new SeqpacketSocket();
    let settled = false;
    let finished!: () => void;
    const closed = new Promise<void>((r) => (finished = r));
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      fs.closeSync(dirFd);
      sock.destroy();
      reject(err);
    };
    sock.on('error', fail);
    sock.on('close', () => finished());
    sock.on('end', () => {
      // conmon finished writing (the process exited); nothing more will come.
      sock.destroy();
    });
    sock.on('data', (buf: Buffer) => {
      if (buf.length < 2) return;
      onOutput(buf[0] === 3 ? 'stderr' : 'stdout', buf.subarray(1));
    });
    try {
      sock.connect(path.posix.join('/proc/self/fd', String(dirFd), 'attach'), () => {
        settled = true;
        fs.closeSync(dirFd);
        let isClosed = false;
        let isEnded = false;
        void closed.then(() => (isClosed = true));
        resolve({
          write: (data) => {
            // conmon reads at most 32 KiB per packet and would truncate a larger one.
            for (let i = 0; !isClosed && !isEnded && i < data.length; i += MAX_PACKET) sock.write(data.subarray(i, i + MAX_PACKET));
          },
          end: () => {
            if (isClosed || isEnded) return;
            isEnded = true;
            sock.end();
          },
          close: () => sock.destroy(),
          closed,
        });
      });
    } catch (err) {
      fail(err as Error);
    }
  });
}
