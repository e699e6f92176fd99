/** The URL grammar: repository names, tags, digests, references. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from '../../../src/registry/errors.js';
import { checkDigest, checkName, isDigestLike, isValidName, parseReference } from '../../../src/registry/names.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as RegistryError).code;
  }
  return undefined;
};

describe('registry names', () => {
  it('accepts the spec grammar for repository names', () => {
    for (const ok of ['a', 'library/busybox', 'a.b/c_d/e__f/g-h/i--j', 'x0/1y', `${'a'.repeat(255)}`]) assert.ok(isValidName(ok), ok);
    for (const bad of ['', 'A', 'a/', '/a', 'a//b', '.a', 'a.', 'a..b', 'a___b', '_a', 'a/_layers', 'a/../b', 'a b', `${'a'.repeat(256)}`]) assert.ok(!isValidName(bad), bad);
    assert.equal(code(() => checkName('Bad')), 'NAME_INVALID');
  });

  it('tells tags from digests and rejects what is neither', () => {
    assert.deepEqual(parseReference('latest'), { tag: 'latest' });
    assert.deepEqual(parseReference('_v1.0-rc'), { tag: '_v1.0-rc' });
    const d = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseReference(d), { digest: d });
    assert.equal(code(() => parseReference('-dash')), 'TAG_INVALID');
    assert.equal(code(() => parseReference('x'.repeat(129))), 'TAG_INVALID');
  });

  it('checks digests: sha256 stored, other registered algorithms well-formed, others by grammar', () => {
    assert.ok(isDigestLike(`sha512:${'b'.repeat(128)}`));
    assert.ok(isDigestLike('multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8'));
    assert.ok(!isDigestLike('sha256:xyz'));
    assert.ok(!isDigestLike(`sha256:${'A'.repeat(64)}`));
    assert.equal(checkDigest(`sha256:${'c'.repeat(64)}`), `sha256:${'c'.repeat(64)}`);
    for (const bad of [null, undefined, '', 'sha256:zz', `sha512:${'b'.repeat(128)}`]) assert.equal(code(() => checkDigest(bad)), 'DIGEST_INVALID', String(bad));
  });
});
