/**
 * A scripted stand-in for the engine API on a temporary unix socket, for CLI unit tests:
 * records the order of calls and plays docker's side of create/attach/wait/start (101
 * hijack, wait headers flushed at once, output frames, socket closed at exit).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** What the fake container does when started. */
export interface Script {
  /** Frames written to the attach socket: [stream, text]. */
  output?: [number, string][];
  exitCode?: number;
  /** Error message for `POST /start` (500). */
  startError?: string;
  /** Images that answer 404 on create until pulled. */
  missingImages?: string[];
  tty?: boolean;
}

/** A running fake daemon. */
export interface FakeDaemon {
  host: string;
  /** Calls in arrival order, e.g. `create busybox`, `attach`, `wait next-exit`, `start`. */
  events: string[];
  bodies: Record<string, unknown>;
  close(): Promise<void>;
}

const ID = 'f'.repeat(64);

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of req) s += (c as Buffer).toString();
  return s;
}

/** Starts a fake daemon playing `script`. */
export async function startFakeDaemon(script: Script): Promise<FakeDaemon> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-'));
  const sock = path.join(dir, 'api.sock');
  const events: string[] = [];
  const bodies: Record<string, unknown> = {};
  const missing = new Set(script.missingImages ?? []);
  let attached: Socket | undefined;
  let waiter: http.ServerResponse | undefined;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname.replace(/^\/v1\.44/, '');
    const body = await readBody(req);
    if (req.method === 'POST' && p === '/containers/create') {
      const b = JSON.parse(body) as { Image: string };
      bodies['create'] = b;
      events.push(`create ${b.Image} name=${url.searchParams.get('name') ?? ''}`);
      if (missing.has(b.Image)) return json(res, 404, { message: `No such image: ${b.Image}:latest` });
      return json(res, 201, { Id: ID, Warnings: ['this is a warning'] });
    }
    if (req.method === 'POST' && p === '/images/create') {
      events.push(`pull ${url.searchParams.get('fromImage')}:${url.searchParams.get('tag')}`);
      missing.delete(url.searchParams.get('fromImage')!.replace('docker.io/library/', ''));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"Pulling from library/x","id":"latest"}\r\n{"status":"Status: Downloaded newer image"}\r\n');
      return;
    }
    if (req.method === 'POST' && p === `/containers/${ID}/wait`) {
      events.push(`wait ${url.searchParams.get('condition')}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      waiter = res;
      return;
    }
    if (req.method === 'POST' && p === `/containers/${ID}/start`) {
      events.push('start');
      if (script.startError) {
        json(res, 500, { message: script.startError });
        waiter?.end(JSON.stringify({ StatusCode: 125, Error: null }));
        attached?.end();
        return;
      }
      res.writeHead(204);
      res.end();
      // The "container" runs: output, then exit (socket closed), then the wait answer.
      setTimeout(() => {
        for (const [s, t] of script.output ?? []) attached?.write(script.tty ? Buffer.from(t) : frame(s, t));
        attached?.end();
        waiter?.end(JSON.stringify({ StatusCode: script.exitCode ?? 0, Error: null }));
      }, 20);
      return;
    }
    if (req.method === 'GET' && p === `/berth/trace/${ID}`) {
      return json(res, 200, { Spans: [{ Stage: 'resolve image', StartMs: 0.1, DurationMs: 1.2 }, { Stage: 'start', StartMs: 2, DurationMs: 3 }] });
    }
    json(res, 404, { message: 'page not found' });
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
    events.push(`attach ${new URL(req.url ?? '/', 'http://x').search}`);
    socket.write(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    );
    attached = socket;
  });

  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return {
    host: `unix://${sock}`,
    events,
    bodies,
    close: async () => {
      attached?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
