/**
 * `POST /containers/{id}/attach` (hijacked): streams the container's output to the client.
 *
 * Output is read from conmon's log, which holds every byte the container wrote, so an attach
 * made before start (as `docker run` does) loses nothing. With `logs=1` the past output comes
 * first. The connection closes once the container has exited and its last output was sent.
 * Attaching stdin is part of the interactive-container work and is refused by name for now.
 */
import type { Duplex } from 'node:stream';
import { conflict, notImplemented } from '../../../lib/errors.js';
import { followLog, frame, readLog, type LogEntry } from '../../containers/logs.js';
import type { ContainerService } from '../../containers/service.js';
import { boolParam, type Ctx } from '../router.js';

export function streamContentType(tty: boolean, version: number): string {
  return !tty && version >= 1.42 ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}

export function attachHandler(svc: ContainerService) {
  return async (ctx: Ctx, socket: Duplex): Promise<void> => {
    const rec = svc.get(ctx.params.id!);
    const q = ctx.query;
    if (boolParam(q, 'stdin') && rec.Config.OpenStdin) throw notImplemented('attaching stdin is not implemented yet (interactive containers)');
    const stream = boolParam(q, 'stream');
    if (stream && rec.State.Status === 'exited') throw conflict('You cannot attach to a stopped container, start it first');
    const wantOut = boolParam(q, 'stdout');
    const wantErr = boolParam(q, 'stderr');
    const tty = !!rec.Config.Tty;
    const upgrade = /upgrade/i.test(String(ctx.req.headers.connection ?? ''));
    socket.write(
      (upgrade ? 'HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n' : 'HTTP/1.1 200 OK\r\n') +
        `Content-Type: ${streamContentType(tty, ctx.version)}\r\nApi-Version: ${ctx.res.getHeader('Api-Version') ?? ''}\r\n\r\n`,
    );
    svc.announce('attach', rec);
    const send = (e: LogEntry) => {
      if ((e.stream === 'stdout' && !wantOut) || (e.stream === 'stderr' && !wantErr) || socket.destroyed) return;
      socket.write(tty ? e.data : frame(e.stream, e.data));
    };
    const logFile = svc.store.dirs.logFile(rec.Id);
    const past = await readLog(logFile, { stdout: true, stderr: true });
    if (boolParam(q, 'logs')) past.entries.forEach(send);
    if (!stream) {
      socket.end();
      return;
    }
    const follower = followLog(logFile, past.offset, send);
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
    });
    await follower.stop();
    if (!socket.destroyed) socket.end();
  };
}
