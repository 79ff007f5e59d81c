import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hmacSha256, sha256, toHex } from '../../src/sha256';

// Known answers: FIPS 180-2 appendix B (SHA-256) and RFC 4231 section 4 (HMAC-SHA-256).
const DIGESTS = [
  {
    input: '',
    hex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    from: 'SHA-256 of the empty string (SigV4 empty payload hash)',
  },
  { input: 'abc', hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', from: 'FIPS 180-2 B.1' },
  {
    input: 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    hex: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    from: 'FIPS 180-2 B.2 (two blocks)',
  },
];

for (const { input, hex, from } of DIGESTS) {
  test(`sha256 of ${JSON.stringify(input.slice(0, 12))} matches ${from}`, () => {
    assert.equal(toHex(sha256(input)), hex);
  });
}

test('hmacSha256 matches RFC 4231 test case 2 (short key)', () => {
  assert.equal(
    toHex(hmacSha256('Jefe', 'what do ya want for nothing?')),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
});

test('hmacSha256 matches RFC 4231 test case 6 (131-byte key, hashed first)', () => {
  const key = new Uint8Array(131).fill(0xaa);
  const data = 'Test Using Larger Than Block-Size Key - Hash Key First';
  assert.equal(toHex(hmacSha256(key, data)), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
});

test('sha256 agrees with node:crypto at every length around the padding boundaries', () => {
  // Lengths 55/56 and 119/120 decide whether the length field needs an extra block.
  for (let length = 0; length <= 200; length++) {
    const bytes = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
    assert.equal(toHex(sha256(bytes)), createHash('sha256').update(bytes).digest('hex'), `length ${length}`);
  }
});

test('sha256 agrees with node:crypto on random byte strings', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
      assert.equal(toHex(sha256(bytes)), createHash('sha256').update(bytes).digest('hex'));
    }),
    { numRuns: 2000 },
  );
});

test('sha256 hashes strings as UTF-8, as node:crypto does', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
      assert.equal(toHex(sha256(text)), createHash('sha256').update(text, 'utf8').digest('hex'));
    }),
    { numRuns: 1000 },
  );
});

test('hmacSha256 agrees with node:crypto on random keys and messages, including keys longer than a block', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 2000 }), (key, data) => {
      assert.equal(toHex(hmacSha256(key, data)), createHmac('sha256', key).update(data).digest('hex'));
    }),
    { numRuns: 2000 },
  );
});

test('a chained SigV4 signing key over random secrets agrees with node:crypto', () => {
  const nodeKey = (secret: string, date: string, region: string) => {
    const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac('sha256', kDate).update(region).digest();
    const kService = createHmac('sha256', kRegion).update('sts').digest();
    return createHmac('sha256', kService).update('aws4_request').digest('hex');
  };
  const ourKey = (secret: string, date: string, region: string) =>
    toHex(hmacSha256(hmacSha256(hmacSha256(hmacSha256(`AWS4${secret}`, date), region), 'sts'), 'aws4_request'));
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 60 }),
      fc.stringMatching(/^20\d{6}$/),
      fc.constantFrom('us-east-1', 'eu-west-2', 'cn-north-1'),
      (secret, date, region) => {
        assert.equal(ourKey(secret, date, region), nodeKey(secret, date, region));
      },
    ),
    { numRuns: 500 },
  );
});
