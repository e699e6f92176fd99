/**
 * Conformance by comparison: the same raw requests are sent to `berth registry serve` and to
 * Debian's `docker-registry` (CNCF distribution 2.8), and the status codes, error codes and
 * key headers must agree. Only features both implement are compared; where Berth follows the
 * OCI spec and distribution 2.8 predates it (bad names → 400 not 404, tag deletion, tag
 * pagination, referrers, monolithic POST, schema-1 rewriting, and out-of-order chunks, which
 * distribution 2.8 appends at the current offset where the spec requires 416) the other test
 * files cover Berth.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_TAR } from './harness.js';
import {
  DOCKER_LIST,
  DOCKER_MANIFEST,
  errorCode,
  location,
  OCI_MANIFEST,
  pushBlob,
  putManifest,
  request,
  sha256,
  skopeo,
  TestRegistry,
  type Response,
} from './registry-harness.js';

/** One observed response, reduced to what must agree. */
interface Obs {
  step: string;
  status: number;
  code?: string;
  [header: string]: string | number | undefined;
}

/** Header values normalised: upload ids and absolute URLs (distribution's `_state`) vary by server. */
function norm(base: string, key: string, v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (key === 'location') return new URL(s, base).pathname.replace(/\/blobs\/uploads\/[^/]+$/, '/blobs/uploads/<uuid>');
  if (key === 'docker-upload-uuid') return '<uuid>';
  if (key === 'content-type') return s.split(';')[0];
  return s;
}

/** Runs the request script against `base`, recording each step. */
async function script(base: string): Promise<Obs[]> {
  const out: Obs[] = [];
  const step = async (name: string, method: string, url: string, keys: string[], opts: Parameters<typeof request>[2] = {}): Promise<Response> => {
    const r = await request(method, url.startsWith('http') ? url : `${base}${url}`, opts);
    const o: Obs = { step: name, status: r.status };
    if (r.status >= 400 && r.status !== 416) o.code = errorCode(r);
    for (const k of keys) o[k] = norm(base, k, r.headers[k]);
    out.push(o);
    return r;
  };
  const octet = (body: string, range?: string) => ({ headers: { 'Content-Type': 'application/octet-stream', ...(range ? { 'Content-Range': range } : {}) }, body });

  await step('api check', 'GET', '/v2/', ['docker-distribution-api-version']);

  // Chunked upload.
  let r = await step('start upload', 'POST', '/v2/conf/a/blobs/uploads/', ['location', 'range', 'docker-upload-uuid']);
  r = await step('first chunk', 'PATCH', location(base, r).href, ['location', 'range', 'docker-upload-uuid'], octet('hello', '0-4'));
  let loc = location(base, r);
  r = await step('second chunk', 'PATCH', loc.href, ['range'], octet(' worl', '5-9'));
  loc = location(base, r);
  await step('upload status', 'GET', loc.href, ['location', 'range', 'docker-upload-uuid']);
  const whole = 'hello world!';
  loc.searchParams.set('digest', sha256(whole));
  await step('finish upload', 'PUT', loc.href, ['location', 'docker-content-digest'], octet('d!'));
  const blob = `/v2/conf/a/blobs/${sha256(whole)}`;
  await step('head blob', 'HEAD', blob, ['content-length', 'docker-content-digest', 'content-type', 'accept-ranges', 'etag']);
  await step('get range', 'GET', blob, ['content-range', 'content-length', 'docker-content-digest'], { headers: { Range: 'bytes=1-3' } });
  await step('range past the end', 'GET', blob, ['content-range'], { headers: { Range: 'bytes=100-' } });

  // Verification and cancellation.
  r = await step('start upload 2', 'POST', '/v2/conf/a/blobs/uploads/', ['range']);
  const bad = location(base, r);
  bad.searchParams.set('digest', sha256('not this'));
  await step('digest mismatch', 'PUT', bad.href, [], octet('these bytes'));
  await step('mismatched blob absent', 'HEAD', `/v2/conf/a/blobs/${sha256('these bytes')}`, []);
  await step('claimed blob absent', 'HEAD', `/v2/conf/a/blobs/${sha256('not this')}`, []);
  r = await step('start upload 3', 'POST', '/v2/conf/a/blobs/uploads/', []);
  const cancel = location(base, r);
  await step('cancel upload', 'DELETE', cancel.href, []);
  await step('cancel again', 'DELETE', cancel.href, []);

  // Cross-repository mount.
  await step('mount present', 'POST', `/v2/conf/b/blobs/uploads/?mount=${sha256(whole)}&from=conf/a`, ['location', 'docker-content-digest']);
  await step('mount absent', 'POST', `/v2/conf/b/blobs/uploads/?mount=${sha256('nope')}&from=conf/a`, ['docker-upload-uuid']);

  // Manifests.
  const configBytes = '{"architecture":"amd64","os":"linux"}';
  const config = await pushBlob(base, 'conf/a', configBytes);
  const layer = sha256(whole);
  const oci = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBytes.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: whole.length }],
  });
  const docker = JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: configBytes.length },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: layer, size: whole.length }],
  });
  const list = JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_LIST,
    manifests: [{ mediaType: DOCKER_MANIFEST, digest: sha256(docker), size: docker.length, platform: { architecture: 'amd64', os: 'linux' } }],
  });
  const put = (name: string, ref: string, body: string, type: string) =>
    step(name, 'PUT', `/v2/conf/a/manifests/${ref}`, ['location', 'docker-content-digest'], { headers: { 'Content-Type': type }, body });
  await put('put oci manifest', 'oci', oci, OCI_MANIFEST);
  await put('put docker manifest', 'docker', docker, DOCKER_MANIFEST);
  await put('put manifest list', 'list', list, DOCKER_LIST);
  const mkeys = ['content-type', 'content-length', 'docker-content-digest', 'etag'];
  await step('get oci by tag', 'GET', '/v2/conf/a/manifests/oci', mkeys, { headers: { Accept: OCI_MANIFEST } });
  await step('head oci by digest', 'HEAD', `/v2/conf/a/manifests/${sha256(oci)}`, mkeys, { headers: { Accept: OCI_MANIFEST } });
  await step('oci without accept', 'GET', '/v2/conf/a/manifests/oci', []);
  await step('oci accepting docker only', 'GET', '/v2/conf/a/manifests/oci', [], { headers: { Accept: DOCKER_MANIFEST } });
  await step('get docker manifest', 'GET', '/v2/conf/a/manifests/docker', mkeys, { headers: { Accept: DOCKER_MANIFEST } });
  await step('get list', 'GET', '/v2/conf/a/manifests/list', mkeys, { headers: { Accept: `${DOCKER_LIST}, ${DOCKER_MANIFEST}` } });
  await step('list to a client without lists', 'GET', '/v2/conf/a/manifests/list', mkeys, { headers: { Accept: DOCKER_MANIFEST } });
  await put('manifest with missing blob', 'x', oci.replace(config, sha256('missing')), OCI_MANIFEST);
  await put('malformed manifest', 'x', '{"schemaVersion":2,', OCI_MANIFEST);
  await put('content type disagrees', 'x', oci, DOCKER_MANIFEST);
  await put('digest reference mismatch', sha256('other'), oci, OCI_MANIFEST);
  await put('list with missing manifest', 'x', list.replace(sha256(docker), sha256('gone')), DOCKER_LIST);

  // Listings and unknowns.
  const tags = await step('tags list', 'GET', '/v2/conf/a/tags/list', ['content-type']);
  // distribution 2.8 lists tags in storage order; the spec (and Berth) sort them.
  const tagList = tags.json() as { name: string; tags: string[] };
  out.push({ step: 'tags list body', status: 0, body: JSON.stringify({ ...tagList, tags: tagList.tags.sort() }) });
  await step('tags of unknown repo', 'GET', '/v2/conf/none/tags/list', []);
  const cat = await step('catalog page', 'GET', '/v2/_catalog?n=1', ['link']);
  out.push({ step: 'catalog page body', status: 0, body: JSON.stringify(cat.json()) });
  await step('catalog last page', 'GET', '/v2/_catalog?n=1&last=conf/a', ['link']);
  await step('catalog n too large', 'GET', '/v2/_catalog?n=100000', []);
  await step('unknown manifest', 'GET', '/v2/conf/a/manifests/nope', []);
  await step('unknown blob', 'GET', `/v2/conf/a/blobs/${sha256('nope')}`, []);
  await step('malformed digest', 'GET', '/v2/conf/a/blobs/sha256:zz', []);

  // Deletion.
  await step('delete manifest', 'DELETE', `/v2/conf/a/manifests/${sha256(oci)}`, []);
  await step('delete manifest again', 'DELETE', `/v2/conf/a/manifests/${sha256(oci)}`, []);
  await step('deleted manifest by tag', 'GET', '/v2/conf/a/manifests/oci', [], { headers: { Accept: OCI_MANIFEST } });
  await step('delete blob', 'DELETE', `/v2/conf/b/blobs/${sha256(whole)}`, []);
  await step('delete blob again', 'DELETE', `/v2/conf/b/blobs/${sha256(whole)}`, []);
  await step('deleted blob', 'HEAD', `/v2/conf/b/blobs/${sha256(whole)}`, []);
  return out;
}

/** Lines naming every step whose observations differ. */
function differences(ours: Obs[], theirs: Obs[]): string[] {
  const diffs: string[] = [];
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = ours[i];
    const b = theirs[i];
    if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`berth: ${JSON.stringify(a)}\n  distribution: ${JSON.stringify(b)}`);
  }
  return diffs;
}

describe('registry conformance with CNCF distribution 2.8', () => {
  let berth: TestRegistry;
  let dist: TestRegistry;
  before(async () => {
    [berth, dist] = await Promise.all([TestRegistry.berth(), TestRegistry.distribution()]);
  });
  after(async () => {
    await Promise.all([berth?.stop(), dist?.stop()]);
  });

  it('answers the same requests with the same statuses and headers', async () => {
    const ours = await script(berth.url);
    const theirs = await script(dist.url);
    assert.ok(ours.length > 40, `only ${ours.length} steps`);
    assert.deepEqual(differences(ours, theirs), []);
  });

  it('stores the image skopeo pushes under the same digests', () => {
    const digests = [berth, dist].map((reg) => {
      const ref = `docker://${reg.host}/lib/busybox:1`;
      const push = skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${BUSYBOX_TAR}`, ref]);
      assert.equal(push.code, 0, push.stderr);
      const raw = skopeo(['inspect', '--raw', '--tls-verify=false', ref]).stdout;
      const config = skopeo(['inspect', '--raw', '--config', '--tls-verify=false', ref]).stdout;
      return { manifest: sha256(raw), config: sha256(config) };
    });
    assert.deepEqual(digests[0], digests[1]);
  });
});

describe('registry basic auth compared with distribution', () => {
  let berth: TestRegistry;
  let dist: TestRegistry;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync('/tmp/berth-registry-auth-conf-');
    // The same user and password, as {SHA} for Berth and as bcrypt (all distribution reads) for distribution.
    fs.writeFileSync(path.join(dir, 'berth.htpasswd'), 'sha:{SHA}z0jT3TdveclVlHs5WCpg5cPeIe8=\n');
    fs.writeFileSync(path.join(dir, 'dist.htpasswd'), 'sha:$2b$04$UVEpYq6bGL3NUgt3NJwaXeToEYgcDEXSN5ne3oT5Vjk2ncam6HKJS\n');
    [berth, dist] = await Promise.all([
      TestRegistry.berth(['--htpasswd', path.join(dir, 'berth.htpasswd')]),
      TestRegistry.distribution({ htpasswd: path.join(dir, 'dist.htpasswd'), realm: 'Berth Registry' }),
    ]);
  });
  after(async () => {
    await Promise.all([berth?.stop(), dist?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('challenges and accepts alike', async () => {
    const observe = async (base: string) => {
      const out: unknown[] = [];
      for (const auth of [undefined, 'sha:wrong', 'sha:shapass']) {
        for (const p of ['/v2/', '/v2/_catalog', '/v2/some/repo/tags/list']) {
          const headers = auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : undefined;
          const r = await request('GET', `${base}${p}`, { headers });
          out.push([auth, p, r.status, errorCode(r), r.headers['www-authenticate']]);
        }
      }
      return out;
    };
    assert.deepEqual(await observe(berth.url), await observe(dist.url));
  });
});
