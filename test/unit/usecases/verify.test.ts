import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveStsEndpoint } from '../../../src/aws/endpoint';
import {
  extractToken,
  formatRejectionJson,
  formatVerifyJson,
  formatVerifyText,
  stsEndpointHost,
  verify,
} from '../../../src/usecases/verify';
import { EksAuthError } from '../../../src/errors';
import type { Logger } from '../../../src/ports';
import { encodeToken } from '../../../src/token/encode';
import { presignGetCallerIdentity } from '../../../src/token/presign';
import type { HttpGet } from '../../../src/ports';

// docs/reference.md §1, vector 2 (botocore): AKIDEXAMPLE, us-west-2, 20240102T030405Z, cluster demo.
const DATE = '20240102T030405Z';
const SIGNED_AT = new Date('2024-01-02T03:04:05Z');
const NOW = new Date('2024-01-02T03:05:00Z');
const SIG = '6807fffdad3d8e5407243c91f91caeb5cab5c5491413a9926ebc1a9456a2eb80';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLE/session+token=';

const toToken = (url: string): string => `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url')}`;
type Params = [string, string][];
const BASE: Params = [
  ['Action', 'GetCallerIdentity'],
  ['Version', '2011-06-15'],
  ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
  ['X-Amz-Credential', 'AKIDEXAMPLE%2F20240102%2Fus-west-2%2Fsts%2Faws4_request'],
  ['X-Amz-Date', DATE],
  ['X-Amz-Expires', '60'],
  ['X-Amz-SignedHeaders', 'host%3Bx-k8s-aws-id'],
  ['X-Amz-Signature', SIG],
];
function urlOf(params: Params, host = 'sts.us-west-2.amazonaws.com'): string {
  return `https://${host}/?${params.map(([k, v]) => `${k}=${v}`).join('&')}`;
}
const set = (key: string, value: string, params = BASE): Params => params.map(([k, v]) => [k, k === key ? value : v]);
const BASE_URL = urlOf(BASE);

/** The botocore-order token of docs/reference.md §1, vector 2, made by the project's presigner. */
function presigned(
  options: { region?: string; sessionToken?: string; signingDate?: Date; clusterId?: string } = {},
): string {
  return presignGetCallerIdentity({
    credentials: {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: SECRET,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    },
    endpoint: resolveStsEndpoint({ region: options.region ?? 'us-west-2' }),
    clusterId: options.clusterId ?? 'demo',
    signingDate: options.signingDate ?? SIGNED_AT,
  });
}

function fakeSts(
  status: number,
  body: string | (() => never),
): HttpGet & { calls: { url: string; headers: Record<string, string>; timeoutMs: number }[] } {
  const calls: { url: string; headers: Record<string, string>; timeoutMs: number }[] = [];
  const get: HttpGet = async (url, headers, limits) => {
    calls.push({ url, headers: { ...headers }, timeoutMs: limits.timeoutMs });
    if (typeof body === 'function') body();
    return { status, body: body as string };
  };
  return Object.assign(get, { calls });
}

const identityJson = (Arn: string, Account: string, UserId: string): string =>
  JSON.stringify({
    GetCallerIdentityResponse: {
      GetCallerIdentityResult: { Arn, Account, UserId },
      ResponseMetadata: { RequestId: 'r' },
    },
  });

const quietLog: Logger = { warn: () => {}, verbose: () => {}, protect: () => {} };

describe('verify use case and output', () => {
  const sts = () =>
    fakeSts(200, identityJson('arn:aws:sts::111122223333:assumed-role/Dev/alice', '111122223333', 'AROAEXAMPLE:alice'));

  test('takes the token out of an ExecCredential JSON or surrounding whitespace', () => {
    const token = encodeToken(BASE_URL);
    assert.equal(extractToken(`  ${token}\n`), token);
    assert.equal(
      extractToken(JSON.stringify({ kind: 'ExecCredential', status: { token, expirationTimestamp: 'x' } })),
      token,
    );
    assert.throws(
      () => extractToken('{"kind":"x"}'),
      (e: unknown) => e instanceof EksAuthError && e.exitCode === 2,
    );
    assert.throws(
      () => extractToken(' \n'),
      (e: unknown) => e instanceof EksAuthError && e.reason === 'no-token',
    );
  });

  test('--sts-endpoint takes only a loopback https origin', () => {
    assert.equal(stsEndpointHost('https://127.0.0.1:8443'), '127.0.0.1:8443');
    assert.equal(stsEndpointHost('https://localhost:9000/'), 'localhost:9000');
    for (const bad of [
      'http://127.0.0.1:8443',
      'https://sts.evil.com',
      'https://127.0.0.1:8443/path',
      'https://u@127.0.0.1:1',
      'https://127.0.0.2:1',
      'nonsense',
    ]) {
      assert.throws(
        () => stsEndpointHost(bad),
        (e: unknown) => e instanceof EksAuthError && e.exitCode === 2,
        bad,
      );
    }
  });

  test('registers the token, signature and session token as secrets for the stderr redactor', async () => {
    const protectedValues: (string | undefined)[] = [];
    const token = encodeToken(presigned({ sessionToken: SESSION_TOKEN }));
    await verify(
      { token, clusterId: 'demo' },
      { now: () => NOW, httpGet: sts(), log: { ...quietLog, protect: (v) => protectedValues.push(v) } },
    );
    assert.deepEqual(protectedValues.slice(0, 1), [token]);
    assert.ok(protectedValues.includes(SESSION_TOKEN));
    assert.ok(
      protectedValues.includes(
        new URL(presigned({ sessionToken: SESSION_TOKEN })).searchParams.get('X-Amz-Signature') ?? 'missing',
      ),
    );
  });

  test('rejects a cluster id with control characters before anything else', async () => {
    await assert.rejects(
      verify(
        { token: encodeToken(BASE_URL), clusterId: 'demo\r\nx: y' },
        { now: () => NOW, httpGet: sts(), log: quietLog },
      ),
      (e: unknown) => e instanceof EksAuthError && e.exitCode === 2,
    );
  });

  test('prints the identity, its age and expiry as text and as stable JSON', async () => {
    const report = await verify(
      { token: encodeToken(BASE_URL), clusterId: 'demo' },
      { now: () => NOW, httpGet: sts(), log: quietLog },
    );
    assert.equal(
      formatVerifyText(report),
      [
        'token valid for cluster demo',
        'arn:           arn:aws:sts::111122223333:assumed-role/Dev/alice',
        'canonical arn: arn:aws:iam::111122223333:role/Dev',
        'account:       111122223333',
        'user id:       AROAEXAMPLE',
        'session name:  alice',
        'access key id: AKIDEXAMPLE',
        'sts host:      sts.us-west-2.amazonaws.com',
        'signed at:     2024-01-02T03:04:05Z (55s ago)',
        'expires at:    2024-01-02T03:19:05Z (in 14m 5s)',
      ].join('\n'),
    );
    assert.deepEqual(JSON.parse(formatVerifyJson(report)), {
      valid: true,
      cluster: 'demo',
      arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
      canonicalArn: 'arn:aws:iam::111122223333:role/Dev',
      principalType: 'assumed-role',
      account: '111122223333',
      userId: 'AROAEXAMPLE',
      sessionName: 'alice',
      accessKeyId: 'AKIDEXAMPLE',
      stsHost: 'sts.us-west-2.amazonaws.com',
      region: 'us-west-2',
      signedAt: '2024-01-02T03:04:05Z',
      expiresAt: '2024-01-02T03:19:05Z',
      ageSeconds: 55,
      expiresInSeconds: 845,
    });
  });

  test('shapes a rejection as {"valid":false,"reason",...} and never calls STS for a pre-STS failure', async () => {
    const recorder = sts();
    const err = await verify(
      { token: toToken(urlOf(set('Version', 'x'))), clusterId: 'demo' },
      { now: () => NOW, httpGet: recorder, log: quietLog },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof EksAuthError);
    assert.equal(recorder.calls.length, 0);
    assert.deepEqual(JSON.parse(formatRejectionJson(err)), {
      valid: false,
      reason: 'version',
      message: 'token rejected by check "version": Version "x" is not 2011-06-15',
      exitCode: 6,
    });
  });
});
