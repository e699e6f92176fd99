/**
 * The Engine API contract over the raw socket: version prefixes and their errors, /_ping
 * headers, exact `application/json` error bodies, malformed and oversized request bodies.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(sock: string, method: string, path: string, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Engine API contract', () => {
  const d = new TestDaemon('api');
  before(() => d.start());
  after(() => d.stop());

  it('answers /_ping (HEAD and GET) with the version headers clients negotiate from', async () => {
    const head = await call(d.sock, 'HEAD', '/_ping');
    assert.equal(head.status, 200);
    assert.equal(head.headers['api-version'], '1.44');
    assert.equal(head.headers['ostype'], 'linux');
    assert.equal(head.headers['content-length'], '0');
    const get = await call(d.sock, 'GET', '/_ping');
    assert.equal(get.body, 'OK');
  });

  it('serves every supported version prefix and refuses others with Docker wording', async () => {
    for (const p of ['/version', '/v1.24/version', '/v1.41/version', '/v1.44/version']) assert.equal((await call(d.sock, 'GET', p)).status, 200, p);
    const old = await call(d.sock, 'GET', '/v1.23/version');
    assert.equal(old.status, 400);
    assert.match(JSON.parse(old.body).message, /client version 1.23 is too old. Minimum supported API version is 1.24/);
    const neu = await call(d.sock, 'GET', '/v1.99/version');
    assert.equal(neu.status, 400);
    assert.match(JSON.parse(neu.body).message, /client version 1.99 is too new. Maximum supported API version is 1.44/);
    const v = JSON.parse((await call(d.sock, 'GET', '/version')).body);
    assert.equal(v.ApiVersion, '1.44');
    assert.equal(v.MinAPIVersion, '1.24');
  });

  it('answers errors as {"message"} with exactly application/json', async () => {
    const nf = await call(d.sock, 'GET', '/v1.44/containers/nope/json');
    assert.equal(nf.status, 404);
    assert.equal(nf.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(nf.body), { message: 'No such container: nope' });
    const page = await call(d.sock, 'GET', '/v1.44/no/such/route');
    assert.equal(page.status, 404);
    assert.deepEqual(JSON.parse(page.body), { message: 'page not found' });
    const img = await call(d.sock, 'POST', '/v1.44/containers/create', JSON.stringify({ Image: 'nosuch:tag' }));
    assert.equal(img.status, 404);
    assert.deepEqual(JSON.parse(img.body), { message: 'No such image: nosuch:tag' });
  });

  it('rejects malformed JSON, bad fields and oversized bodies with 400, creating nothing', async () => {
    const before = (await call(d.sock, 'GET', '/containers/json?all=1')).body;
    const bad = await call(d.sock, 'POST', '/containers/create', '{"Image": "busybox", ');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).message, /invalid JSON/);
    const mem = await call(d.sock, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: 1024 } }));
    assert.equal(mem.status, 400);
    assert.match(JSON.parse(mem.body).message, /Minimum memory limit allowed is 6MB/);
    const name = await call(d.sock, 'POST', '/containers/create?name=bad%20name', JSON.stringify({ Image: 'busybox', Cmd: ['true'] }));
    assert.equal(name.status, 400);
    const huge = await call(d.sock, 'POST', '/containers/create', Buffer.alloc(20 << 20, 0x20));
    assert.equal(huge.status, 400);
    assert.match(JSON.parse(huge.body).message, /request body exceeds/);
    assert.equal((await call(d.sock, 'GET', '/containers/json?all=1')).body, before);
  });

  it('answers 304 for start of a running and stop of a stopped container', async () => {
    const created = JSON.parse((await call(d.sock, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['sleep', '100'] }))).body);
    assert.equal((await call(d.sock, 'POST', `/containers/${created.Id}/start`)).status, 204);
    assert.equal((await call(d.sock, 'POST', `/containers/${created.Id}/start`)).status, 304);
    assert.equal((await call(d.sock, 'POST', `/containers/${created.Id}/stop?t=0`)).status, 204);
    assert.equal((await call(d.sock, 'POST', `/containers/${created.Id}/stop`)).status, 304);
    assert.equal((await call(d.sock, 'DELETE', `/containers/${created.Id}`)).status, 204);
  });
});
