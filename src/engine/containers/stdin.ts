/**
 * The stdin of containers created with `-i` (`OpenStdin`).
 *
 * The daemon holds one connection to conmon's attach socket per running container and feeds
 * it whatever attached clients type; several clients may attach at once, as with Docker.
 * Input sent before the container starts (`docker run -i` attaches first) waits here and is
 * delivered once the connection is up. Half-closing the connection makes conmon close the
 * process's stdin: that is how `StdinOnce` ends input when the first client's stdin ends.
 * Output is not taken from this connection (attachers follow the log, which also serves
 * attaches made before start), so whatever conmon sends on it is discarded.
 */
import { connectAttach, type AttachConnection } from '../../host/seqpacket.js';
import { log } from '../../lib/log.js';

interface Entry {
  conn?: AttachConnection;
  queued: Buffer[];
  /** Input ended before the connection was up: end it right after delivering the queue. */
  endPending: boolean;
}

export class StdinHub {
  private entries = new Map<string, Entry>();

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) this.entries.set(id, (e = { queued: [], endPending: false }));
    return e;
  }

  /** Opens the connection for a container that was just created (before `runc start`). */
  async connect(id: string, bundle: string): Promise<void> {
    const e = this.entry(id);
    e.conn?.close();
    const conn = await connectAttach(bundle, () => undefined);
    e.conn = conn;
    void conn.closed.then(() => {
      if (e.conn === conn) e.conn = undefined;
    });
    for (const b of e.queued.splice(0)) conn.write(b);
    if (e.endPending) conn.end();
    e.endPending = false;
  }

  write(id: string, data: Buffer): void {
    const e = this.entry(id);
    if (e.endPending) return;
    if (e.conn) e.conn.write(data);
    else e.queued.push(data);
  }

  /** Ends the container's stdin (the process reads end-of-file). */
  end(id: string): void {
    const e = this.entry(id);
    if (e.conn) e.conn.end();
    else e.endPending = true;
  }

  /** Drops the connection and anything queued (the container exited or was removed). */
  release(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    e.conn?.close();
    if (e.queued.length) log.debug('stdin dropped for a container that exited', { id });
  }
}
