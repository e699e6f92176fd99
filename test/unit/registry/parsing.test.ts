/** Ranges, pagination, addresses and error bodies: the small parsers of the registry server. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange } from '../../../src/registry/blobs.js';
import { regErr, toRegistryError } from '../../../src/registry/errors.js';
import { invalidArgument, notFound } from '../../../src/lib/errors.js';
import { parseAddr } from '../../../src/registry/server.js';
import { pageSize, paginate } from '../../../src/registry/tags.js';

describe('registry parsing', () => {
  it('parses single byte ranges like Go\'s ServeContent', () => {
    assert.equal(parseRange(undefined, 10), undefined);
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=2-', 10), { start: 2, end: 9 });
    assert.deepEqual(parseRange('bytes=-4', 10), { start: 6, end: 9 });
    assert.deepEqual(parseRange('bytes=-40', 10), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=5-500', 10), { start: 5, end: 9 });
    assert.equal(parseRange('bytes=0-1,4-5', 10), undefined, 'several ranges: the whole blob');
    for (const bad of ['bytes=10-', 'bytes=5-4', 'bytes=-0', 'bytes=-', 'items=0-1', 'bytes=a-b']) assert.equal(parseRange(bad, 10), 'unsatisfiable', bad);
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  });

  it('paginates after `last`, at most `n`, saying whether more follow', () => {
    const all = ['a', 'b', 'c', 'd'];
    assert.deepEqual(paginate(all, undefined, null), { items: all, more: false });
    assert.deepEqual(paginate(all, 2, null), { items: ['a', 'b'], more: true });
    assert.deepEqual(paginate(all, 2, 'b'), { items: ['c', 'd'], more: false });
    assert.deepEqual(paginate(all, 5, 'bb'), { items: ['c', 'd'], more: false });
    assert.deepEqual(paginate(all, 0, null), { items: [], more: false });
    const u = (q: string) => new URL(`http://x/v2/_catalog?${q}`);
    assert.equal(pageSize(u('')), undefined);
    assert.equal(pageSize(u('n=abc')), undefined);
    assert.equal(pageSize(u('n=7')), 7);
    assert.throws(() => pageSize(u('n=1001')), (e) => toRegistryError(e).code === 'PAGINATION_NUMBER_INVALID');
    assert.throws(() => pageSize(u('n=-1')), (e) => toRegistryError(e).code === 'PAGINATION_NUMBER_INVALID');
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseAddr('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
    assert.deepEqual(parseAddr('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseAddr(':5000'), { host: undefined, port: 5000 });
    for (const bad of ['5000', 'host', 'h:99999', 'h:p']) assert.throws(() => parseAddr(bad), /invalid address/, bad);
  });

  it('builds spec error bodies and maps other errors', () => {
    assert.deepEqual(regErr('BLOB_UNKNOWN', undefined, 'sha256:x').body(), { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: 'sha256:x' }] });
    assert.equal(regErr('RANGE_INVALID').status, 416);
    assert.equal(regErr('SIZE_INVALID', 'big', undefined, 413).status, 413);
    assert.deepEqual(regErr('UNAUTHORIZED').with({ 'WWW-Authenticate': 'Basic' }).headers, { 'WWW-Authenticate': 'Basic' });
    assert.equal(toRegistryError(invalidArgument('digest mismatch')).code, 'DIGEST_INVALID');
    assert.equal(toRegistryError(notFound('gone')).code, 'BLOB_UNKNOWN');
    const foreign = toRegistryError(new Error('EIO'));
    assert.equal(foreign.code, 'UNKNOWN');
    assert.equal(foreign.status, 500);
    assert.equal(foreign.message, 'unknown error', 'internal details are not sent to clients');
  });
});
