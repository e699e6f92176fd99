/**
 * Path resolution scoped to a root (snapshots/scoped.ts), the base of `docker cp`'s and layer
 * extraction's safety: whatever the symlinks inside say, the result names something under the
 * root, and a host directory the links aim at is never looked at or changed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { resolveInRoot } from '../../../src/engine/snapshots/scoped.js';

const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scoped-'));
const root = path.join(sandbox, 'root');
const outside = path.join(sandbox, 'outside');
const r = (p: string, o?: Parameters<typeof resolveInRoot>[2]) => resolveInRoot(root, p, o);

describe('resolveInRoot', () => {
  before(() => {
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'dir/sub'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret'), 'host');
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    fs.writeFileSync(path.join(root, 'file'), 'f');
    const links: Record<string, string> = {
      abs: '/etc',
      rel: '../../../../../../etc',
      'dir/up': '../..',
      'dir/sub/top': '/',
      loop1: 'loop2',
      loop2: 'loop1',
      chain: 'abs/passwd',
      dangling: '/nonexistent/deeper',
      out: outside, // a host path: must mean the same path inside the root
      outrel: path.relative(root, outside),
    };
    for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(root, name));
  });
  after(() => fs.rmSync(sandbox, { recursive: true, force: true }));

  it('follows absolute and relative links in parents inside the root', async () => {
    for (const p of ['/abs/passwd', '/rel/passwd', 'dir/up/etc/passwd', '/dir/sub/top/etc/passwd', '/dir/sub/top/rel/passwd']) {
      assert.deepEqual(await r(p), { comps: ['etc', 'passwd'], exists: true, isDir: false }, p);
    }
  });

  it('never lets `..` climb above the root', async () => {
    assert.deepEqual((await r('/../../../etc/passwd')).comps, ['etc', 'passwd']);
    assert.deepEqual((await r('/dir/up/dir/up/dir/..')).comps, []);
  });

  it('keeps the final link unless asked to follow it, or the path ends in / or /.', async () => {
    assert.deepEqual(await r('/abs'), { comps: ['abs'], exists: true, isDir: false });
    assert.deepEqual(await r('/abs', { followFinal: true }), { comps: ['etc'], exists: true, isDir: true });
    assert.deepEqual(await r('/abs/'), { comps: ['etc'], exists: true, isDir: true });
    assert.deepEqual(await r('/abs/.'), { comps: ['etc'], exists: true, isDir: true });
    assert.deepEqual((await r('/chain', { followFinal: true })).comps, ['etc', 'passwd']);
  });

  it('reads links to host paths as paths inside the root', async () => {
    const inRoot = outside.split('/').filter(Boolean);
    await assert.rejects(r('/out/secret'), (e) => isKind(e, 'NotFound'));
    await assert.rejects(r('/outrel/secret'), (e) => isKind(e, 'NotFound'));
    await assert.rejects(r('/out', { followFinal: true }), (e) => isKind(e, 'NotFound'));
    assert.deepEqual(await r('/out', { followFinal: true, lexical: true }), { comps: inRoot, exists: false, isDir: false });
    // `../outside` climbs to the root and stays there: it names /outside inside the root.
    assert.deepEqual(await r('/outrel', { followFinal: true }), { comps: ['outside'], exists: false, isDir: false });
  });

  it('reports missing, non-directory and looping paths by kind', async () => {
    await assert.rejects(r('/nosuch/x'), (e) => isKind(e, 'NotFound'));
    await assert.rejects(r('/file/x'), (e) => isKind(e, 'InvalidArgument') && /not a directory/.test((e as Error).message));
    await assert.rejects(r('/loop1/x'), (e) => isKind(e, 'InvalidArgument') && /too many levels/.test((e as Error).message));
    await assert.rejects(r('/file/'), (e) => isKind(e, 'InvalidArgument'));
    assert.deepEqual(await r('/etc/nosuch'), { comps: ['etc', 'nosuch'], exists: false, isDir: false });
  });

  it('goes on lexically past a missing component when asked (a dangling link still has a target)', async () => {
    assert.deepEqual(await r('/dangling', { followFinal: true, lexical: true }), { comps: ['nonexistent', 'deeper'], exists: false, isDir: false });
    assert.deepEqual((await r('/nosuch/a/../b', { lexical: true })).comps, ['nosuch', 'b']);
  });

  it('creates missing directories inside the root, through links, and never outside', async () => {
    const made: string[] = [];
    const res = await r('out/new/deeper', { followFinal: true, mkdir: async (abs) => (made.push(abs), fs.mkdirSync(abs)) });
    assert.deepEqual(res.comps, [...outside.split('/').filter(Boolean), 'new', 'deeper']);
    assert.ok(made.every((m) => m.startsWith(`${root}/`)), made.join(', '));
    assert.deepEqual(fs.readdirSync(outside), ['secret']);
  });

  it('trusts directories it was told about, and learns the ones it walks', async () => {
    const known = new Set<string>(['ghost']);
    assert.deepEqual(await r('ghost/x', { known }), { comps: ['ghost', 'x'], exists: false, isDir: false });
    await r('abs/passwd', { known });
    assert.ok(known.has('etc'));
  });
});
