import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsConfigFiles } from '../../../src/aws/config';
import { envCredentials, executePlan } from '../../../src/aws/credentials';
import { CredentialProcessError } from '../../../src/aws/credential-process';
import { planCredentials, type CredentialPlan } from '../../../src/aws/profile-chain';
import { EksAuthError, ExitCode } from '../../../src/errors';
import type { AwsCredentials, StsEndpoint } from '../../../src/ports';
import { fakeDeps, type FakeDeps, type FakeDepsOptions } from '../../helpers/fake-deps';

const ENDPOINT: StsEndpoint = {
  url: 'https://sts.eu-west-1.amazonaws.com',
  host: 'sts.eu-west-1.amazonaws.com',
  signingRegion: 'eu-west-1',
  region: 'eu-west-1',
  partition: 'aws',
};
const ARN = (name: string) => `arn:aws:iam::111122223333:role/${name}`;
const BASE_KEYS = 'aws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret-key';
/** The default session name where no user name is known (fakeDeps sets no USER and no userName port). */
const DEFAULT_SESSION = 'eks-auth';

interface Setup extends FakeDepsOptions {
  profile?: string;
  interactive?: boolean;
}

function setup(options: Setup): { deps: FakeDeps; plan: CredentialPlan; run: () => Promise<AwsCredentials> } {
  const deps = fakeDeps(options);
  const files = loadAwsConfigFiles(deps);
  const plan = planCredentials({ env: deps.env, files, ...(options.profile ? { profileFlag: options.profile } : {}) });
  const run = () => executePlan(plan, { files, endpoint: ENDPOINT, interactive: options.interactive ?? false }, deps);
  return { deps, plan, run };
}

/** No logged line may contain a value the executor marked as secret. */
function assertNoSecretLogged(deps: FakeDeps): void {
  assert.ok(deps.log.protectedValues.length > 0, 'something should have been protected');
  for (const line of deps.log.messages()) {
    for (const secret of deps.log.protectedValues)
      assert.ok(!line.includes(secret), `"${line}" leaks a protected value`);
  }
}

describe('executePlan: keys that need no SDK', () => {
  test('environment keys never load the STS client or the SDK sources', async () => {
    const { deps, run } = setup({
      env: {
        AWS_ACCESS_KEY_ID: 'AKIDENV',
        AWS_SECRET_ACCESS_KEY: 'env-secret-key',
        AWS_SESSION_TOKEN: 'env-session-token',
      },
    });
    assert.deepEqual(await run(), {
      accessKeyId: 'AKIDENV',
      secretAccessKey: 'env-secret-key',
      sessionToken: 'env-session-token',
    });
    assert.deepEqual(deps.loads, { sts: 0, sdkSources: 0 });
    assert.deepEqual(deps.log.protectedValues, ['env-secret-key', 'env-session-token']);
    assertNoSecretLogged(deps);
  });

  test('static keys of a profile, with aws_session_token, never load the SDK either', async () => {
    const { deps, run } = setup({
      profile: 'dev',
      credentials: `[dev]\n${BASE_KEYS}\naws_session_token = dev-session-token`,
    });
    assert.deepEqual(await run(), {
      accessKeyId: 'AKIDBASE',
      secretAccessKey: 'base-secret-key',
      sessionToken: 'dev-session-token',
    });
    assert.deepEqual(deps.loads, { sts: 0, sdkSources: 0 });
    assert.deepEqual(deps.log.protectedValues, ['base-secret-key', 'dev-session-token']);
  });

  test('envCredentials reads AWS_SECURITY_TOKEN and AWS_CREDENTIAL_EXPIRATION as botocore does', () => {
    // botocore EnvProvider: AWS_SESSION_TOKEN, else AWS_SECURITY_TOKEN; AWS_CREDENTIAL_EXPIRATION.
    assert.deepEqual(
      envCredentials({
        env: {
          AWS_ACCESS_KEY_ID: 'A',
          AWS_SECRET_ACCESS_KEY: 'S',
          AWS_SECURITY_TOKEN: 'old-style',
          AWS_CREDENTIAL_EXPIRATION: '2026-01-01T01:00:00Z',
        },
      }),
      {
        accessKeyId: 'A',
        secretAccessKey: 'S',
        sessionToken: 'old-style',
        expiration: new Date('2026-01-01T01:00:00Z'),
      },
    );
    assert.equal(
      envCredentials({
        env: {
          AWS_ACCESS_KEY_ID: 'A',
          AWS_SECRET_ACCESS_KEY: 'S',
          AWS_SESSION_TOKEN: 'new',
          AWS_SECURITY_TOKEN: 'old',
        },
      }).sessionToken,
      'new',
    );
  });

  test('envCredentials refuses an AWS_CREDENTIAL_EXPIRATION that is not a date with exit 3', () => {
    assert.throws(
      () =>
        envCredentials({
          env: { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S', AWS_CREDENTIAL_EXPIRATION: 'tomorrow' },
        }),
      {
        exitCode: ExitCode.config,
        reason: 'bad-setting',
        message: 'AWS_CREDENTIAL_EXPIRATION is not a date: tomorrow',
      },
    );
  });
});

describe('executePlan: SDK sources', () => {
  const rows = [
    { source: 'process', config: '[profile p]\ncredential_process = /bin/creds', profile: 'p', env: {} },
    { source: 'sso', config: '[profile p]\nsso_session = corp', profile: 'p', env: {} },
    {
      source: 'login',
      config: '[profile p]\nlogin_session = arn:aws:iam::111122223333:user/me\nregion = us-east-1',
      profile: 'p',
      env: {},
    },
    {
      source: 'container',
      config: undefined,
      profile: undefined,
      env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/x' },
    },
    {
      source: 'imds',
      config: '[profile p]\nrole_arn = x\ncredential_source = Ec2InstanceMetadata',
      profile: 'p',
      env: {},
    },
  ] as const;
  for (const row of rows) {
    test(`delegates ${row.source} to the SDK port, without loading STS for it`, async () => {
      const { deps, run, plan } = setup({
        env: row.env,
        ...(row.config ? { config: row.config } : {}),
        ...(row.profile ? { profile: row.profile } : {}),
      });
      const credentials = await run();
      const [call] = deps.sdkFake.calls;
      assert.equal(deps.sdkFake.calls.length, 1);
      assert.equal(call?.source, row.source);
      if (row.source === 'process') assert.deepEqual([call?.profile, call?.command], ['p', '/bin/creds']);
      if (row.source === 'sso' || row.source === 'login') {
        assert.equal(call?.profile, 'p');
        assert.equal(call?.files?.configFile, '/home/tester/.aws/config');
        assert.equal(call?.files?.credentialsFile, '/home/tester/.aws/credentials');
      }
      if (plan.hops.length === 0) {
        assert.deepEqual(credentials, call?.issued);
        assert.equal(deps.loads.sts, 0);
      } else {
        assert.deepEqual(deps.stsFake.assumeRoleCalls()[0]?.source, call?.issued);
      }
      assert.ok(deps.log.protectedValues.includes(call?.issued.secretAccessKey ?? '?'));
    });
  }

  test('wraps a credential_process failure with exit 4, its status and last stderr lines, but not the command line', async () => {
    const { deps, run } = setup({
      profile: 'p',
      config: '[profile p]\ncredential_process = /bin/creds --password hunter2hunter2',
    });
    const failure = new CredentialProcessError('it exited with status 3', 3, null, [
      'checking the session',
      'token expired, run corp-login',
    ]);
    deps.sdkFake.failures.set('process', failure);
    await assert.rejects(run(), (err: { exitCode?: number; message?: string; hint?: string; cause?: unknown }) => {
      assert.equal(err.exitCode, ExitCode.credentials);
      assert.equal(
        err.message,
        'credential_process of profile "p" failed: it exited with status 3; its last stderr lines:\n  | checking the session\n  | token expired, run corp-login',
      );
      assert.equal(
        err.hint,
        'run the credential_process command of profile "p" by hand to see the whole of its output',
      );
      assert.equal(err.cause, failure);
      assert.doesNotMatch(`${err.message} ${(err.cause as Error).message}`, /hunter2/);
      assert.doesNotMatch(
        (err.cause as Error).message,
        /token expired/,
        '--verbose prints the cause: it must not repeat the stderr',
      );
      return true;
    });
  });

  test('wraps an SSO failure with the `aws sso login` hint', async () => {
    const { deps, run } = setup({ profile: 'p', config: '[profile p]\nsso_session = corp' });
    deps.sdkFake.failures.set(
      'sso',
      new Error('The SSO session associated with this profile has expired or is otherwise invalid.'),
    );
    await assert.rejects(run(), {
      exitCode: ExitCode.credentials,
      message: /^could not get SSO credentials for profile "p": The SSO session .* has expired/,
      hint: 'if the SSO session has expired, run: aws sso login --profile p',
    });
  });
});

describe('executePlan: role hops', () => {
  const chainConfig = `
    [profile top]
    role_arn = ${ARN('top')}
    source_profile = mid
    external_id = ext-top
    role_session_name = top-session
    [profile mid]
    role_arn = ${ARN('mid')}
    source_profile = base
    duration_seconds = 3600
    [profile base]
    ${BASE_KEYS.replace('\n', '\n    ')}
  `;

  test('assumes each hop in order with the credentials of the one before', async () => {
    const { deps, run } = setup({ profile: 'top', config: chainConfig });
    const result = await run();
    const calls = deps.stsFake.assumeRoleCalls();
    assert.equal(calls.length, 2);
    const [first, second] = calls;
    assert.deepEqual(first?.request, { roleArn: ARN('mid'), roleSessionName: DEFAULT_SESSION, durationSeconds: 3600 });
    assert.deepEqual(first?.source, { accessKeyId: 'AKIDBASE', secretAccessKey: 'base-secret-key' });
    assert.deepEqual(second?.request, { roleArn: ARN('top'), roleSessionName: 'top-session', externalId: 'ext-top' });
    assert.deepEqual(second?.source, first?.issued);
    assert.deepEqual(first?.endpoint, ENDPOINT);
    assert.deepEqual(result, second?.issued);
    assert.equal(deps.loads.sdkSources, 0);
    for (const issued of [first?.issued, second?.issued]) {
      assert.ok(deps.log.protectedValues.includes(issued?.secretAccessKey ?? '?'));
      assert.ok(deps.log.protectedValues.includes(issued?.sessionToken ?? '?'));
    }
    assertNoSecretLogged(deps);
  });

  test('wraps an STS refusal with exit 4 and the role and profile', async () => {
    const { deps, run } = setup({ profile: 'top', config: chainConfig });
    deps.stsFake.failWith = Object.assign(
      new Error('AccessDenied: User is not authorized to perform: sts:AssumeRole'),
      { name: 'AccessDenied' },
    );
    await assert.rejects(run(), {
      exitCode: ExitCode.credentials,
      message: `could not assume role ${ARN('mid')} (profile "mid"): AccessDenied: User is not authorized to perform: sts:AssumeRole`,
    });
  });

  test('keeps the exit code of an EksAuthError from the STS port (a network failure stays 5)', async () => {
    const { deps, run } = setup({ profile: 'top', config: chainConfig });
    deps.stsFake.failWith = new EksAuthError(ExitCode.network, 'could not reach STS', { hint: 'check your network' });
    await assert.rejects(run(), {
      exitCode: ExitCode.network,
      message: `could not assume role ${ARN('mid')} (profile "mid"): could not reach STS`,
      hint: 'check your network',
    });
  });
});

describe('executePlan: web identity', () => {
  const env = {
    AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token',
    AWS_ROLE_ARN: ARN('irsa'),
    AWS_ROLE_SESSION_NAME: 'pod-a',
  };

  test('reads the token file on every call, so a rotated token is sent', async () => {
    const { deps, run } = setup({ env, files: { '/var/run/token': 'eyJ.first.token\n' } });
    await run();
    deps.files.set('/var/run/token', 'eyJ.second.token');
    await run();
    const sent = deps.stsFake.webIdentityCalls().map((c) => c.request);
    assert.deepEqual(sent, [
      { roleArn: ARN('irsa'), roleSessionName: 'pod-a', webIdentityToken: 'eyJ.first.token' },
      { roleArn: ARN('irsa'), roleSessionName: 'pod-a', webIdentityToken: 'eyJ.second.token' },
    ]);
    assert.deepEqual(deps.files.reads.filter((p) => p === '/var/run/token').length, 2);
    assert.ok(
      deps.log.protectedValues.includes('eyJ.first.token') && deps.log.protectedValues.includes('eyJ.second.token'),
    );
    assertNoSecretLogged(deps);
  });

  test("passes the profile's session name and duration, then assumes hops on top", async () => {
    const { deps, run } = setup({
      profile: 'top',
      config: `[profile wi]\nrole_arn = ${ARN('wi')}\nweb_identity_token_file = /t\nduration_seconds = 900\n[profile top]\nrole_arn = ${ARN('top')}\nsource_profile = wi`,
      files: { '/t': 'jwt' },
    });
    const result = await run();
    const [webCall] = deps.stsFake.webIdentityCalls();
    assert.deepEqual(webCall?.request, {
      roleArn: ARN('wi'),
      roleSessionName: DEFAULT_SESSION,
      webIdentityToken: 'jwt',
      durationSeconds: 900,
    });
    const [hop] = deps.stsFake.assumeRoleCalls();
    assert.deepEqual(hop?.source, webCall?.issued);
    assert.deepEqual(result, hop?.issued);
  });

  test('fails with exit 4 when the token file is missing', async () => {
    const { deps, run } = setup({ env });
    await assert.rejects(run(), {
      exitCode: ExitCode.credentials,
      reason: 'web-identity-token',
      message: 'the web identity token file /var/run/token (AWS_WEB_IDENTITY_TOKEN_FILE) is missing',
    });
    assert.equal(deps.loads.sts, 0);
  });

  test('fails with exit 4 when the token file is empty', async () => {
    const { run } = setup({
      profile: 'wi',
      config: `[profile wi]\nrole_arn = ${ARN('wi')}\nweb_identity_token_file = /t`,
      files: { '/t': ' \n' },
    });
    await assert.rejects(run(), {
      exitCode: ExitCode.credentials,
      message: 'the web identity token file /t (profile "wi") is empty',
    });
  });

  test('fails with exit 4 when the token file cannot be read', async () => {
    const { deps, run } = setup({ env });
    deps.files.fail('/var/run/token', new Error('EACCES: permission denied'));
    await assert.rejects(run(), {
      exitCode: ExitCode.credentials,
      message: /cannot read the web identity token file \/var\/run\/token .*EACCES/,
    });
  });
});

describe('executePlan: MFA', () => {
  const config = `[profile mfa]\nrole_arn = ${ARN('mfa')}\nsource_profile = base\nmfa_serial = arn:aws:iam::111122223333:mfa/me\n[profile base]\n${BASE_KEYS}`;

  test('refuses to prompt when not interactive: exit 4 with the `eks-auth login` hint', async () => {
    const { deps, run } = setup({ profile: 'mfa', config, promptAnswers: ['123456'], interactive: false });
    await assert.rejects(run(), {
      exitCode: ExitCode.credentials,
      reason: 'mfa-required',
      message:
        'profile "mfa" needs an MFA code (mfa_serial arn:aws:iam::111122223333:mfa/me) but this session is not interactive',
      hint: /run `eks-auth login --profile mfa` in a terminal/,
    });
    assert.deepEqual(deps.promptFake?.questions, []);
    assert.equal(deps.stsFake.calls.length, 0);
  });

  test('refuses when interactive but there is no prompt', async () => {
    const { run } = setup({ profile: 'mfa', config, interactive: true });
    await assert.rejects(run(), { reason: 'mfa-required' });
  });

  test('asks for the code when interactive and sends it with the serial', async () => {
    const { deps, run } = setup({ profile: 'mfa', config, promptAnswers: [' 123456 \n'], interactive: true });
    await run();
    assert.deepEqual(deps.promptFake?.questions, ['Enter MFA code for arn:aws:iam::111122223333:mfa/me: ']);
    assert.deepEqual(deps.stsFake.assumeRoleCalls()[0]?.request, {
      roleArn: ARN('mfa'),
      roleSessionName: DEFAULT_SESSION,
      serialNumber: 'arn:aws:iam::111122223333:mfa/me',
      tokenCode: '123456',
    });
  });

  for (const answer of ['12345', '1234567', 'abcdef', '']) {
    test(`refuses the code ${JSON.stringify(answer)} with exit 4 before calling STS`, async () => {
      const { deps, run } = setup({ profile: 'mfa', config, promptAnswers: [answer], interactive: true });
      await assert.rejects(run(), {
        exitCode: ExitCode.credentials,
        reason: 'mfa-invalid',
        message: 'the MFA code for arn:aws:iam::111122223333:mfa/me must be 6 digits',
      });
      assert.equal(deps.stsFake.calls.length, 0);
    });
  }
});

describe('executePlan: the probing default chain', () => {
  test('an instance metadata failure ends in "unable to locate credentials", exit 4', async () => {
    const { deps, run } = setup({});
    deps.sdkFake.failures.set('imds', new Error('connect EHOSTUNREACH 169.254.169.254:80'));
    await assert.rejects(run(), (err: EksAuthError) => {
      assert.equal(err.exitCode, ExitCode.credentials);
      assert.equal(err.reason, 'no-credentials');
      assert.equal(
        err.message,
        'unable to locate credentials (no profile "default"; EC2 instance metadata: could not get EC2 instance metadata credentials: connect EHOSTUNREACH 169.254.169.254:80)',
      );
      assert.match(err.hint ?? '', /AWS_ACCESS_KEY_ID.*--profile.*aws configure/);
      return true;
    });
  });

  test('a container failure moves on to instance metadata', async () => {
    const { deps, run } = setup({
      env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials' },
    });
    deps.sdkFake.failures.set('container', new Error('connection refused'));
    const credentials = await run();
    assert.deepEqual(
      deps.sdkFake.calls.map((c) => c.source),
      ['imds'],
    );
    assert.deepEqual(credentials, deps.sdkFake.calls[0]?.issued);
    assert.ok(
      deps.log.verboseLines.some((l) =>
        l.includes('container credentials failed: could not get container credentials: connection refused'),
      ),
    );
  });

  test('with instance metadata disabled and a profile holding no credentials, nothing is tried', async () => {
    const { deps, run } = setup({
      env: { AWS_EC2_METADATA_DISABLED: 'true' },
      config: '[default]\nregion = us-west-2',
    });
    await assert.rejects(run(), {
      exitCode: ExitCode.credentials,
      message: 'unable to locate credentials (profile "default" holds no credentials)',
    });
    assert.equal(deps.loads.sdkSources, 0);
  });

  test('a configured instance-metadata source that fails is not a probe: its own error, exit 4', async () => {
    const { deps, run } = setup({
      profile: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}\ncredential_source = Ec2InstanceMetadata`,
    });
    deps.sdkFake.failures.set('imds', new Error('timeout'));
    await assert.rejects(run(), {
      exitCode: ExitCode.credentials,
      message: 'could not get EC2 instance metadata credentials: timeout',
    });
  });
});
