/**
 * Durability of the embedded store: a writer process killed with SIGKILL in the middle of a
 * burst of concurrent writes loses none that it had acknowledged (the API server acknowledges a
 * write to its client only after the store did).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteBackend } from '../../../src/kube/storage/sqlite/backend.js';

const writer = fileURLToPath(new URL('./crash-writer.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'berth-kstore-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs the writer until it has acknowledged `acks` writes, then kills it; returns its lines. */
async function burstAndKill(file: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, [writer, file, '16'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, sig) => resolve(sig)));
  const rl = createInterface({ input: child.stdout! });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  rl.on('line', (l) => {
    lines.push(l);
    if (lines.length === acks) child.kill('SIGKILL');
  });
  const sig = await exited;
  clearTimeout(timer);
  assert.equal(sig, 'SIGKILL');
  assert.equal(lines[0], 'READY');
  assert.ok(lines.length >= acks, `the writer acknowledged only ${lines.length} writes before it stopped`);
  return lines.slice(1);
}

describe('SQLite store durability', () => {
  it('loses no acknowledged write when the writer is killed with SIGKILL mid-burst (twice, same file)', async () => {
    const file = join(root, 'state.db');
    for (const round of [1, 2]) {
      const lines = await burstAndKill(file, 600 * round);
      const s = new SqliteBackend(file);
      try {
        let maxRev = 0;
        const counters = new Map<string, number>();
        for (const l of lines) {
          const f = l.split(' ');
          if (f[0] === 'C') {
            const kv = await s.get(f[1]!);
            assert.equal(kv.value.toString(), `value of ${f[1]}`);
            assert.equal(kv.createRevision, Number(f[2]));
            maxRev = Math.max(maxRev, Number(f[2]));
          } else if (f[0] === 'U') {
            counters.set(f[1]!, Number(f[2]));
            maxRev = Math.max(maxRev, Number(f[3]));
          }
        }
        for (const [key, n] of counters) {
          // The writer may have committed one more update it had no time to print.
          const have = Number((await s.get(key)).value.toString());
          assert.ok(have === n || have === n + 1, `${key}: acknowledged ${n}, found ${have}`);
        }
        assert.ok((await s.currentRevision()) >= maxRev);
        if (round === 1) {
          // Round 2 appends to the same file: the writer's counters start over, so clear them.
          for (const key of counters.keys()) await s.delete(key);
          const rest = await s.list('/crash/');
          for (const kv of rest.items) await s.delete(kv.key);
        }
      } finally {
        await s.close();
      }
    }
  });
});
