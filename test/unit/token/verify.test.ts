import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_HTTP } from '../../../src/aws/http';
import { resolveStsEndpoint } from '../../../src/aws/endpoint';
import { EksAuthError } from '../../../src/errors';
import { encodeToken } from '../../../src/token/encode';
import { presignGetCallerIdentity } from '../../../src/token/presign';
import { createHttpsGet, replayToSts, verifyToken } from '../../../src/token/verify';
import type { HttpGet } from '../../../src/ports';
import { validateToken } from '../../../src/token/validate';
import { requirePeer } from '../../peers/peers';
import { makeTlsCert } from '../../peers/tls';

// docs/reference.md §1, vector 2 (botocore): AKIDEXAMPLE, us-west-2, 20240102T030405Z, cluster demo.
const DATE = '20240102T030405Z';
const SIGNED_AT = new Date('2024-01-02T03:04:05Z');
const NOW = new Date('2024-01-02T03:05:00Z');
const SIG = '6807fffdad3d8e5407243c91f91caeb5cab5c5491413a9926ebc1a9456a2eb80';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLE/session+token=';

const at = (seconds: number): Date => new Date(SIGNED_AT.getTime() + seconds * 1000);

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

async function replayRejects(
  sts: HttpGet,
  reason: string,
  exitCode: number,
  token = presigned({ sessionToken: SESSION_TOKEN }),
): Promise<EksAuthError> {
  const validated = validateToken(encodeToken(token), { now: NOW });
  const err = await replayToSts(validated, 'demo', sts).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof EksAuthError, String(err));
  assert.equal(err.reason, reason, err.message);
  assert.equal(err.exitCode, exitCode);
  assert.ok(
    !err.message.includes(SESSION_TOKEN) && !err.message.includes(encodeURIComponent(SESSION_TOKEN)),
    err.message,
  );
  return err;
}

describe('STS replay', () => {
  test('GETs the rebuilt URL with the verifier cluster id, accept JSON and a 10 s timeout', async () => {
    const sts = fakeSts(
      200,
      identityJson('arn:aws:sts::111122223333:assumed-role/Dev/alice', '111122223333', 'AROAEXAMPLE:alice'),
    );
    const token = encodeToken(presigned());
    const id = await verifyToken(token, { clusterId: 'demo', now: NOW, httpGet: sts });
    assert.deepEqual(sts.calls, [
      { url: BASE_URL, headers: { 'x-k8s-aws-id': 'demo', accept: 'application/json' }, timeoutMs: 10_000 },
    ]);
    assert.deepEqual(id, {
      arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
      canonicalArn: 'arn:aws:iam::111122223333:role/Dev',
      kind: 'assumed-role',
      account: '111122223333',
      userId: 'AROAEXAMPLE',
      sessionName: 'alice',
      accessKeyId: 'AKIDEXAMPLE',
      stsHost: 'sts.us-west-2.amazonaws.com',
      region: 'us-west-2',
      signedAt: SIGNED_AT,
      expiresAt: at(900),
    });
  });

  test('sends its own --cluster, not anything from the token (a token for another cluster fails at STS)', async () => {
    const sts = fakeSts(200, identityJson('arn:aws:iam::111122223333:user/alice', '111122223333', 'AIDAEXAMPLE'));
    await verifyToken(encodeToken(presigned({ clusterId: 'demo' })), { clusterId: 'other', now: NOW, httpGet: sts });
    assert.equal(sts.calls[0]?.headers['x-k8s-aws-id'], 'other');
  });

  test('keeps the whole UserId for users, root and federated users (aws-iam-authenticator TestVerifyNoSession)', async () => {
    for (const [arn, userId] of [
      ['arn:aws:iam::111122223333:user/Alice', 'AIDAEXAMPLE'],
      ['arn:aws:iam::111122223333:root', '111122223333'],
      ['arn:aws:sts::111122223333:federated-user/Bob', '111122223333:Bob'],
    ]) {
      const id = await verifyToken(encodeToken(presigned()), {
        clusterId: 'demo',
        now: NOW,
        httpGet: fakeSts(200, identityJson(arn ?? '', '111122223333', userId ?? '')),
      });
      assert.equal(id.userId, userId);
      assert.equal(id.sessionName, undefined);
      assert.equal(id.canonicalArn, arn);
    }
  });

  test('rejects what STS refuses as "sts-rejected" (exit 6) with a hint, scrubbing secrets from its message', async () => {
    const body = JSON.stringify({
      Error: {
        Code: 'SignatureDoesNotMatch',
        Message: `canonical query had X-Amz-Security-Token=${SESSION_TOKEN}`,
        Type: 'Sender',
      },
    });
    const err = await replayRejects(fakeSts(403, body), 'sts-rejected', 6);
    assert.match(err.message, /HTTP 403, SignatureDoesNotMatch/);
    assert.match(err.hint ?? '', /another cluster id/);
  });

  test('scrubs the percent-encoded session token and signature that an STS echoing the query puts in its message', async () => {
    const echoed = `X-Amz-Security-Token=${encodeURIComponent(SESSION_TOKEN)}&X-Amz-Signature=x`;
    const err = await replayRejects(
      fakeSts(403, JSON.stringify({ Error: { Code: 'AccessDenied', Message: echoed } })),
      'sts-rejected',
      6,
    );
    assert.match(err.message, /X-Amz-Security-Token=\[redacted\]/);
    const short = await replayRejects(
      fakeSts(0, () => {
        throw new Error(`connect ECONNREFUSED X-Amz-Security-Token=${encodeURIComponent(SESSION_TOKEN)}`);
      }),
      'sts-unreachable',
      5,
    );
    assert.match(short.message, /\[redacted\]/);
  });

  test('reads XML error bodies too', async () => {
    const err = await replayRejects(
      fakeSts(403, '<ErrorResponse><Error><Code>ExpiredToken</Code><Message>expired</Message></Error></ErrorResponse>'),
      'sts-rejected',
      6,
    );
    assert.match(err.hint ?? '', /temporary credentials/);
  });

  test('never follows a redirect', async () => {
    await replayRejects(fakeSts(302, ''), 'sts-redirect', 6);
  });

  test('reports throttling and 5xx as exit 5', async () => {
    await replayRejects(
      fakeSts(400, JSON.stringify({ Error: { Code: 'Throttling', Message: 'Rate exceeded' } })),
      'sts-throttled',
      5,
    );
    await replayRejects(fakeSts(503, ''), 'sts-unavailable', 5);
  });

  test('reports a failed connection as "sts-unreachable" (exit 5) without the URL or its secrets', async () => {
    const err = await replayRejects(
      fakeSts(0, () => {
        throw new Error(
          `connect ECONNREFUSED while GET ${BASE_URL}&X-Amz-Security-Token=${encodeURIComponent(SESSION_TOKEN)}`,
        );
      }),
      'sts-unreachable',
      5,
    );
    assert.ok(!err.message.includes(SIG));
  });

  const badBodies: [string, string][] = [
    ['XML although JSON was asked for', '<GetCallerIdentityResponse/>'],
    ['JSON without the result', '{}'],
    [
      'a non-string Arn',
      JSON.stringify({ GetCallerIdentityResponse: { GetCallerIdentityResult: { Arn: 1, Account: '1', UserId: 'x' } } }),
    ],
    ['an invalid ARN (TestVerifyInvalidCanonicalARNError)', identityJson('arn', '1000', 'userid')],
    [
      'a malformed UserId (TestVerifyInvalidUserIDError)',
      identityJson('arn:aws:sts::111122223333:assumed-role/R/s', '111122223333', 'not:valid:userid'),
    ],
    [
      'an account that is not the ARN account',
      identityJson('arn:aws:iam::111122223333:user/A', '444455556666', 'AIDA'),
    ],
  ];
  for (const [what, body] of badBodies) {
    test(`rejects a 200 answer with ${what} as "sts-response"`, async () => {
      await replayRejects(fakeSts(200, body), 'sts-response', 6);
    });
  }
});

test('the STS call ends at its deadline even when the server keeps trickling bytes', { timeout: 10_000 }, async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-replay-'));
  const tls = makeTlsCert(dir);
  // An HTTPS server on 127.0.0.1 that sends a byte every 50 ms and never finishes: the socket never
  // idles long enough for an idle timeout, so only an overall deadline can end the call.
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(timer));
  });
  // Cleanup in an after hook: it runs even if a regression makes the call hang until the test's timeout.
  t.after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const get = createHttpsGet({ ...DEFAULT_HTTP, proxy: {}, extraCaPem: tls.certPem, rejectUnauthorized: true });
  const started = Date.now();
  await assert.rejects(
    get(`https://127.0.0.1:${port}/`, {}, { timeoutMs: 400, maxBytes: 1 << 20 }),
    new RegExp(
      `^EksAuthError: no answer from https://127\\.0\\.0\\.1:${port}: the 0\\.4 s overall call deadline passed$`,
    ),
  );
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
});
