/** Manifest validation: media types, descriptors, what must exist, referrer fields. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from '../../../src/registry/errors.js';
import { MEDIA, parseManifest } from '../../../src/registry/manifest-schema.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (c: string, mediaType = 'application/octet-stream', size = 1) => ({ mediaType, digest: d(c), size });
const parse = (doc: unknown, ct?: string) => parseManifest(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), ct);
const reason = (doc: unknown, ct?: string) => {
  try {
    parse(doc, ct);
  } catch (e) {
    assert.equal((e as RegistryError).code, 'MANIFEST_INVALID');
    return (e as RegistryError).message;
  }
  assert.fail('accepted');
};

describe('manifest validation', () => {
  const image = { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: desc('a', 'application/vnd.oci.image.config.v1+json'), layers: [desc('b')] };

  it('accepts the four schema-2 types and lists what they reference', () => {
    const m = parse(image, MEDIA.ociManifest);
    assert.equal(m.kind, 'image');
    assert.deepEqual(m.blobs.map((b) => b.digest), [d('a'), d('b')]);
    assert.equal(m.artifactType, 'application/vnd.oci.image.config.v1+json');
    const docker = parse({ ...image, mediaType: MEDIA.dockerManifest });
    assert.equal(docker.mediaType, MEDIA.dockerManifest);
    const index = parse({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [desc('c', MEDIA.ociManifest)], artifactType: 'x/y' });
    assert.equal(index.kind, 'index');
    assert.deepEqual(index.manifests.map((x) => x.digest), [d('c')]);
    assert.equal(index.artifactType, 'x/y');
    assert.equal(parse({ schemaVersion: 2, mediaType: MEDIA.dockerList, manifests: [] }).kind, 'index');
  });

  it('takes the media type from Content-Type or the shape when the field is absent', () => {
    const { mediaType: _omit, ...bare } = image;
    assert.equal(parse(bare, `${MEDIA.dockerManifest}; charset=utf-8`).mediaType, MEDIA.dockerManifest);
    assert.equal(parse(bare, 'application/json').mediaType, MEDIA.ociManifest);
    assert.equal(parse({ schemaVersion: 2, manifests: [] }).mediaType, MEDIA.ociIndex);
  });

  it('skips foreign layers fetched from urls, keeps subject and annotations', () => {
    const m = parse({ ...image, layers: [desc('b'), { ...desc('e'), urls: ['https://example.invalid/l'] }], subject: desc('f', MEDIA.ociManifest), annotations: { k: 'v' } });
    assert.deepEqual(m.blobs.map((b) => b.digest), [d('a'), d('b')]);
    assert.equal(m.subject?.digest, d('f'));
    assert.deepEqual(m.annotations, { k: 'v' });
  });

  it('names the first problem of an invalid manifest', () => {
    assert.match(reason('{"schemaVersion":'), /not valid JSON/);
    assert.match(reason('[]'), /JSON object/);
    assert.match(reason({ ...image, schemaVersion: 1 }), /schemaVersion must be 2/);
    assert.match(reason(image, MEDIA.dockerManifest), /does not match/);
    assert.match(reason({ ...image, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' }), /schema 1/);
    assert.match(reason({ ...image, mediaType: 'text/plain' }), /unsupported manifest media type/);
    assert.match(reason({ ...image, config: undefined }), /config must be an object/);
    assert.match(reason({ ...image, layers: {} }), /layers must be a list/);
    assert.match(reason({ ...image, layers: [{ ...desc('b'), digest: 'sha256:nothex' }] }), /layers\[0\]\.digest/);
    assert.match(reason({ ...image, layers: [{ ...desc('b'), size: -1 }] }), /layers\[0\]\.size/);
    assert.match(reason({ ...image, layers: [{ ...desc('b'), mediaType: '' }] }), /layers\[0\]\.mediaType/);
    assert.match(reason({ ...image, annotations: { k: 1 } }), /annotations/);
    assert.match(reason({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{}] }), /manifests\[0\]/);
  });
});
