/**
 * `POST /containers/{id}/attach` (hijacked): the container's output to the client and, for a
 * container created with `-i`, the client's input to the container.
 *
 * Output is read from conmon's log, which holds every byte the container wrote, so an attach
 * made before start (as `docker run` does) loses nothing and several clients can attach at
 * once. With `logs=1` the past output comes first. Input goes through the container's stdin
 * connection; the detach keys end this attach while the container keeps running. The
 * connection closes once the container has exited and its last output was sent.
 */
import type { Duplex } from 'node:stream';
import { conflict } from '../../../lib/errors.js';
import { parseDetachKeys } from '../../../lib/detach-keys.js';
import { beginStream, outputWriter, readInput } from '../../attach/hijack.js';
import { followLog, readLog, type LogEntry } from '../../containers/logs.js';
import type { ContainerService } from '../../containers/service.js';
import { boolParam, type Ctx } from '../router.js';

export function attachHandler(svc: ContainerService) {
  return async (ctx: Ctx, socket: Duplex, early: Buffer): Promise<void> => {
    const rec = svc.get(ctx.params.id!);
    const q = ctx.query;
    const stream = boolParam(q, 'stream');
    if (stream && rec.State.Status === 'exited') throw conflict('You cannot attach to a stopped container, start it first');
    if (rec.State.Status === 'paused') throw conflict('You cannot attach to a paused container, unpause it first');
    const withStdin = boolParam(q, 'stdin') && !!rec.Config.OpenStdin;
    const keys = parseDetachKeys(q.get('detachKeys') ?? (rec.Config.DetachKeys as string | undefined));
    const wantOut = boolParam(q, 'stdout');
    const wantErr = boolParam(q, 'stderr');
    const tty = !!rec.Config.Tty;
    beginStream(ctx, socket, tty);
    svc.announce('attach', rec);
    const write = outputWriter(socket, tty);
    const send = (e: LogEntry) => {
      if ((e.stream === 'stdout' && wantOut) || (e.stream === 'stderr' && wantErr)) write(e.stream, e.data);
    };
    const logFile = svc.store.dirs.logFile(rec.Id);
    const past = await readLog(logFile, { stdout: true, stderr: true });
    if (boolParam(q, 'logs')) past.entries.forEach(send);
    if (!stream) {
      socket.end();
      return;
    }
    const follower = followLog(logFile, past.offset, send);
    let detached = false;
    await new Promise<void>((resolve) => {
      const finish = () => {
        svc.off('exit', onExit);
        svc.off('destroy', onExit);
        resolve();
      };
      const onExit = (id: string) => id === rec.Id && finish();
      svc.on('exit', onExit);
      svc.on('destroy', onExit);
      socket.on('close', finish);
      socket.on('error', finish);
      if (withStdin) {
        readInput(socket, early, keys, {
          data: (chunk) => svc.stdin.write(rec.Id, chunk),
          // Docker ends the container's input with the first client's only for StdinOnce without a TTY.
          end: () => rec.Config.StdinOnce && !tty && svc.stdin.end(rec.Id),
          detach: () => {
            detached = true;
            finish();
          },
        });
      }
    });
    await follower.stop();
    if (detached) svc.announce('detach', rec);
    if (!socket.destroyed) socket.end();
  };
}
