/** The build context, .dockerignore, COPY sources and their cache hashes, chown lookups. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { RecordingHost } from '../../../src/host/fake.js';
import { isKind } from '../../../src/lib/errors.js';
import { IgnoreMatcher, readIgnoreFile } from '../../../src/lib/dockerignore.js';
import { BuildContext } from '../../../src/engine/build/context.js';
import { chownIds, collectSources, normalizeDest } from '../../../src/engine/build/copy.js';
import { gzip, makeTar } from '../snapshots/tarutil.js';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-buildctx-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

const receive = async (name: string, body: Buffer) => BuildContext.receive(Readable.from([body]), path.join(dir, name), new RecordingHost());

describe('.dockerignore', () => {
  it('matches like Docker: top-level globs, ** anywhere, directories cover their contents, ! re-includes', () => {
    const m = new IgnoreMatcher(readIgnoreFile('# comment\n*.log\n/secret\n**/tmp\nbuild/**\nnode_modules\n!keep.log\n'));
    const hits = ['a.log', 'keep.log', 'x/a.log', 'secret', 'secret/x', 'tmp', 'a/b/tmp/c', 'build/a', 'build', 'node_modules/x/y', 'src/a.ts'].filter((f) => m.matches(f));
    assert.deepEqual(hits, ['a.log', 'secret', 'secret/x', 'tmp', 'a/b/tmp/c', 'build/a', 'node_modules/x/y']);
    assert.equal(m.hasExclusions, true);
    assert.throws(() => new IgnoreMatcher(['!']), /illegal exclusion pattern/);
  });
});

describe('build context', () => {
  it('extracts a plain or gzip tar, or takes a body that is no tar as the Dockerfile', async () => {
    const tar = await makeTar([{ name: 'Dockerfile', body: 'FROM busybox\n' }, { name: 'sub/', type: 'directory' }, { name: 'sub/f', body: 'f' }]);
    for (const [name, body] of [['plain', tar], ['gz', gzip(tar)]] as const) {
      const ctx = await receive(name, body);
      assert.deepEqual(await ctx.dockerfile('Dockerfile'), { name: 'Dockerfile', text: 'FROM busybox\n' });
      assert.deepEqual(await ctx.allPaths(), ['Dockerfile', 'sub', 'sub/f']);
    }
    const bare = await receive('bare', Buffer.from('FROM scratch\n'));
    assert.equal((await bare.dockerfile('Dockerfile')).text, 'FROM scratch\n');
    await assert.rejects(bare.dockerfile('other'), /Cannot locate specified Dockerfile: other/);
  });

  it('refuses sources outside the context and keeps symlinks inside it', async () => {
    const ctx = await receive('scoped', await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'out', type: 'symlink', linkname: '../../../etc' }]));
    await assert.rejects(ctx.resolve('../x'), (e) => isKind(e, 'InvalidArgument') && e.message === 'forbidden path outside the build context: ../x ()');
    const r = await ctx.resolve('out/passwd');
    assert.deepEqual([r.comps, r.exists], [['etc', 'passwd'], false]);
  });

  it('hashes content and mode, not times; a directory by everything below it', async () => {
    const ctx = await receive('hash', await makeTar([{ name: 'a', body: 'one' }, { name: 'd/', type: 'directory' }, { name: 'd/x', body: 'x' }]));
    const h1 = await BuildContext.at(ctx.root).hash(['a']);
    await fs.utimes(path.join(ctx.root, 'a'), new Date(1), new Date(1));
    assert.equal(await BuildContext.at(ctx.root).hash(['a']), h1);
    assert.match(h1, /^file:[0-9a-f]{64}$/);
    await fs.writeFile(path.join(ctx.root, 'a'), 'two');
    assert.notEqual(await BuildContext.at(ctx.root).hash(['a']), h1);
    const d1 = await BuildContext.at(ctx.root).hash(['d']);
    assert.match(d1, /^dir:/);
    await fs.chmod(path.join(ctx.root, 'd/x'), 0o755);
    assert.notEqual(await BuildContext.at(ctx.root).hash(['d']), d1);
  });

  it('applies .dockerignore to a context a client sent whole, the Dockerfile included when named', async () => {
    const ctx = await receive('ign', await makeTar([{ name: '.dockerignore', body: '*.tmp\nDockerfile\n' }, { name: 'Dockerfile', body: 'FROM x\n' }, { name: 'a.tmp', body: '' }, { name: 'b', body: '' }]));
    await ctx.applyIgnore();
    assert.deepEqual(await ctx.allPaths(), ['.dockerignore', 'b']);
  });

  it('collects COPY sources: wildcards, several sources in one hash, Docker\'s missing-file message', async () => {
    const ctx = await receive('src', await makeTar([{ name: 'a.js', body: 'a' }, { name: 'b.js', body: 'b' }, { name: 'c.txt', body: 'c' }, { name: 'lib/', type: 'directory' }, { name: 'lib/d.js', body: 'd' }]));
    const found = await collectSources(ctx, ['*.js'], 'COPY');
    assert.deepEqual(found.sources.map((s) => s.name), ['a.js', 'b.js']);
    assert.match(found.hash, /^multi:/);
    const one = await collectSources(ctx, ['/lib'], 'COPY');
    assert.deepEqual([one.sources[0]!.isDir, one.hash.slice(0, 4)], [true, 'dir:']);
    await assert.rejects(collectSources(ctx, ['nothere'], 'COPY'), /file not found in build context or excluded by \.dockerignore: stat nothere: file does not exist/);
    await assert.rejects(collectSources(ctx, ['*.none'], 'COPY'), /no source files were specified/);
    await assert.rejects(collectSources(ctx, ['http://example.com/x'], 'COPY'), /source can't be a URL for COPY/);
  });
});

describe('copy helpers', () => {
  it('puts a relative destination under WORKDIR, keeping a trailing slash', () => {
    assert.deepEqual([normalizeDest('/app', '.'), normalizeDest('/app', 'sub/'), normalizeDest('', 'x'), normalizeDest('/app', '/abs/')], ['/app', '/app/sub/', '/x', '/abs/']);
  });

  it('looks --chown names up in the image; a lone user name is also the group name', async () => {
    const root = path.join(dir, 'root');
    await fs.mkdir(path.join(root, 'etc'), { recursive: true });
    await fs.writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    await fs.writeFile(path.join(root, 'etc/group'), 'root:x:0:\napp:x:1001:\nstaff:x:50:\n');
    assert.deepEqual(await chownIds(root, 'app'), { uid: 1000, gid: 1001 });
    assert.deepEqual(await chownIds(root, 'app:staff'), { uid: 1000, gid: 50 });
    assert.deepEqual(await chownIds(root, '12:34'), { uid: 12, gid: 34 });
    await assert.rejects(chownIds(root, 'nobody'), /can't find uid for user nobody: no such user: nobody/);
    await assert.rejects(chownIds(root, 'a:b:c'), /invalid chown string format: a:b:c/);
  });
});
