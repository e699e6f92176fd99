/**
 * `berth registry serve` with real clients: skopeo copies the offline busybox image into it
 * and back out, inspects, lists and deletes; raw HTTP requests check ranges, chunked uploads,
 * mounts, verification, manifests, pagination and referrers against the OCI Distribution spec.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_TAR } from './harness.js';
import { errorCode, location, OCI_MANIFEST, pushBlob, pushImage, putManifest, request, sha256, skopeo, TestRegistry } from './registry-harness.js';

describe('berth registry serve', () => {
  let reg: TestRegistry;
  let base: string;
  let tmp: string;
  before(async () => {
    reg = await TestRegistry.berth();
    base = reg.url;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registry-client-'));
  });
  after(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.equal(await reg.stop(), 0, reg.log);
  });

  it('answers the API version check', async () => {
    const r = await request('GET', `${base}/v2/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  it('takes an image from skopeo and gives the same image back', () => {
    const ref = `docker://${reg.host}/lib/busybox:1`;
    const push = skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${BUSYBOX_TAR}`, ref]);
    assert.equal(push.code, 0, push.stderr);
    const raw = skopeo(['inspect', '--raw', '--tls-verify=false', ref]);
    assert.equal(raw.code, 0, raw.stderr);
    const inspect = JSON.parse(skopeo(['inspect', '--tls-verify=false', ref]).stdout) as { Digest: string; RepoTags: string[]; Layers: string[] };
    assert.equal(inspect.Digest, sha256(raw.stdout));
    assert.deepEqual(inspect.RepoTags, ['1']);

    // Out to an OCI layout and in again under another name: the same manifest, byte for byte.
    const layout = path.join(tmp, 'layout');
    const out = skopeo(['copy', '--src-tls-verify=false', ref, `oci:${layout}:bb`]);
    assert.equal(out.code, 0, out.stderr);
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const ociDigest = index.manifests[0]!.digest;
    for (const layer of inspect.Layers) assert.ok(fs.existsSync(path.join(layout, 'blobs/sha256', layer.slice(7))), `layer ${layer} copied out`);
    const back = skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:bb`, `docker://${reg.host}/copies/busybox:oci`]);
    assert.equal(back.code, 0, back.stderr);
    const again = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/copies/busybox:oci`]).stdout) as { Digest: string; Layers: string[] };
    assert.equal(again.Digest, ociDigest);
    assert.deepEqual(again.Layers, inspect.Layers);

    // And out as a docker archive (layers stored uncompressed there), whose config is the registry's config blob.
    const archive = path.join(tmp, 'bb.tar');
    const save = skopeo(['copy', '--src-tls-verify=false', ref, `docker-archive:${archive}:lib/busybox:1`]);
    assert.equal(save.code, 0, save.stderr);
    const config = (source: string, tls: string[] = []) => sha256(skopeo(['inspect', '--raw', '--config', ...tls, source]).stdout);
    assert.equal(config(`docker-archive:${archive}`), config(ref, ['--tls-verify=false']));
    assert.equal(config(`docker-archive:${archive}`), config(`docker-archive:${BUSYBOX_TAR}`));
  });

  it('lists tags and deletes a manifest for skopeo', () => {
    for (const tag of ['a', 'b']) {
      const r = skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${BUSYBOX_TAR}`, `docker://${reg.host}/lib/tagged:${tag}`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const tags = JSON.parse(skopeo(['list-tags', '--tls-verify=false', `docker://${reg.host}/lib/tagged`]).stdout) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['a', 'b']);
    const del = skopeo(['delete', '--tls-verify=false', `docker://${reg.host}/lib/tagged:a`]);
    assert.equal(del.code, 0, del.stderr);
    // Deleting by digest removes every tag that pointed at it (both tags named one manifest).
    const left = JSON.parse(skopeo(['list-tags', '--tls-verify=false', `docker://${reg.host}/lib/tagged`]).stdout) as { Tags: string[] };
    assert.deepEqual(left.Tags, []);
    assert.notEqual(skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/lib/tagged:b`]).code, 0);
  });

  it('serves byte ranges of a blob', async () => {
    const data = Buffer.from('0123456789');
    const d = await pushBlob(base, 'range/test', data);
    const url = `${base}/v2/range/test/blobs/${d}`;
    const head = await request('HEAD', url);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '10');
    assert.equal(head.headers['docker-content-digest'], d);
    assert.equal(head.headers['accept-ranges'], 'bytes');
    const cases: [string, number, string, string | undefined][] = [
      ['bytes=0-0', 206, '0', 'bytes 0-0/10'],
      ['bytes=2-5', 206, '2345', 'bytes 2-5/10'],
      ['bytes=7-', 206, '789', 'bytes 7-9/10'],
      ['bytes=-3', 206, '789', 'bytes 7-9/10'],
      ['bytes=5-100', 206, '56789', 'bytes 5-9/10'],
    ];
    for (const [range, status, body, contentRange] of cases) {
      const r = await request('GET', url, { headers: { Range: range } });
      assert.equal(r.status, status, range);
      assert.equal(r.body.toString(), body, range);
      assert.equal(r.headers['content-range'], contentRange, range);
    }
    const bad = await request('GET', url, { headers: { Range: 'bytes=10-20' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], 'bytes */10');
    assert.equal((await request('GET', url)).body.toString(), '0123456789');
  });

  it('takes a chunked upload, refuses an out-of-order chunk with 416, and cancels', async () => {
    const start = await request('POST', `${base}/v2/chunks/test/blobs/uploads/`);
    assert.equal(start.status, 202);
    assert.equal(start.headers.range, '0-0');
    assert.ok(start.headers['docker-upload-uuid']);
    let loc = location(base, start);
    const patch = (body: string, range?: string) =>
      request('PATCH', loc.href, { headers: { 'Content-Type': 'application/octet-stream', ...(range ? { 'Content-Range': range } : {}) }, body });
    let r = await patch('hello', '0-4');
    assert.equal(r.status, 202);
    assert.equal(r.headers.range, '0-4');
    loc = location(base, r);
    r = await patch('world', '10-14');
    assert.equal(r.status, 416);
    assert.equal(r.headers.range, '0-4', 'the 416 tells where the upload stands');
    r = await patch(' worl', '5-9');
    assert.equal(r.status, 202);
    r = await patch('d!'); // a streamed chunk without Content-Range appends too
    assert.equal(r.headers.range, '0-11');
    r = await request('GET', loc.href);
    assert.equal(r.status, 204);
    assert.equal(r.headers.range, '0-11');
    assert.equal(r.headers['docker-upload-uuid'], start.headers['docker-upload-uuid']);
    const whole = 'hello world!?';
    const put = new URL(loc);
    put.searchParams.set('digest', sha256(whole));
    r = await request('PUT', put.href, { headers: { 'Content-Range': '12-12', 'Content-Length': 1 }, body: '?' });
    assert.equal(r.status, 201, r.body.toString());
    assert.equal(r.headers['docker-content-digest'], sha256(whole));
    assert.equal(new URL(r.headers.location!, base).pathname, `/v2/chunks/test/blobs/${sha256(whole)}`);
    assert.equal((await request('GET', `${base}/v2/chunks/test/blobs/${sha256(whole)}`)).body.toString(), whole);
    assert.equal(errorCode(await request('GET', loc.href)), 'BLOB_UPLOAD_UNKNOWN', 'a finished upload is gone');

    const other = await request('POST', `${base}/v2/chunks/test/blobs/uploads/`);
    const otherLoc = location(base, other);
    assert.equal((await request('DELETE', otherLoc.href)).status, 204);
    r = await request('DELETE', otherLoc.href);
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('rejects a blob whose digest does not match and stores nothing', async () => {
    const data = Buffer.from('the real bytes');
    const claimed = sha256('other bytes');
    const ingest = path.join(reg.dir, 'root', 'ingest');
    const mono = await request('POST', `${base}/v2/verify/test/blobs/uploads/?digest=${claimed}`, { headers: { 'Content-Length': data.length }, body: data });
    assert.equal(mono.status, 400);
    assert.equal(errorCode(mono), 'DIGEST_INVALID');
    const start = await request('POST', `${base}/v2/verify/test/blobs/uploads/`);
    const put = location(base, start);
    put.searchParams.set('digest', claimed);
    const r = await request('PUT', put.href, { body: data });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'DIGEST_INVALID');
    for (const d of [claimed, sha256(data)]) {
      assert.equal((await request('HEAD', `${base}/v2/verify/test/blobs/${d}`)).status, 404);
      assert.equal(fs.existsSync(path.join(reg.dir, 'root', 'blobs', 'sha256', d.slice(7))), false, `${d} not stored`);
    }
    assert.deepEqual(fs.readdirSync(ingest), [], 'no upload leftovers');
    assert.equal(errorCode(await request('GET', location(base, start).href)), 'BLOB_UPLOAD_UNKNOWN', 'a failed upload is over');
    const noDigest = await request('PUT', location(base, await request('POST', `${base}/v2/verify/test/blobs/uploads/`)).href, { body: data });
    assert.equal(errorCode(noDigest), 'DIGEST_INVALID');
  });

  it('mounts a blob from another repository only when that repository has it', async () => {
    const d = await pushBlob(base, 'mount/src', 'shared layer');
    let r = await request('POST', `${base}/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`);
    assert.equal(r.status, 201);
    assert.equal(r.headers['docker-content-digest'], d);
    assert.equal(new URL(r.headers.location!, base).pathname, `/v2/mount/dst/blobs/${d}`);
    assert.equal((await request('GET', `${base}/v2/mount/dst/blobs/${d}`)).body.toString(), 'shared layer');
    // Present in the store but not in `from`: an ordinary upload starts instead (no access by digest alone).
    r = await request('POST', `${base}/v2/mount/third/blobs/uploads/?mount=${d}&from=mount/empty`);
    assert.equal(r.status, 202);
    assert.ok(r.headers['docker-upload-uuid']);
    assert.equal((await request('HEAD', `${base}/v2/mount/third/blobs/${d}`)).status, 404);
  });

  it('stores, negotiates and deletes manifests', async () => {
    const img = await pushImage(base, 'man/test', 'v1');
    const byTag = `${base}/v2/man/test/manifests/v1`;
    let r = await request('GET', byTag, { headers: { Accept: `${OCI_MANIFEST}, application/json` } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], OCI_MANIFEST);
    assert.equal(r.headers['docker-content-digest'], img.digest);
    assert.equal(r.body.toString(), img.text);
    r = await request('HEAD', `${base}/v2/man/test/manifests/${img.digest}`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(img.text)));
    r = await request('GET', byTag);
    assert.equal(r.status, 404, 'an OCI manifest is only served to clients that accept it');
    assert.equal(errorCode(r), 'MANIFEST_UNKNOWN');

    const missing = { ...img.manifest, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256('absent'), size: 6 }] };
    r = await putManifest(base, 'man/test', 'broken', missing);
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'MANIFEST_BLOB_UNKNOWN');
    for (const bad of ['{not json', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{}}', '[]', '{"schemaVersion":1}']) {
      r = await putManifest(base, 'man/test', 'broken', bad);
      assert.equal(r.status, 400, bad);
      assert.equal(errorCode(r), 'MANIFEST_INVALID', bad);
      assert.match(r.json().errors[0].message, /manifest invalid: /);
    }
    r = await putManifest(base, 'man/test', 'v2', img.text, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(errorCode(r), 'MANIFEST_INVALID', 'Content-Type must agree with mediaType');
    r = await putManifest(base, 'man/test', sha256('something else'), img.text);
    assert.equal(errorCode(r), 'DIGEST_INVALID');
    r = await request('PUT', `${base}/v2/man/test/manifests/huge`, { headers: { 'Content-Type': OCI_MANIFEST }, body: Buffer.alloc(5 << 20, 32) });
    assert.equal(r.status, 413);
    assert.equal(errorCode(r), 'SIZE_INVALID');
    assert.deepEqual((await request('GET', `${base}/v2/man/test/tags/list`)).json().tags, ['v1'], 'failed pushes left no tags');

    // A tag is deleted alone; a digest takes the manifest and its tags.
    assert.equal((await putManifest(base, 'man/test', 'v2', img.text)).status, 201);
    assert.equal((await request('DELETE', `${base}/v2/man/test/manifests/v2`)).status, 202);
    assert.deepEqual((await request('GET', `${base}/v2/man/test/tags/list`)).json().tags, ['v1']);
    assert.equal((await request('DELETE', `${base}/v2/man/test/manifests/${img.digest}`)).status, 202);
    r = await request('DELETE', `${base}/v2/man/test/manifests/${img.digest}`);
    assert.equal(errorCode(r), 'MANIFEST_UNKNOWN');
    assert.equal((await request('GET', byTag, { headers: { Accept: OCI_MANIFEST } })).status, 404);
    assert.deepEqual((await request('GET', `${base}/v2/man/test/tags/list`)).json().tags, []);
    // Deleting a blob removes the repository's link to it.
    assert.equal((await request('DELETE', `${base}/v2/man/test/blobs/${img.layerDigest}`)).status, 202);
    assert.equal(errorCode(await request('GET', `${base}/v2/man/test/blobs/${img.layerDigest}`)), 'BLOB_UNKNOWN');
    assert.equal(errorCode(await request('DELETE', `${base}/v2/man/test/blobs/${img.layerDigest}`)), 'BLOB_UNKNOWN');
  });
});
