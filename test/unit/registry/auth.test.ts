/** htpasswd parsing and verification, Basic header parsing. */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { authenticate, Htpasswd, md5crypt, parseBasic } from '../../../src/registry/auth.js';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('registry basic auth', () => {
  it('computes MD5-crypt as openssl passwd -1 / -apr1 do', () => {
    // Reference values from `openssl passwd -apr1 -salt abcdefgh aprpass` and `openssl passwd -1 -salt Xy7.z md5pass`.
    assert.equal(md5crypt(Buffer.from('aprpass'), 'abcdefgh', '$apr1$'), '$apr1$abcdefgh$aMTfKq1/.8A4bdqyN75ag.');
    assert.equal(md5crypt(Buffer.from('md5pass'), 'Xy7.z', '$1$'), '$1$Xy7.z$G59hUbMhnAPmOm2vCo7HI0');
    assert.equal(md5crypt(Buffer.from(''), 's', '$apr1$'), '$apr1$s$e2aCb9PLCjZ2t55SoAxXn.');
  });

  it('verifies bcrypt, {SHA}, MD5-crypt and plain entries; reports unknown crypt schemes', () => {
    const h = Htpasswd.parse(
      [
        '# comment',
        'sha:{SHA}z0jT3TdveclVlHs5WCpg5cPeIe8=',
        'apr:$apr1$abcdefgh$aMTfKq1/.8A4bdqyN75ag.',
        'md5:$1$Xy7.z$G59hUbMhnAPmOm2vCo7HI0',
        'plain:pl:ain',
        'bcrypt:$2b$04$CJmLFZxTZTNnotEt98J38uWYMJKraK71GgsSVxXQklws3vdxIA5oi',
        'sha512:$6$salt$hash',
        'broken line',
        '',
      ].join('\n'),
    );
    assert.equal(h.size, 5);
    assert.ok(h.verify('bcrypt', 'bcryptpass'));
    assert.ok(h.verify('sha', 'shapass'));
    assert.ok(h.verify('apr', 'aprpass'));
    assert.ok(h.verify('md5', 'md5pass'));
    assert.ok(h.verify('plain', 'pl:ain'));
    for (const [u, p] of [['sha', 'shapas'], ['apr', 'md5pass'], ['plain', 'plain'], ['bcrypt', 'x'], ['nobody', '']]) assert.ok(!h.verify(u!, p!), `${u}/${p}`);
    assert.deepEqual(h.unsupported, ['sha512: crypt scheme 6 hashes are not supported']);
  });

  it('parses Basic headers and answers 401 with a challenge', () => {
    assert.deepEqual(parseBasic(basic('u:p:q')), { user: 'u', password: 'p:q' });
    assert.deepEqual(parseBasic(`basic  ${Buffer.from('u:').toString('base64')}`), { user: 'u', password: '' });
    assert.equal(parseBasic('Bearer abc'), undefined);
    assert.equal(parseBasic(basic('nocolon')), undefined);
    assert.equal(parseBasic(undefined), undefined);
    const h = Htpasswd.parse('u:secret\n');
    const req = (authorization?: string) => ({ headers: { authorization } }) as IncomingMessage;
    assert.equal(authenticate(h, req(basic('u:secret'))), undefined);
    const denied = authenticate(h, req(basic('u:wrong')));
    assert.equal(denied?.status, 401);
    assert.equal(denied?.code, 'UNAUTHORIZED');
    assert.equal(denied?.headers['WWW-Authenticate'], 'Basic realm="Berth Registry"');
    assert.equal(authenticate(h, req())?.status, 401);
  });
});
