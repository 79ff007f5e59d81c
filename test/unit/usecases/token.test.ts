import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getToken, tokenExpiration, type TokenInput } from '../../../src/usecases/token';
import { ExitCode } from '../../../src/errors';
import { decodeToken, MAX_TOKEN_BYTES } from '../../../src/token/encode';
import { fakeDeps, type FakeDeps, type FakeDepsOptions } from '../../helpers/fake-deps';

// docs/reference.md §1 known-answer vectors (reproduced there with botocore's SigV4 presigner).
const VECTOR_TIME = new Date('2024-01-02T03:04:05Z');
const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const VECTOR_URL_NO_SESSION =
  'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIDEXAMPLE%2F20240102%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20240102T030405Z&X-Amz-Expires=60' +
  '&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=6807fffdad3d8e5407243c91f91caeb5cab5c5491413a9926ebc1a9456a2eb80';
const VECTOR_URL_SESSION =
  'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIDEXAMPLE%2F20240102%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20240102T030405Z&X-Amz-Expires=60' +
  '&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Security-Token=SESSIONTOKEN' +
  '&X-Amz-Signature=cd63ee4dd7dc48398dec142cc49f6fa4f0b5e0b5fce51c464e613ff18df07c87';
const ENV = { AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: 'us-west-2' };

function setup(options: FakeDepsOptions = {}): FakeDeps {
  return fakeDeps({ now: VECTOR_TIME, ...options, env: { ...ENV, ...options.env } });
}

function input(overrides: Partial<TokenInput> = {}): TokenInput {
  return { clusterId: 'demo', output: 'json', ...overrides };
}

function tokenOf(output: string): string {
  return (JSON.parse(output) as { status: { token: string } }).status.token;
}

/** Nothing logged may contain the token, a secret key or a session token. */
function assertNothingSecretLogged(deps: FakeDeps, secrets: string[]): void {
  for (const line of deps.log.messages()) {
    assert.ok(!line.includes('k8s-aws-v1.'), `"${line}" contains a token`);
    for (const secret of secrets) assert.ok(!line.includes(secret), `"${line}" contains a secret`);
  }
}

describe('getToken output', () => {
  test('prints the exact ExecCredential for the known-answer vector, expiring 14 minutes after signing', async () => {
    const deps = setup();
    const output = await getToken(input(), deps);
    const token = `k8s-aws-v1.${Buffer.from(VECTOR_URL_NO_SESSION).toString('base64url')}`;
    assert.equal(
      output,
      `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},"status":{"expirationTimestamp":"2024-01-02T03:18:05Z","token":"${token}"}}\n`,
    );
    assert.deepEqual(deps.log.warnings, []);
    assert.deepEqual(deps.loads, { sts: 0, sdkSources: 0 });
  });

  test('signs the session token into the URL (second vector)', async () => {
    const deps = setup({ env: { AWS_SESSION_TOKEN: 'SESSIONTOKEN', AWS_REGION: 'us-east-1' } });
    assert.equal(decodeToken(tokenOf(await getToken(input(), deps))), VECTOR_URL_SESSION);
  });

  test('--output token prints the bare token and a newline', async () => {
    const deps = setup();
    assert.equal(
      await getToken(input({ output: 'token' }), deps),
      `k8s-aws-v1.${Buffer.from(VECTOR_URL_NO_SESSION).toString('base64url')}\n`,
    );
  });

  test('registers the token itself as a secret', async () => {
    const deps = setup();
    const token = tokenOf(await getToken(input(), deps));
    assert.ok(deps.log.protectedValues.includes(token));
    assert.ok(deps.log.protectedValues.includes(SECRET));
  });
});

describe('getToken answers in the apiVersion kubectl asks for', () => {
  const rows: { execInfo: string | undefined; apiVersion: string; warning?: string }[] = [
    {
      execInfo: '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}',
      apiVersion: 'client.authentication.k8s.io/v1',
    },
    {
      execInfo:
        '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}',
      apiVersion: 'client.authentication.k8s.io/v1beta1',
    },
    { execInfo: undefined, apiVersion: 'client.authentication.k8s.io/v1beta1' },
    {
      execInfo: 'garbage',
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      warning: 'KUBERNETES_EXEC_INFO is not JSON; answering in client.authentication.k8s.io/v1beta1',
    },
  ];
  for (const row of rows) {
    test(`KUBERNETES_EXEC_INFO ${row.execInfo === undefined ? 'unset' : row.execInfo} → ${row.apiVersion}`, async () => {
      const deps = setup();
      const output = JSON.parse(
        await getToken(input({ ...(row.execInfo !== undefined ? { execInfo: row.execInfo } : {}) }), deps),
      );
      assert.equal(output.apiVersion, row.apiVersion);
      assert.equal(output.kind, 'ExecCredential');
      assert.deepEqual(deps.log.warnings, row.warning ? [row.warning] : []);
    });
  }
});

describe('getToken expiry', () => {
  // 14 minutes after signing (peers' rule), or 60 s before the signing credentials expire when
  // that is sooner (a token outliving its credentials gets 401: aws-iam-authenticator #590).
  const rows: { name: string; credentialsExpire?: string; expected: string; warns: boolean }[] = [
    { name: 'long-term keys', expected: '2024-01-02T03:18:05Z', warns: false },
    {
      name: 'credentials valid for an hour',
      credentialsExpire: '2024-01-02T04:04:05Z',
      expected: '2024-01-02T03:18:05Z',
      warns: false,
    },
    {
      name: 'credentials expiring in 10 minutes',
      credentialsExpire: '2024-01-02T03:14:05Z',
      expected: '2024-01-02T03:13:05Z',
      warns: false,
    },
    {
      name: 'credentials expiring in 90 seconds',
      credentialsExpire: '2024-01-02T03:05:35Z',
      expected: '2024-01-02T03:04:35Z',
      warns: true,
    },
  ];
  for (const row of rows) {
    test(`${row.name} → ${row.expected}`, async () => {
      const deps = setup({
        env: row.credentialsExpire
          ? { AWS_SESSION_TOKEN: 'SESSIONTOKEN', AWS_CREDENTIAL_EXPIRATION: row.credentialsExpire }
          : {},
      });
      const output = JSON.parse(await getToken(input(), deps));
      assert.equal(output.status.expirationTimestamp, row.expected);
      assert.equal(
        deps.log.warnings.some((w) => w.includes('expire within two minutes')),
        row.warns,
      );
    });
  }

  test('credentials that have already expired are an error (exit 4), not a token STS would refuse', async () => {
    const deps = setup({
      env: { AWS_SESSION_TOKEN: 'SESSIONTOKEN', AWS_CREDENTIAL_EXPIRATION: '2024-01-02T03:04:04Z' },
    });
    await assert.rejects(getToken(input(), deps), (err: { exitCode?: number; reason?: string; message?: string }) => {
      assert.equal(err.exitCode, ExitCode.credentials);
      assert.equal(err.reason, 'credentials-expired');
      assert.match(err.message ?? '', /expired at 2024-01-02T03:04:04/);
      return true;
    });
  });

  test('tokenExpiration takes the earlier of the two', () => {
    const signed = new Date('2026-01-01T00:00:00Z');
    assert.deepEqual(tokenExpiration(signed, undefined), new Date('2026-01-01T00:14:00Z'));
    assert.deepEqual(tokenExpiration(signed, new Date('2026-01-01T00:15:00Z')), new Date('2026-01-01T00:14:00Z'));
    assert.deepEqual(tokenExpiration(signed, new Date('2026-01-01T00:14:59Z')), new Date('2026-01-01T00:13:59Z'));
  });
});

describe('getToken with a role', () => {
  test('assumes --role-arn on top of the environment keys and signs with the role credentials', async () => {
    const deps = setup();
    const output = await getToken(
      input({ roleArn: 'arn:aws:iam::111122223333:role/admin', externalId: 'ext', sessionName: 'me' }),
      deps,
    );
    const [call] = deps.stsFake.assumeRoleCalls();
    assert.deepEqual(call?.request, {
      roleArn: 'arn:aws:iam::111122223333:role/admin',
      roleSessionName: 'me',
      externalId: 'ext',
    });
    assert.deepEqual(call?.source, { accessKeyId: AKID, secretAccessKey: SECRET });
    assert.equal(call?.endpoint.host, 'sts.us-west-2.amazonaws.com');
    const url = new URL(decodeToken(tokenOf(output)));
    assert.equal(
      url.searchParams.get('X-Amz-Credential'),
      `${call?.issued.accessKeyId}/20240102/us-west-2/sts/aws4_request`,
    );
    assert.equal(url.searchParams.get('X-Amz-Security-Token'), call?.issued.sessionToken);
    assertNothingSecretLogged(deps, [SECRET, call?.issued.secretAccessKey ?? '?', call?.issued.sessionToken ?? '?']);
  });

  test('prompts for MFA when kubectl says the session is interactive', async () => {
    const deps = setup({
      config:
        '[profile mfa]\nrole_arn = arn:aws:iam::111122223333:role/mfa\nsource_profile = base\nmfa_serial = arn:aws:iam::111122223333:mfa/me\n[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret',
      promptAnswers: ['654321'],
    });
    await getToken(
      input({
        profile: 'mfa',
        execInfo: '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}',
      }),
      deps,
    );
    assert.equal(deps.stsFake.assumeRoleCalls()[0]?.request.tokenCode, '654321');
  });

  test("trusts kubectl's interactive=false over a terminal on stdin", async () => {
    const deps = setup({
      config:
        '[profile mfa]\nrole_arn = arn:aws:iam::111122223333:role/mfa\nsource_profile = base\nmfa_serial = arn:aws:iam::111122223333:mfa/me\n[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret',
      promptAnswers: ['654321'],
    });
    deps.stdinIsTerminal = () => true;
    await assert.rejects(
      getToken(
        input({
          profile: 'mfa',
          execInfo: '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}',
        }),
        deps,
      ),
      { exitCode: ExitCode.credentials, reason: 'mfa-required' },
    );
    assert.deepEqual(deps.promptFake?.questions, []);
  });
});

describe('getToken warnings and failures', () => {
  test('warns when a long session token pushes the token over 4096 bytes, without logging it', async () => {
    const sessionToken = `IQoJb3JpZ2luX2VjE${'A'.repeat(3000)}`;
    const deps = setup({ env: { AWS_SESSION_TOKEN: sessionToken } });
    const token = tokenOf(await getToken(input(), deps));
    assert.ok(Buffer.byteLength(token) > MAX_TOKEN_BYTES);
    assert.equal(deps.log.warnings.length, 1);
    assert.match(
      deps.log.warnings[0] ?? '',
      new RegExp(`^the token is ${Buffer.byteLength(token)} bytes, over the 4096 bytes that EKS accepts`),
    );
    assertNothingSecretLogged(deps, [SECRET, sessionToken, token.slice(11, 60)]);
  });

  test('does not warn at normal sizes', async () => {
    const deps = setup({ env: { AWS_SESSION_TOKEN: 'x'.repeat(1000) } });
    await getToken(input(), deps);
    assert.deepEqual(deps.log.warnings, []);
  });

  test('logs nothing secret with --verbose tracing either', async () => {
    const deps = setup({ env: { AWS_SESSION_TOKEN: 'SESSIONTOKEN-long-enough' } });
    await getToken(input({ roleArn: 'arn:aws:iam::111122223333:role/admin' }), deps);
    assert.ok(deps.log.verboseLines.length > 0);
    const issued = deps.stsFake.assumeRoleCalls()[0]?.issued;
    assertNothingSecretLogged(deps, [
      SECRET,
      'SESSIONTOKEN-long-enough',
      issued?.secretAccessKey ?? '?',
      issued?.sessionToken ?? '?',
    ]);
  });

  test('fails with exit 3 and a hint when no region is set, before any network call', async () => {
    const deps = setup({ env: { AWS_REGION: '' } });
    await assert.rejects(getToken(input(), deps), {
      exitCode: ExitCode.config,
      reason: 'no-region',
      hint: /pass --region/,
    });
    assert.deepEqual(deps.loads, { sts: 0, sdkSources: 0 });
  });

  test('fails with exit 2 without a cluster or with control characters in it', async () => {
    await assert.rejects(getToken(input({ clusterId: '' }), setup()), {
      exitCode: ExitCode.usage,
      message: 'no cluster given',
    });
    for (const clusterId of ['demo\r\nx-evil: 1', 'demo\u0000', '\u001fdemo', 'de\u007fmo', '\t']) {
      await assert.rejects(
        getToken(input({ clusterId }), setup()),
        { exitCode: ExitCode.usage, message: /control characters/ },
        JSON.stringify(clusterId),
      );
    }
  });
});
