import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { resolveStsEndpoint } from '../../../src/aws/endpoint';
import { EksAuthError, TOKEN_CHECK_REASONS } from '../../../src/errors';
import { decodeToken, encodeToken } from '../../../src/token/encode';
import { presignGetCallerIdentity } from '../../../src/token/presign';
import { replayToSts } from '../../../src/token/verify';
import type { HttpGet } from '../../../src/ports';
import { validateToken, type ValidatedToken } from '../../../src/token/validate';

const NOW = new Date('2024-01-02T03:05:00Z');
// The documented rejection reasons (README "verify", held to TOKEN_CHECK_REASONS by errors.test.ts);
// anything else is a bug.
const PRE_STS_REASONS: ReadonlySet<string> = new Set(TOKEN_CHECK_REASONS);
const ALLOWED_KEYS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

const VALID_URL = presignGetCallerIdentity({
  credentials: {
    accessKeyId: 'ASIAR2TG44V6AS3ZZE7C',
    secretAccessKey: 'secret',
    sessionToken: 'IQoJb3JpZ2luX2VjE/token+=',
  },
  endpoint: resolveStsEndpoint({ region: 'eu-west-1' }),
  clusterId: 'demo',
  signingDate: new Date('2024-01-02T03:04:05Z'),
});

/** Runs validateToken; asserts that a failure is our own error, and that an acceptance is sound. */
function checkValidate(token: string): void {
  let v: ValidatedToken;
  try {
    v = validateToken(token, { now: NOW });
  } catch (err) {
    assert.ok(err instanceof EksAuthError, `threw ${String(err)}`);
    assert.equal(err.exitCode, 6);
    assert.ok(PRE_STS_REASONS.has(err.reason ?? ''), `undocumented reason ${err.reason}`);
    return;
  }
  // Whatever was accepted is an https URL of an STS host with path /, whitelisted keys once each.
  const url = new URL(v.url);
  assert.equal(url.protocol, 'https:');
  assert.equal(url.host, v.host);
  assert.equal(url.pathname, '/');
  assert.equal(url.hash, '');
  const keys = [...url.searchParams.keys()].map((k) => k.toLowerCase());
  assert.equal(new Set(keys).size, keys.length);
  assert.ok(keys.every((k) => ALLOWED_KEYS.has(k)));
  assert.equal(
    url.searchParams.get([...url.searchParams.keys()].find((k) => k.toLowerCase() === 'action') ?? ''),
    'GetCallerIdentity',
  );
  // The rebuilt URL is a fixed point: validating it again gives it back unchanged.
  assert.equal(validateToken(encodeToken(v.url), { now: NOW }).url, v.url);
}

const HOSTILE_CHARS = fc.constantFrom(
  ...'%&=;#?/@:\\.+ -_~AaZz09\u0000\n\u00ff\u0455\u212a'.split(''),
  '%2F',
  '%3B',
  '%41',
  '%zz',
  '%E2%84%AA',
);

type Mutation =
  | { kind: 'replace' | 'insert' | 'delete' | 'case'; at: number; text: string }
  | { kind: 'dup'; at: number; key: string; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('replace', 'insert', 'delete', 'case') as fc.Arbitrary<
      'replace' | 'insert' | 'delete' | 'case'
    >,
    at: fc.nat(),
    text: HOSTILE_CHARS,
  }),
  fc.record({
    kind: fc.constant('dup' as const),
    at: fc.nat(),
    key: fc.constantFrom(
      'Action',
      'action',
      'X-Amz-Credential',
      'x-amz-credential',
      'X-AMZ-DATE',
      'X-Amz-Security-Token',
      'x-amz-security-token',
      'x-k8s-aws-id',
      'X-Amz-Signature',
    ),
    value: fc.constantFrom('GetCallerIdentity', 'eve', '20991231T000000Z', ''),
  }),
);

function mutate(url: string, m: Mutation): string {
  const i = m.at % (url.length + 1);
  switch (m.kind) {
    case 'replace':
      return url.slice(0, i) + m.text + url.slice(i + 1);
    case 'insert':
      return url.slice(0, i) + m.text + url.slice(i);
    case 'delete':
      return url.slice(0, i) + url.slice(i + 1);
    case 'case': {
      const c = url.charAt(i);
      return url.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + url.slice(i + 1);
    }
    case 'dup': {
      const parts = url.split('&');
      parts.splice(m.at % (parts.length + 1), 0, `${m.key}=${m.value}`);
      return parts.join('&');
    }
  }
}

describe('decoder and validator on random input', () => {
  test('the valid token the mutations start from is accepted', () => {
    assert.equal(validateToken(encodeToken(VALID_URL), { now: NOW }).url, VALID_URL);
  });

  test('decodeToken throws nothing but EksAuthError on random strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ maxLength: 5000 }).map((s) => `k8s-aws-v1.${s}`),
        ),
        (s) => {
          try {
            decodeToken(s);
          } catch (err) {
            assert.ok(err instanceof EksAuthError, String(err));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('validateToken throws nothing but its own rejections on random strings and random base64url bodies', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.uint8Array({ maxLength: 3100 }).map((b) => `k8s-aws-v1.${Buffer.from(b).toString('base64url')}`),
          fc
            .string({ unit: 'binary', maxLength: 400 })
            .map((s) => encodeToken(`https://sts.us-west-2.amazonaws.com/?${s}`)),
          fc
            .string({ unit: 'binary', maxLength: 200 })
            .map((s) => encodeToken(`https://${s}/?Action=GetCallerIdentity`)),
        ),
        checkValidate,
      ),
      { numRuns: 3000 },
    );
  });

  test('validateToken stays sound on random queries built from whitelisted keys', () => {
    const key = fc.constantFrom(
      'Action',
      'action',
      'Version',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature',
      'X-Amz-Security-Token',
      'x-amz-date',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom(
        'GetCallerIdentity',
        '2011-06-15',
        'AWS4-HMAC-SHA256',
        '60',
        '20240102T030405Z',
        'host%3Bx-k8s-aws-id',
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 12 }), (params) =>
        checkValidate(
          encodeToken(`https://sts.us-west-2.amazonaws.com/?${params.map(([k, v]) => `${k}=${v}`).join('&')}`),
        ),
      ),
      { numRuns: 2000 },
    );
  });

  test('validateToken stays sound on mutations of a valid token URL', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) =>
        checkValidate(encodeToken(ms.reduce(mutate, VALID_URL))),
      ),
      { numRuns: 5000 },
    );
  });

  test('validateToken throws nothing but its own rejections on mutations of the encoded token', () => {
    const token = encodeToken(VALID_URL);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => checkValidate(ms.reduce(mutate, token))),
      { numRuns: 3000 },
    );
  });

  test('the STS replay turns any answer into an identity or an EksAuthError', async () => {
    const validated = validateToken(encodeToken(VALID_URL), { now: NOW });
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json(),
      fc
        .record({
          Arn: fc.oneof(fc.string(), fc.constant('arn:aws:sts::111122223333:assumed-role/R/s')),
          Account: fc.oneof(fc.string(), fc.constant('111122223333')),
          UserId: fc.string(),
        })
        .map((r) => JSON.stringify({ GetCallerIdentityResponse: { GetCallerIdentityResult: r } })),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 599 }), body, async (status, text) => {
        const get: HttpGet = async () => ({ status, body: text });
        try {
          const id = await replayToSts(validated, 'demo', get);
          assert.equal(status, 200);
          assert.ok(id.canonicalArn.startsWith('arn:'));
        } catch (err) {
          assert.ok(err instanceof EksAuthError, String(err));
          assert.ok(err.exitCode === 5 || err.exitCode === 6);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
