/**
 * Child process of crash.test.ts: writes to the SQLite store as fast as it can from `workers`
 * concurrent loops and prints one line per acknowledged write, until it is killed.
 * Each loop creates `/crash/<w>/<n>` keys and bumps its own counter key with compare-and-swap.
 * Lines: `C <key> <revision>` for a create, `U <key> <count> <revision>` for a counter update.
 */
import { writeSync } from 'node:fs';
import { SqliteBackend } from '../../../src/kube/storage/sqlite/backend.js';

const [file, workers] = [process.argv[2]!, Number(process.argv[3] ?? 16)];
const b = new SqliteBackend(file);
// Written synchronously, so a line is out before the next write starts.
const ack = (line: string) => writeSync(1, line + '\n');

async function loop(w: number): Promise<void> {
  const counter = `/crash/counter/${w}`;
  let rev = await b.create(counter, Buffer.from('0'));
  ack(`U ${counter} 0 ${rev}`);
  for (let n = 1; ; n++) {
    const key = `/crash/${w}/${n}`;
    ack(`C ${key} ${await b.create(key, Buffer.from(`value of ${key}`))}`);
    rev = await b.update(counter, Buffer.from(String(n)), rev);
    ack(`U ${counter} ${n} ${rev}`);
  }
}

ack('READY');
await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
