/** Image reference parsing and normalization, checked against Docker's behaviour. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { familiarOf, familiarString, normalize, parseReference } from '../../../src/engine/images/reference.js';

describe('parseReference', () => {
  it('normalizes like docker', () => {
    const cases: Array<[string, string, string]> = [
      ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
      ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
      ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
      ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
      ['user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
      ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
      ['localhost:5000/ns/app:v2', 'localhost:5000/ns/app:v2', 'localhost:5000/ns/app:v2'],
      ['Registry.Example/app', 'Registry.Example/app:latest', 'Registry.Example/app:latest'],
      [`app@sha256:${'a'.repeat(64)}`, `docker.io/library/app@sha256:${'a'.repeat(64)}`, `app@sha256:${'a'.repeat(64)}`],
    ];
    for (const [input, full, familiar] of cases) {
      assert.equal(normalize(input), full, input);
      assert.equal(familiarOf(full), familiar, input);
    }
    assert.equal(familiarString(parseReference('busybox')), 'busybox');
  });

  it('rejects bad references with Docker wording', () => {
    const bad: Array<[string, string]> = [
      ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
      ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
      ['busy box', 'invalid reference format'],
      ['app:', 'invalid reference format'],
      ['app:-tag', 'invalid reference format'],
      ['', 'invalid reference format: repository name must have at least one component'],
      ['app@sha256:abc', 'invalid reference format'],
      [`${'a/'.repeat(130)}b`, 'invalid reference format: repository name must not be more than 255 characters'],
    ];
    for (const [input, msg] of bad) assert.throws(() => parseReference(input), (e) => isKind(e, 'InvalidArgument') && e.message === msg, input);
  });
});
