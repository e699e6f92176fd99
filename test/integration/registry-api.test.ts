/**
 * `berth registry serve` over raw HTTP: pagination, referrers, URL validation, concurrent and
 * interrupted uploads, a crash in the middle of an upload, basic auth and TLS (with skopeo).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_TAR } from './harness.js';
import { errorCode, location, OCI_INDEX, pushBlob, pushImage, putManifest, request, sha256, skopeo, TestRegistry } from './registry-harness.js';

/** Follows `Link: <…>; rel="next"` from `first`, collecting `key` of every page. */
async function allPages(base: string, first: string, key: 'tags' | 'repositories'): Promise<{ items: string[]; pages: number }> {
  const items: string[] = [];
  let next: string | undefined = first;
  let pages = 0;
  while (next) {
    const r = await request('GET', `${base}${next}`);
    assert.equal(r.status, 200, r.body.toString());
    items.push(...(r.json()[key] as string[]));
    pages++;
    next = /^<([^>]+)>; rel="next"$/.exec(String(r.headers.link ?? ''))?.[1];
  }
  return { items, pages };
}

describe('registry API details', () => {
  let reg: TestRegistry;
  let base: string;
  before(async () => {
    reg = await TestRegistry.berth();
    base = reg.url;
  });
  after(async () => {
    assert.equal(await reg.stop(), 0, reg.log);
  });

  it('paginates tags and the catalog with n, last and Link', async () => {
    const img = await pushImage(base, 'page/tags', 'v1');
    const tags = ['v1', 'B', 'a', 'v10', 'v2', '_x', 'v1.0'];
    for (const t of tags.slice(1)) assert.equal((await putManifest(base, 'page/tags', t, img.text)).status, 201);
    const sorted = [...tags].sort();
    assert.deepEqual((await request('GET', `${base}/v2/page/tags/tags/list`)).json(), { name: 'page/tags', tags: sorted });
    const r = await request('GET', `${base}/v2/page/tags/tags/list?n=3`);
    assert.deepEqual(r.json().tags, sorted.slice(0, 3));
    assert.equal(r.headers.link, `</v2/page/tags/tags/list?last=${sorted[2]}&n=3>; rel="next"`);
    const paged = await allPages(base, '/v2/page/tags/tags/list?n=3', 'tags');
    assert.deepEqual(paged, { items: sorted, pages: 3 });
    assert.deepEqual((await request('GET', `${base}/v2/page/tags/tags/list?n=10&last=v1`)).json().tags, ['v1.0', 'v10', 'v2']);
    assert.deepEqual((await request('GET', `${base}/v2/page/tags/tags/list?n=0`)).json().tags, []);
    assert.equal(errorCode(await request('GET', `${base}/v2/page/tags/tags/list?n=100000`)), 'PAGINATION_NUMBER_INVALID');
    const unknown = await request('GET', `${base}/v2/page/none/tags/list`);
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'NAME_UNKNOWN');

    for (const repo of ['page/c', 'page/a', 'page/b/nested', 'page/b']) await pushBlob(base, repo, repo);
    const all = (await request('GET', `${base}/v2/_catalog`)).json().repositories as string[];
    assert.deepEqual(all, [...all].sort());
    for (const repo of ['page/a', 'page/b', 'page/b/nested', 'page/c', 'page/tags']) assert.ok(all.includes(repo), repo);
    const cat = await allPages(base, '/v2/_catalog?n=2', 'repositories');
    assert.deepEqual(cat.items, all);
    assert.equal(cat.pages, Math.ceil(all.length / 2));
    const first = await request('GET', `${base}/v2/_catalog?n=1`);
    assert.equal(first.headers.link, `</v2/_catalog?last=${encodeURIComponent(all[0]!)}&n=1>; rel="next"`);
  });

  it('lists referrers of a subject, filtered by artifactType', async () => {
    const subject = await pushImage(base, 'refs/app', 'v1');
    const subjectDesc = { mediaType: subject.manifest.mediaType, digest: subject.digest, size: Buffer.byteLength(subject.text) };
    const empty = await pushBlob(base, 'refs/app', '{}');
    const artifact = async (type: string, note: string) => {
      const layer = await pushBlob(base, 'refs/app', note);
      const m = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: type,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
        layers: [{ mediaType: 'text/plain', digest: layer, size: note.length }],
        subject: subjectDesc,
        annotations: { note },
      };
      const r = await putManifest(base, 'refs/app', sha256(JSON.stringify(m)), m);
      assert.equal(r.status, 201, r.body.toString());
      assert.equal(r.headers['oci-subject'], subject.digest);
      return sha256(JSON.stringify(m));
    };
    const sig = await artifact('application/vnd.example.signature', 'signed');
    const sbom = await artifact('application/vnd.example.sbom', 'sbom');
    let r = await request('GET', `${base}/v2/refs/app/referrers/${subject.digest}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], OCI_INDEX);
    const index = r.json();
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, OCI_INDEX);
    const byDigest = new Map((index.manifests as { digest: string; artifactType: string; annotations: Record<string, string> }[]).map((m) => [m.digest, m]));
    assert.deepEqual([...byDigest.keys()].sort(), [sig, sbom].sort());
    assert.equal(byDigest.get(sig)!.artifactType, 'application/vnd.example.signature');
    assert.deepEqual(byDigest.get(sbom)!.annotations, { note: 'sbom' });
    r = await request('GET', `${base}/v2/refs/app/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
    assert.equal(r.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(r.json().manifests.map((m: { digest: string }) => m.digest), [sbom]);
    // Unknown subjects and repositories are an empty index, never 404; a malformed digest is 400.
    r = await request('GET', `${base}/v2/refs/nothing/referrers/${sha256('none')}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json().manifests, []);
    assert.equal(errorCode(await request('GET', `${base}/v2/refs/app/referrers/not-a-digest`)), 'DIGEST_INVALID');
    assert.equal((await request('DELETE', `${base}/v2/refs/app/manifests/${sig}`)).status, 202);
    r = await request('GET', `${base}/v2/refs/app/referrers/${subject.digest}`);
    assert.deepEqual(r.json().manifests.map((m: { digest: string }) => m.digest), [sbom]);
  });

  it('validates names and routes', async () => {
    for (const bad of ['Upper/case', 'a//b', '-lead', 'trail-', 'a/_layers', `${'x'.repeat(256)}`]) {
      const r = await request('GET', `${base}/v2/${bad}/tags/list`);
      assert.equal(r.status, 400, bad);
      assert.equal(errorCode(r), 'NAME_INVALID', bad);
    }
    // `..` never reaches the storage as a path: the URL is normalised, then the name grammar applies.
    for (const raw of ['/v2/a/..%2f..%2fetc/tags/list', '/v2/a/%2e%2e/tags/list', '/v2/../../etc/tags/list']) {
      const r = await request('GET', base, { rawPath: raw });
      assert.ok(['NAME_INVALID', 'NAME_UNKNOWN', 'UNSUPPORTED'].includes(errorCode(r)!), `${raw}: ${r.status} ${r.body.toString()}`);
    }
    assert.equal(errorCode(await request('GET', `${base}/v2/ok/blobs/sha256:xyz`)), 'DIGEST_INVALID');
    assert.equal(errorCode(await request('GET', `${base}/v2/ok/manifests/bad%20tag`)), 'TAG_INVALID');
    const r = await request('POST', `${base}/v2/ok/tags/list`);
    assert.equal(r.status, 405);
    assert.equal(errorCode(r), 'UNSUPPORTED');
    assert.equal((await request('GET', `${base}/v3/`)).status, 404);
    const chunk = await request('POST', `${base}/v2/ok/blobs/uploads/`);
    const badRange = await request('PATCH', location(base, chunk).href, { headers: { 'Content-Range': 'bytes=oops' }, body: 'x' });
    assert.equal(errorCode(badRange), 'BLOB_UPLOAD_INVALID');
  });

  it('keeps concurrent uploads apart', async () => {
    const blobs = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024 + i, String(i)));
    const same = Buffer.alloc(512 * 1024, 'same');
    const chunked = async (repo: string, data: Buffer) => {
      let loc = location(base, await request('POST', `${base}/v2/${repo}/blobs/uploads/`));
      for (let off = 0; off < data.length; off += 64 * 1024) {
        const part = data.subarray(off, off + 64 * 1024);
        const r = await request('PATCH', loc.href, { headers: { 'Content-Range': `${off}-${off + part.length - 1}`, 'Content-Length': part.length }, body: part });
        assert.equal(r.status, 202, r.body.toString());
        loc = location(base, r);
      }
      loc.searchParams.set('digest', sha256(data));
      return (await request('PUT', loc.href)).status;
    };
    const statuses = await Promise.all([
      ...blobs.map((b, i) => chunked(`conc/r${i % 2}`, b)),
      ...[0, 1, 2, 3].map((i) => chunked(`conc/same${i}`, same)),
    ]);
    assert.deepEqual(statuses, Array(12).fill(201));
    for (const [i, b] of blobs.entries()) assert.ok((await request('GET', `${base}/v2/conc/r${i % 2}/blobs/${sha256(b)}`)).body.equals(b));
    for (const i of [0, 1, 2, 3]) assert.ok((await request('GET', `${base}/v2/conc/same${i}/blobs/${sha256(same)}`)).body.equals(same));
    assert.deepEqual(fs.readdirSync(path.join(reg.dir, 'root', 'ingest')), []);
  });

  it('keeps what arrived of an interrupted chunk, and the upload resumes', async () => {
    const data = Buffer.alloc(1000, 'z');
    const loc = location(base, await request('POST', `${base}/v2/cut/test/blobs/uploads/`));
    await new Promise<void>((resolve) => {
      const req = http.request(loc, { method: 'PATCH', headers: { 'Content-Length': 1000, 'Content-Range': '0-999' } });
      req.on('error', () => resolve());
      req.write(data.subarray(0, 500), () => setTimeout(() => (req.destroy(), resolve()), 200));
    });
    const status = await request('GET', loc.href); // waits for the cut PATCH to be handled
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-499');
    assert.equal((await request('HEAD', `${base}/v2/cut/test/blobs/${sha256(data)}`)).status, 404);
    const r = await request('PATCH', loc.href, { headers: { 'Content-Range': '500-999' }, body: data.subarray(500) });
    assert.equal(r.status, 202);
    const put = new URL(loc);
    put.searchParams.set('digest', sha256(data));
    assert.equal((await request('PUT', put.href)).status, 201);
  });
});

describe('registry crash in the middle of an upload', () => {
  it('leaves no partial blob, forgets the upload, keeps finished content', async () => {
    let reg = await TestRegistry.berth();
    try {
      const kept = await pushBlob(reg.url, 'crash/test', 'finished');
      const loc = location(reg.url, await request('POST', `${reg.url}/v2/crash/test/blobs/uploads/`));
      assert.equal((await request('PATCH', loc.href, { body: 'half of it' })).status, 202);
      assert.notDeepEqual(fs.readdirSync(path.join(reg.dir, 'root', 'ingest')), []);
      await reg.crash();
      reg = await TestRegistry.berth([], reg.dir);
      assert.deepEqual(fs.readdirSync(path.join(reg.dir, 'root', 'ingest')), [], 'interrupted uploads are cleared at start');
      const again = new URL(loc.pathname, reg.url);
      assert.equal(errorCode(await request('GET', again.href)), 'BLOB_UPLOAD_UNKNOWN');
      assert.equal((await request('GET', `${reg.url}/v2/crash/test/blobs/${kept}`)).body.toString(), 'finished');
      assert.deepEqual(fs.readdirSync(path.join(reg.dir, 'root', 'blobs', 'sha256')), [kept.slice(7)]);
    } finally {
      await reg.stop();
    }
  });
});

describe('registry with basic auth and TLS', () => {
  let reg: TestRegistry;
  before(async () => {
    const dir = fs.mkdtempSync(path.join('/tmp', 'berth-registry-auth-'));
    fs.writeFileSync(
      path.join(dir, 'htpasswd'),
      [
        'sha:{SHA}z0jT3TdveclVlHs5WCpg5cPeIe8=', // shapass
        'apr:$apr1$abcdefgh$aMTfKq1/.8A4bdqyN75ag.', // aprpass
        'plain:plainpass',
        'bcrypt:$2b$04$CJmLFZxTZTNnotEt98J38uWYMJKraK71GgsSVxXQklws3vdxIA5oi', // bcryptpass
        '',
      ].join('\n'),
    );
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    const args = ['--htpasswd', path.join(dir, 'htpasswd'), '--tls-cert', path.join(dir, 'cert.pem'), '--tls-key', path.join(dir, 'key.pem')];
    reg = await TestRegistry.berth(args, dir);
  });
  after(async () => {
    assert.equal(await reg.stop(), 0, reg.log);
  });

  const basic = (user: string, pw: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });

  it('asks for credentials and accepts bcrypt, {SHA}, MD5-crypt and plain entries over HTTPS', async () => {
    assert.match(reg.url, /^https:/);
    const anon = await request('GET', `${reg.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers['www-authenticate'], 'Basic realm="Berth Registry"');
    assert.equal(errorCode(anon), 'UNAUTHORIZED');
    assert.equal((await request('GET', `${reg.url}/v2/_catalog`)).status, 401);
    assert.equal((await request('GET', `${reg.url}/v2/`, { headers: basic('sha', 'wrong') })).status, 401);
    assert.equal((await request('GET', `${reg.url}/v2/`, { headers: basic('nobody', 'shapass') })).status, 401);
    for (const [user, pw] of [['sha', 'shapass'], ['apr', 'aprpass'], ['plain', 'plainpass'], ['bcrypt', 'bcryptpass']] as const) {
      assert.equal((await request('GET', `${reg.url}/v2/`, { headers: basic(user, pw) })).status, 200, user);
    }
    assert.equal((await request('GET', `${reg.url}/v2/`, { headers: basic('bcrypt', 'wrong') })).status, 401);
  });

  it('serves skopeo with credentials and refuses it without', () => {
    const ref = `docker://${reg.host}/auth/busybox:1`;
    const denied = skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${BUSYBOX_TAR}`, ref]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /unauthorized|authentication required/i);
    const ok = skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'apr:aprpass', `docker-archive:${BUSYBOX_TAR}`, ref]);
    assert.equal(ok.code, 0, ok.stderr);
    const tags = skopeo(['list-tags', '--tls-verify=false', '--creds', 'sha:shapass', ref.replace(/:1$/, '')]);
    assert.equal(tags.code, 0, tags.stderr);
    assert.deepEqual(JSON.parse(tags.stdout).Tags, ['1']);
  });
});
