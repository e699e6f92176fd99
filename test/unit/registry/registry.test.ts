/**
 * The registry client's pure parts — auth headers and challenges, insecure-registry rules,
 * manifest selection and refusals, Docker's error wording and progress bars — and the Bearer
 * flow against a fake registry and token server in this process.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { progressString } from '../../../src/lib/jsonprogress.js';
import { parseReference } from '../../../src/engine/images/reference.js';
import { basicCredentials, decodeAuthHeader, parseChallenges } from '../../../src/engine/registry/auth.js';
import { RegistryClient } from '../../../src/engine/registry/client.js';
import { RegistryError, translatePullError } from '../../../src/engine/registry/errors.js';
import { RegistryHosts } from '../../../src/engine/registry/hosts.js';
import { parseImageManifest, selectManifest } from '../../../src/engine/registry/manifest.js';
import { loginDomain, RegistryService } from '../../../src/engine/registry/service.js';

describe('registry auth', () => {
  it('parses WWW-Authenticate challenges, quoted commas included', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"');
    assert.deepEqual(c, { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' } });
    assert.deepEqual(parseChallenges(['Basic realm="basic-realm"']), [{ scheme: 'basic', params: { realm: 'basic-realm' } }]);
    assert.equal(parseChallenges(undefined).length, 0);
  });

  it('decodes X-Registry-Auth as the docker CLI and docker-py encode it', () => {
    const json = JSON.stringify({ username: 'alice', password: 'p+/w?', serveraddress: 'r:5000' });
    const url = Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    assert.deepEqual(decodeAuthHeader(url), { username: 'alice', password: 'p+/w?', serveraddress: 'r:5000' });
    assert.deepEqual(decodeAuthHeader(Buffer.from('{"Username":"bob","Password":"x"}').toString('base64url')), { username: 'bob', password: 'x' });
    assert.deepEqual(decodeAuthHeader('not base64 json'), {});
    assert.deepEqual(decodeAuthHeader('e30='), {});
    assert.deepEqual(basicCredentials({ auth: Buffer.from('u:p:q').toString('base64') }), { username: 'u', password: 'p:q' });
  });
});

describe('registry hosts', () => {
  it('allows plain HTTP for loopback and listed registries only', () => {
    const h = new RegistryHosts(['reg.internal:5000', '10.1.0.0/16', 'http://plain.example']);
    for (const ok of ['localhost:5000', '127.0.0.1:5000', '127.9.9.9', '[::1]:5000', 'reg.internal:5000', '10.1.2.3:443', 'plain.example']) assert.ok(h.isInsecure(ok), ok);
    for (const no of ['reg.internal:5001', '10.2.0.1:5000', 'example.com', '128.0.0.1']) assert.ok(!h.isInsecure(no), no);
    assert.deepEqual(h.endpoint('docker.io'), { domain: 'docker.io', host: 'registry-1.docker.io', insecure: false });
    assert.throws(() => new RegistryHosts(['10.0.0.0/99']), (e) => isKind(e, 'InvalidArgument'));
  });

  it('maps login server addresses to registry domains', () => {
    assert.equal(loginDomain(''), 'docker.io');
    assert.equal(loginDomain('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(loginDomain('http://127.0.0.1:5000/'), '127.0.0.1:5000');
  });
});

describe('manifests and references', () => {
  const index = Buffer.from(
    JSON.stringify({
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:arm', size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:att', size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:amd', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    }),
  );

  it('picks the platform entry of an index', () => {
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'amd64' }).digest, 'sha256:amd');
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm64' }).digest, 'sha256:arm');
    assert.throws(() => selectManifest(index, { os: 'linux', architecture: 's390x' }), /no matching manifest for linux\/s390x in the manifest list entries/);
  });

  it('refuses what it cannot unpack, by name', () => {
    const m = (layerType: string) => ({
      digest: 'sha256:m',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      bytes: Buffer.from(JSON.stringify({ config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 2 }, layers: [{ mediaType: layerType, digest: `sha256:${'1'.repeat(64)}`, size: 1 }] })),
    });
    assert.throws(() => parseImageManifest(m('application/vnd.oci.image.layer.v1.tar+zstd')), /unsupported layer compression: zstd/);
    assert.throws(() => parseImageManifest(m('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')), /foreign layers are not supported/);
    assert.equal(parseImageManifest(m('application/vnd.docker.image.rootfs.diff.tar.gzip')).layers.length, 1);
    assert.throws(() => parseImageManifest({ ...m('x'), mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' }), /schema 1 is not supported/);
    const evil = m('application/vnd.oci.image.layer.v1.tar');
    evil.bytes = Buffer.from(evil.bytes.toString().replace(`sha256:${'1'.repeat(64)}`, 'sha256:../../etc'));
    assert.throws(() => parseImageManifest(evil), /invalid descriptor/);
  });

  it('reads pull parameters as the docker CLI sends them', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(RegistryService.pullReference('busybox', d), { domain: 'docker.io', path: 'library/busybox', digest: d });
    assert.deepEqual(RegistryService.pullReference('localhost:5000/app', 'v1'), { domain: 'localhost:5000', path: 'app', tag: 'v1' });
    assert.deepEqual(RegistryService.pullReference('busybox', undefined), { domain: 'docker.io', path: 'library/busybox' });
  });

  it('words pull failures as dockerd does', () => {
    const ref = parseReference('127.0.0.1:5000/ns/app:v1');
    const err = (code: string, msg: string) => translatePullError(new RegistryError('NotFound', `${code.toLowerCase().replace(/_/g, ' ')}: ${msg}`, 404, code, msg), ref) as Error;
    assert.equal(err('MANIFEST_UNKNOWN', 'manifest unknown').message, 'manifest for 127.0.0.1:5000/ns/app:v1 not found: manifest unknown: manifest unknown');
    const denied = err('DENIED', 'requested access to the resource is denied');
    assert.ok(isKind(denied, 'NotFound'));
    assert.equal(denied.message, "pull access denied for 127.0.0.1:5000/ns/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied");
  });

  it('draws progress bars like docker', () => {
    assert.equal(progressString({ current: 1_049_000, total: 50_000_000 }), `[=>${' '.repeat(49)}]  1.049MB/50MB`);
    assert.equal(progressString({ current: 50_000_000, total: 50_000_000 }, 80), '    50MB/50MB');
    assert.equal(progressString({}), '');
  });
});

describe('Bearer token flow (fake registry and token server)', () => {
  it('fetches a token for the scope with the credentials and retries the request with it', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/token') {
        seen.push(`token ${u.searchParams.getAll('scope').join(' ')} ${req.headers.authorization ?? 'anon'}`);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token: 'tok-1', expires_in: 300 }));
        return;
      }
      if (req.headers.authorization !== 'Bearer tok-1') {
        const { port } = server.address() as net.AddressInfo;
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="fake",scope="repository:a/b:pull"` });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      seen.push(`ok ${u.pathname}`);
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    try {
      const c = await RegistryClient.connect({ domain: `127.0.0.1:${port}`, host: `127.0.0.1:${port}`, insecure: true }, { username: 'u', password: 'p' });
      const res = await c.request('GET', '/v2/a/b/tags/list', { scopes: ['repository:a/b:pull'] });
      res.resume();
      assert.equal(res.statusCode, 200);
      c.close();
      assert.deepEqual(seen, [`token repository:a/b:pull Basic ${Buffer.from('u:p').toString('base64')}`, 'ok /v2/a/b/tags/list']);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
