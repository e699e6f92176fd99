/** The storage conformance suite on the embedded SQLite store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../../src/kube/storage/sqlite/backend.js';
import { storageConformance } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'berth-kstore-sqlite-'));
const file = join(root, 'db', 'state.db');
// Leases are swept every 100 ms here so that expiry is seen quickly.
const open = async () => new SqliteBackend(file, { leaseSweepMs: 100 });

storageConformance('sqlite', {
  open,
  reopen: async (b) => {
    await b.close();
    return open();
  },
  teardown: async () => rmSync(root, { recursive: true, force: true }),
  minLeaseTtl: 1,
});
