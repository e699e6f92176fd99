/** CLI side of registries: config.json credentials in Docker's format, and terminal progress drawing. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { authKey, eraseAuth, INDEX_SERVER, registryAuthHeader, storeAuth, storedAuth } from '../../../src/cli/credentials.js';
import { TerminalProgress } from '../../../src/cli/format/progress.js';

describe('credentials in config.json', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-creds-'));
    process.env['DOCKER_CONFIG'] = dir;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ detachKeys: 'ctrl-x', auths: { 'https://legacy.example:5000/v1/': { auth: Buffer.from('old:pw').toString('base64') } } }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keys Docker Hub as the index server and other registries by host', () => {
    assert.equal(authKey('docker.io'), INDEX_SERVER);
    assert.equal(authKey(undefined), INDEX_SERVER);
    assert.equal(authKey('https://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  });

  it('stores, finds (legacy keys too), encodes and erases credentials, keeping other settings', async () => {
    await storeAuth('127.0.0.1:5000', { username: 'alice', password: 's3:cret' });
    const file = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { detachKeys: string; auths: Record<string, { auth: string }> };
    assert.equal(file.detachKeys, 'ctrl-x');
    assert.equal(file.auths['127.0.0.1:5000']!.auth, Buffer.from('alice:s3:cret').toString('base64'));
    assert.equal(fs.statSync(path.join(dir, 'config.json')).mode & 0o777, 0o600);
    assert.deepEqual(storedAuth('127.0.0.1:5000'), { serveraddress: '127.0.0.1:5000', username: 'alice', password: 's3:cret' });
    assert.equal(storedAuth('legacy.example:5000').username, 'old');
    const header = registryAuthHeader('127.0.0.1:5000')['X-Registry-Auth']!;
    assert.ok(!/[+/]/.test(header), 'URL-safe alphabet');
    assert.equal((JSON.parse(Buffer.from(header, 'base64').toString()) as { password: string }).password, 's3:cret');
    assert.equal(Buffer.from(registryAuthHeader('docker.io')['X-Registry-Auth']!, 'base64').toString(), '{}');
    assert.equal(await eraseAuth(['127.0.0.1:5000']), true);
    assert.equal(await eraseAuth(['127.0.0.1:5000']), false);
    assert.deepEqual(storedAuth('127.0.0.1:5000'), {});
  });
});

describe('terminal progress', () => {
  it('gives each layer a line and redraws it in place', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const t = new TerminalProgress(out, 120);
    t.draw({ status: 'Pulling from lib/bb', id: 'v1' });
    t.draw({ status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' });
    t.draw({ status: 'Pulling fs layer', progressDetail: {}, id: 'bbb' });
    t.draw({ status: 'Downloading', progressDetail: { current: 500, total: 1000 }, id: 'aaa' });
    t.draw({ status: 'Digest: sha256:x' });
    const E = '\x1b[';
    assert.equal(
      text,
      'v1: Pulling from lib/bb\n' +
        `\n${E}1A${E}2K\raaa: Pulling fs layer \r${E}1B` +
        `\n${E}1A${E}2K\rbbb: Pulling fs layer \r${E}1B` +
        `${E}2A${E}2K\raaa: Downloading [${'='.repeat(25)}>${' '.repeat(25)}]     500B/1kB\r${E}2B` +
        'Digest: sha256:x\n',
    );
  });
});
