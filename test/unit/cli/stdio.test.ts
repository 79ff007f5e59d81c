import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stderrLogger } from '../../../src/cli/deps';
import { redact, registerSecret } from '../../../src/cli/stdio';
import { encodeToken } from '../../../src/token/encode';
import { presignGetCallerIdentity } from '../../../src/token/presign';

// Secret keys and session tokens are base64 text: letters, digits, `/`, `+`, `=`.
const secretText = fc.stringMatching(/^[A-Za-z0-9/+=]{8,64}$/);
const noise = fc.stringMatching(/^[ -~]{0,40}$/);

const PRESIGNED = presignGetCallerIdentity({
  credentials: {
    accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
    secretAccessKey: 'unused-secret-key',
    sessionToken: 'FwoGZXIvYXdzEJr//////////wEaD+abc/def=',
  },
  endpoint: {
    url: 'https://sts.eu-west-1.amazonaws.com',
    host: 'sts.eu-west-1.amazonaws.com',
    signingRegion: 'eu-west-1',
    region: 'eu-west-1',
    partition: 'aws',
  },
  clusterId: 'demo',
  signingDate: new Date('2026-01-01T00:00:00Z'),
});

describe('redact removes tokens', () => {
  test('a token quoted in a message', () => {
    const token = encodeToken(PRESIGNED);
    assert.equal(
      redact(`error: the server refused ${token} (401)`),
      'error: the server refused k8s-aws-v1.[redacted] (401)',
    );
  });

  test('a token inside ExecCredential JSON', () => {
    const json = JSON.stringify({ status: { token: encodeToken(PRESIGNED) } });
    assert.equal(redact(json), '{"status":{"token":"k8s-aws-v1.[redacted]"}}');
  });

  test('any token, anywhere in a line', () => {
    fc.assert(
      fc.property(noise, fc.stringMatching(/^[A-Za-z0-9_-]{1,400}$/), noise, (before, body, after) => {
        const out = redact(`${before}k8s-aws-v1.${body}${after}`);
        assert.ok(!out.includes(`k8s-aws-v1.${body}`));
        assert.ok(out.includes('k8s-aws-v1.[redacted]'));
      }),
    );
  });
});

describe('redact removes presigned query values', () => {
  test('session token, signature and credential of a presigned URL', () => {
    const out = redact(`debug: GET ${PRESIGNED}`);
    const url = new URL(PRESIGNED);
    for (const key of ['X-Amz-Security-Token', 'X-Amz-Signature', 'X-Amz-Credential']) {
      const value = url.searchParams.get(key) ?? '';
      assert.ok(value.length > 0);
      assert.ok(!out.includes(encodeURIComponent(value)) && !out.includes(value), `${key} survived`);
      assert.ok(out.includes(`${key}=[redacted]`));
    }
    // What is not secret stays readable for debugging.
    assert.ok(out.includes('https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15'));
  });

  test('in any letter case, up to a quote or space', () => {
    assert.equal(
      redact('x-amz-security-token=abc%2Fdef "x" X-AMZ-SIGNATURE=0123abcd end'),
      'x-amz-security-token=[redacted] "x" X-AMZ-SIGNATURE=[redacted] end',
    );
  });
});

describe('redact removes registered secrets', () => {
  test('a registered secret key, plain and percent-encoded', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    registerSecret(secret);
    assert.equal(redact(`could not use ${secret}`), 'could not use [redacted]');
    assert.equal(redact(`url ?k=${encodeURIComponent(secret)}&x=1`), 'url ?k=[redacted]&x=1');
  });

  test('a secret containing another registered one, whatever the order of registration', () => {
    registerSecret('short-secret');
    registerSecret('short-secret-and-more');
    assert.equal(redact('a short-secret-and-more b short-secret c'), 'a [redacted] b [redacted] c');
  });

  test('every registered secret, wherever it appears', () => {
    fc.assert(
      fc.property(
        fc.array(secretText, { minLength: 1, maxLength: 4 }),
        fc.array(noise, { minLength: 1, maxLength: 6 }),
        (secrets, pieces) => {
          for (const s of secrets) registerSecret(s);
          const text =
            pieces.map((p, i) => `${p}${secrets[i % secrets.length]}`).join('') + encodeURIComponent(secrets[0] ?? '');
          const out = redact(text);
          for (const s of secrets) {
            assert.ok(!out.includes(s), `${s} survived in ${out}`);
            assert.ok(!out.includes(encodeURIComponent(s)));
          }
        },
      ),
    );
  });

  test('ignores values shorter than 8 characters (they would redact ordinary words)', () => {
    registerSecret('abc');
    registerSecret(undefined);
    assert.equal(redact('abc is fine'), 'abc is fine');
  });

  test("the stderr logger's protect() registers the value", () => {
    const log = stderrLogger(false);
    log.protect('session-token-from-the-logger-port');
    assert.equal(redact('token session-token-from-the-logger-port'), 'token [redacted]');
  });
});
