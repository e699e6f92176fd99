/**
 * The storage conformance suite on a real etcd (Debian's etcd-server), started for this file on
 * free loopback ports with its own data dir, killed and restarted for the restart test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalEtcd, type LocalEtcd } from '../../../src/host/etcd.js';
import { EtcdBackend } from '../../../src/kube/storage/etcd/backend.js';
import { storageConformance } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'berth-kstore-etcd-'));
let etcd: LocalEtcd | undefined;

storageConformance('etcd', {
  open: async () => {
    etcd = await startLocalEtcd(root);
    return new EtcdBackend({ endpoints: [etcd.endpoint] });
  },
  reopen: async (b) => {
    await b.close();
    await etcd!.restart();
    return new EtcdBackend({ endpoints: [etcd!.endpoint] });
  },
  teardown: async () => {
    await etcd?.stop();
    rmSync(root, { recursive: true, force: true });
  },
  // etcd raises shorter TTLs to its minimum, 1.5 election timeouts (2 s with the defaults).
  minLeaseTtl: 2,
});
