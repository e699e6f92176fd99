/**
 * The one conformance suite of `StorageBackend`: every backend (SQLite, etcd) runs exactly these
 * tests. Each test works under its own key prefix, so one store serves the whole suite; only
 * revisions a test wrote itself are compared, since etcd and SQLite number from different starts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isKind, type ErrorKind } from '../../../src/lib/errors.js';
import type { StorageBackend } from '../../../src/kube/storage/backend.js';
import { collect, eventually, val } from './helpers.js';

export interface StoreUnderTest {
  /** Opens a fresh, empty store. */
  open(): Promise<StorageBackend>;
  /** Closes `b`, restarts the store's server if it has one (a crash, where that can be had), and opens it again. */
  reopen(b: StorageBackend): Promise<StorageBackend>;
  /** Closes and removes everything the suite made. */
  teardown(): Promise<void>;
  /** Smallest lease TTL the store honours, seconds. */
  minLeaseTtl: number;
}

async function rejects(p: Promise<unknown>, kind: ErrorKind): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isKind(e, kind), `expected ${kind}, got ${String(e)}`);
    return true;
  });
}

export function storageConformance(name: string, sut: StoreUnderTest): void {
  describe(`StorageBackend conformance: ${name}`, () => {
    let s: StorageBackend;
    before(async () => {
      s = await sut.open();
    });
    after(async () => {
      await s?.close();
      await sut.teardown();
    });

    it('creates, reads, updates and deletes, one revision per write', async () => {
      const r1 = await s.create('/crud/a', val('one'));
      assert.equal(await s.currentRevision(), r1);
      assert.deepEqual(await s.get('/crud/a'), { key: '/crud/a', value: val('one'), createRevision: r1, modRevision: r1 });
      const r2 = await s.update('/crud/a', val('two'), r1);
      assert.equal(r2, r1 + 1);
      assert.deepEqual(await s.get('/crud/a'), { key: '/crud/a', value: val('two'), createRevision: r1, modRevision: r2 });
      const d = await s.delete('/crud/a');
      assert.equal(d.revision, r2 + 1);
      assert.deepEqual(d.prev, { key: '/crud/a', value: val('two'), createRevision: r1, modRevision: r2 });
      await rejects(s.get('/crud/a'), 'NotFound');
      await rejects(s.update('/crud/a', val('x'), r2), 'NotFound');
      await rejects(s.delete('/crud/a'), 'NotFound');
      const r4 = await s.create('/crud/a', val('again'));
      assert.equal((await s.get('/crud/a')).createRevision, r4, 'a re-created key starts a new incarnation');
      await rejects(s.create('/crud/a', val('dup')), 'AlreadyExists');
      assert.deepEqual((await s.get('/crud/a')).value, val('again'));
      assert.equal(await s.currentRevision(), r4, 'failed writes do not bump the revision');
    });

    it('stores binary values and empty values', async () => {
      const bin = Buffer.from([0, 255, 10, 13, 0x80]);
      await s.create('/bin/a', bin);
      await s.create('/bin/empty', Buffer.alloc(0));
      assert.deepEqual((await s.get('/bin/a')).value, bin);
      assert.equal((await s.get('/bin/empty')).value.length, 0);
    });

    it('compare-and-swap: a stale modRevision is a Conflict and changes nothing', async () => {
      const r1 = await s.create('/cas/a', val('v1'));
      const r2 = await s.update('/cas/a', val('v2'), r1);
      await rejects(s.update('/cas/a', val('stale'), r1), 'Conflict');
      await rejects(s.delete('/cas/a', r1), 'Conflict');
      assert.deepEqual(await s.get('/cas/a'), { key: '/cas/a', value: val('v2'), createRevision: r1, modRevision: r2 });
      const d = await s.delete('/cas/a', r2);
      assert.equal(d.prev.modRevision, r2);
    });

    it('lists a prefix in key order, at the current and at past revisions', async () => {
      const r1 = await s.create('/list/b', val('b1'));
      await s.create('/list/a', val('a1'));
      await s.create('/list/c', val('c1'));
      await s.create('/listx', val('outside'));
      await s.create('/lis', val('outside'));
      const mid = await s.currentRevision();
      await s.update('/list/b', val('b2'), r1);
      await s.delete('/list/c');
      await s.create('/list/d', val('d1'));
      const now = await s.list('/list/');
      assert.deepEqual(now.items.map((kv) => [kv.key, kv.value.toString()]), [['/list/a', 'a1'], ['/list/b', 'b2'], ['/list/d', 'd1']]);
      assert.equal(now.revision, await s.currentRevision());
      assert.equal(now.more, false);
      const past = await s.list('/list/', { revision: mid });
      assert.deepEqual(past.items.map((kv) => [kv.key, kv.value.toString()]), [['/list/a', 'a1'], ['/list/b', 'b1'], ['/list/c', 'c1']]);
      assert.equal(past.revision, mid);
      assert.deepEqual((await s.get('/list/c', { revision: mid })).value, val('c1'));
      await rejects(s.get('/list/d', { revision: mid }), 'NotFound');
      assert.equal(await s.count('/list/'), 3);
      await rejects(s.list('/list/', { revision: (await s.currentRevision()) + 1000 }), 'InvalidArgument');
      assert.equal((await s.list('/nothing-here/')).items.length, 0);
      assert.ok((await s.list('')).items.some((kv) => kv.key === '/list/a'), 'the empty prefix lists everything');
    });

    it('paginates with limit and continueKey at one revision', async () => {
      for (let i = 0; i < 25; i++) await s.create(`/page/${String(i).padStart(2, '0')}`, val(`v${i}`));
      const first = await s.list('/page/', { limit: 10 });
      assert.equal(first.items.length, 10);
      assert.equal(first.more, true);
      // Writes after the first page must not show in later pages taken at its revision.
      await s.create('/page/05a', val('late'));
      await s.delete('/page/20');
      const keys = first.items.map((kv) => kv.key);
      let page = first;
      while (page.more) {
        page = await s.list('/page/', { limit: 10, revision: first.revision, continueKey: page.items.at(-1)!.key });
        assert.equal(page.revision, first.revision);
        keys.push(...page.items.map((kv) => kv.key));
      }
      assert.deepEqual(keys, Array.from({ length: 25 }, (_, i) => `/page/${String(i).padStart(2, '0')}`));
      const exact = await s.list('/page/', { limit: 25 });
      assert.equal(exact.items.length, 25);
      assert.equal(exact.more, false);
    });

    it('watches from a revision: replay then live, in order, with previous values and deletes', async () => {
      const r0 = await s.currentRevision();
      const r1 = await s.create('/watch/a', val('a1'));
      await s.create('/watchers-other', val('outside the prefix'));
      const w = await collect(s, '/watch/', r0);
      const r2 = await s.update('/watch/a', val('a2'), r1);
      const r3 = await s.create('/watch/b', val('b1'));
      const r4 = (await s.delete('/watch/a')).revision;
      await w.waitFor(4);
      assert.deepEqual(w.events.map((e) => [e.type, e.kv.key, e.kv.modRevision, e.kv.value.toString(), e.prev?.value.toString(), e.prev?.modRevision]), [
        ['PUT', '/watch/a', r1, 'a1', undefined, undefined],
        ['PUT', '/watch/a', r2, 'a2', 'a1', r1],
        ['PUT', '/watch/b', r3, 'b1', undefined, undefined],
        ['DELETE', '/watch/a', r4, '', 'a2', r2],
      ]);
      assert.equal(w.events[1]!.kv.createRevision, r1);
      // From a later revision: only what came after it.
      const w2 = await collect(s, '/watch/', r2);
      await w2.waitFor(2);
      assert.deepEqual(w2.events.map((e) => e.kv.modRevision), [r3, r4]);
      await w.watch.close();
      await s.create('/watch/c', val('after close'));
      await w2.waitFor(3);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(w.events.length, 4, 'a closed watch gets nothing more');
      await w2.watch.close();
      assert.deepEqual(w.errors, []);
    });

    it('keeps concurrent writers apart: one winner per key, no lost compare-and-swap updates', async () => {
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.create('/conc/one', val(`w${i}`))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isKind(r.reason, 'AlreadyExists'));
      const revs = await Promise.all(Array.from({ length: 50 }, (_, i) => s.create(`/conc/k${i}`, val(`v${i}`))));
      assert.equal(new Set(revs).size, 50, 'every write has its own revision');
      await s.create('/conc/counter', val('0'));
      const increment = async () => {
        for (;;) {
          const cur = await s.get('/conc/counter');
          try {
            return await s.update('/conc/counter', val(String(Number(cur.value.toString()) + 1)), cur.modRevision);
          } catch (e) {
            if (!isKind(e, 'Conflict')) throw e;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 5; i++) await increment();
      }));
      assert.equal((await s.get('/conc/counter')).value.toString(), '40');
    });

    it('leases delete their keys when revoked or expired, and watches see the deletes', async () => {
      await rejects(s.create('/lease/none', val('x'), { lease: '987654321' }), 'NotFound');
      const r0 = await s.currentRevision();
      const w = await collect(s, '/lease/', r0);
      const l1 = await s.grantLease(60);
      await s.create('/lease/a', val('a'), { lease: l1 });
      await s.create('/lease/b', val('b'), { lease: l1 });
      assert.equal((await s.get('/lease/a')).lease, l1);
      await s.revokeLease(l1);
      assert.equal(await s.count('/lease/'), 0);
      await rejects(s.revokeLease(l1), 'NotFound');
      const l2 = await s.grantLease(sut.minLeaseTtl);
      await s.create('/lease/c', val('c'), { lease: l2 });
      await eventually(async () => (await s.count('/lease/')) === 0, (sut.minLeaseTtl + 10) * 1000, 'the key of an expired lease');
      await w.waitFor(6);
      assert.deepEqual(w.events.map((e) => `${e.type} ${e.kv.key}`).sort(),
        ['DELETE /lease/a', 'DELETE /lease/b', 'DELETE /lease/c', 'PUT /lease/a', 'PUT /lease/b', 'PUT /lease/c']);
      await w.watch.close();
    });

    it('compaction: older revisions and watches fail with Expired, newer ones keep working', async () => {
      const r1 = await s.create('/compact/a', val('v1'));
      const r2 = await s.update('/compact/a', val('v2'), r1);
      const r3 = await s.update('/compact/a', val('v3'), r2);
      await s.create('/compact/gone', val('x'));
      await s.delete('/compact/gone');
      await s.compact(r3);
      await rejects(s.get('/compact/a', { revision: r2 }), 'Expired');
      await rejects(s.list('/compact/', { revision: r1 }), 'Expired');
      await rejects(s.watch('/compact/', r1, { onEvents() {}, onError() {} }), 'Expired');
      assert.deepEqual((await s.get('/compact/a', { revision: r3 })).value, val('v3'));
      assert.deepEqual((await s.list('/compact/', { revision: r3 })).items.map((kv) => kv.key), ['/compact/a']);
      assert.deepEqual((await s.list('/compact/')).items.map((kv) => kv.value.toString()), ['v3']);
      const w = await collect(s, '/compact/', r3 - 1);
      await w.waitFor(3);
      assert.deepEqual(w.events[0]!.kv.modRevision, r3, 'a watch from the compaction revision replays it');
      // etcd has already discarded the value it replaced; SQLite keeps it on the same row.
      if (w.events[0]!.prev) assert.deepEqual(w.events[0]!.prev.value, val('v2'));
      await w.watch.close();
      await s.compact(r2); // older than the last compaction: nothing to do
      await rejects(s.compact((await s.currentRevision()) + 1000), 'InvalidArgument');
    });

    it('a watch from a revision not reached yet sees only what comes after it', async () => {
      const r0 = await s.currentRevision();
      const w = await collect(s, '/ahead/', r0 + 2);
      await s.create('/ahead/a', val('1'));
      await s.create('/ahead/b', val('2'));
      const r3 = await s.create('/ahead/c', val('3'));
      await w.waitFor(1);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(w.events.map((e) => [e.kv.key, e.kv.modRevision]), [['/ahead/c', r3]]);
      await w.watch.close();
    });

    it('keeps every write across a restart, revisions and history included', async () => {
      const r1 = await s.create('/restart/a', val('a1'));
      const r2 = await s.update('/restart/a', val('a2'), r1);
      await s.create('/restart/b', val('b1'));
      const lease = await s.grantLease(3600);
      await s.create('/restart/leased', val('l'), { lease });
      const before = await s.currentRevision();
      s = await sut.reopen(s);
      assert.equal(await s.currentRevision(), before);
      assert.deepEqual(await s.get('/restart/a'), { key: '/restart/a', value: val('a2'), createRevision: r1, modRevision: r2 });
      assert.deepEqual((await s.list('/restart/', { revision: r1 })).items.map((kv) => kv.value.toString()), ['a1']);
      const w = await collect(s, '/restart/', r1);
      await w.waitFor(3);
      assert.equal(w.events[0]!.kv.modRevision, r2);
      await w.watch.close();
      assert.equal((await s.get('/restart/leased')).lease, lease);
      await s.revokeLease(lease);
      await rejects(s.get('/restart/leased'), 'NotFound');
      assert.ok((await s.create('/restart/c', val('c'))) > before);
    });
  });
}
