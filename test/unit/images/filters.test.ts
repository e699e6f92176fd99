/** Image list/prune filter helpers: reference globs (Go path.Match), labels, until. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globToRegExp, labelsMatch, matchReference, untilCutoff } from '../../../src/engine/api/routes/images-filters.js';

describe('image filters', () => {
  it('matches references like Docker FamiliarMatch', () => {
    assert.ok(matchReference('busybox', 'busybox:latest'));
    assert.ok(matchReference('busybox:*', 'busybox:1.36'));
    assert.ok(matchReference('bus*', 'busybox:latest'));
    assert.ok(!matchReference('*', 'team/app:v1')); // `*` does not cross `/`
    assert.ok(matchReference('*/*', 'team/app:v1'));
    assert.ok(matchReference('localhost:5000/team/*', 'localhost:5000/team/box:v1'));
    assert.ok(matchReference('b[a-u]sybox', 'busybox:latest'));
    assert.ok(!globToRegExp('a?c').test('a/c'));
  });

  it('matches labels and parses until', () => {
    assert.ok(labelsMatch({ a: '1', b: '2' }, ['a', 'b=2']));
    assert.ok(!labelsMatch({ a: '1' }, ['a=2']));
    assert.ok(!labelsMatch(null, ['a']));
    const now = Date.now();
    assert.ok(Math.abs(untilCutoff('1h30m') - (now - 5_400_000)) < 1000);
    assert.equal(untilCutoff('1700000000'), 1_700_000_000_000);
    assert.equal(untilCutoff('2024-01-01T00:00:00Z'), Date.parse('2024-01-01T00:00:00Z'));
    assert.throws(() => untilCutoff('yesterday'));
  });
});
