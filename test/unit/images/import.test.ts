/** `docker import`: one-layer images from rootfs tars (plain or gzip), config changes, bad input. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { RecordingHost } from '../../../src/host/fake.js';
import { ImageService } from '../../../src/engine/images/service.js';
import { applyChanges } from '../../../src/engine/build/changes.js';
import { gzip, makeTar, sha } from '../snapshots/tarutil.js';
import { leftovers } from './archives.js';

let dataRoot: string;
let svc: ImageService;
beforeEach(async () => {
  dataRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-import-'));
  svc = await ImageService.open(dataRoot, new RecordingHost());
});
afterEach(async () => {
  await svc.close();
  await fs.rm(dataRoot, { recursive: true, force: true });
});

describe('importRootfs', () => {
  it('imports a gzip rootfs with changes, tagged', async () => {
    const rootfs = await makeTar([{ name: 'bin/', type: 'directory' }, { name: 'bin/sh', body: 'sh', mode: 0o755 }]);
    const rec = await svc.importRootfs(Readable.from([gzip(rootfs)]), { repo: 'myimg', tag: 'v1', changes: ['CMD ["sh"]', 'ENV A=b C="d e"', 'WORKDIR /app', 'EXPOSE 80 53/udp', 'LABEL x=y', 'USER nobody'] });
    assert.deepEqual(rec.repoTags, ['myimg:v1']);
    assert.deepEqual(rec.config.rootfs.diff_ids, [sha(rootfs)]);
    const c = rec.config.config!;
    assert.deepEqual(c.Cmd, ['sh']);
    assert.deepEqual(c.Env, ['A=b', 'C=d e']);
    assert.equal(c.WorkingDir, '/app');
    assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    assert.deepEqual(c.Labels, { x: 'y' });
    assert.equal(c.User, 'nobody');
    assert.equal(rec.config.history?.[0]?.comment, 'Imported from -');
    await svc.idle(); // layers are unpacked in the background
    const [lower] = svc.snapshots.lowerDirs(rec.chainIds);
    assert.equal(await fs.readFile(path.join(lower!, 'bin/sh'), 'utf8'), 'sh');
    // The layer blob is stored uncompressed: its digest is the diff ID.
    assert.ok(await svc.content.exists(sha(rootfs)));
    const untagged = await svc.importRootfs(Readable.from([rootfs]), { repo: 'other:2', message: 'hi' });
    assert.deepEqual(untagged.repoTags, ['other:2']);
    assert.equal(svc.history('other:2')[0]!.Comment, 'hi');
  });

  it('rejects truncated, garbage and empty input and bad changes, leaving nothing', async () => {
    const rootfs = await makeTar([{ name: 'big', body: 'x'.repeat(10000) }]);
    for (const input of [rootfs.subarray(0, 5000), rootfs.subarray(0, 10752), gzip(rootfs).subarray(0, 30), Buffer.from('not a tar at all'.repeat(64)), Buffer.alloc(0)]) {
      await assert.rejects(svc.importRootfs(Readable.from([input]), { repo: 'x' }), (e) => isKind(e, 'InvalidArgument'), `length ${input.length}`);
    }
    await assert.rejects(svc.importRootfs(Readable.from([rootfs]), { changes: ['RUN rm -rf /'] }), (e) => isKind(e, 'InvalidArgument') && e.message === 'RUN is not a valid change command');
    assert.deepEqual(await leftovers(dataRoot), []);
    assert.equal(svc.list().length, 0);
  });
});

describe('applyChanges', () => {
  it('handles shell and JSON forms like a Dockerfile', () => {
    assert.deepEqual(applyChanges({}, ['CMD sh -c "echo hi"']).Cmd, ['/bin/sh', '-c', 'sh -c "echo hi"']);
    const c = applyChanges({ Cmd: ['old'] }, ['ENTRYPOINT ["/init"]']);
    assert.deepEqual(c.Entrypoint, ['/init']);
    assert.equal(c.Cmd, null);
    assert.deepEqual(applyChanges({}, ['ENV PATH /usr/bin:/bin', 'ENV PATH=/x']).Env, ['PATH=/x']);
    assert.deepEqual(applyChanges({}, ['VOLUME ["/data", "/logs"]']).Volumes, { '/data': {}, '/logs': {} });
    assert.deepEqual(Object.keys(applyChanges({}, ['EXPOSE 8000-8002']).ExposedPorts!), ['8000/tcp', '8001/tcp', '8002/tcp']);
    assert.equal(applyChanges({ WorkingDir: '/a' }, ['WORKDIR b']).WorkingDir, '/a/b');
    assert.throws(() => applyChanges({}, ['EXPOSE 99999']), (e) => isKind(e, 'InvalidArgument'));
  });
});
