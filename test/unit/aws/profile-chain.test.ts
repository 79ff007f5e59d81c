import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsConfigFiles } from '../../../src/aws/config';
import { describePlan, planCredentials, selectProfile, type CredentialPlan } from '../../../src/aws/profile-chain';
import { ExitCode, type ExitCodeValue } from '../../../src/errors';
import type { Env } from '../../../src/ports';
import { CONFIG_PATH, CREDENTIALS_PATH, HOME, MemoryFiles, dedent } from '../../helpers/fake-deps';

/**
 * Config → plan, as aws-vault's vault/config_test.go does it: inline INI fixtures, the expected
 * plan, and where the expectation comes from. "botocore" means botocore/credentials.py
 * (create_credential_resolver, ProfileProviderBuilder, AssumeRoleProvider,
 * AssumeRoleWithWebIdentityProvider) as shipped with the AWS CLI on this machine; "AWS CLI" means
 * the behaviour was also checked by running `aws sts get-caller-identity --debug`.
 */
interface Row {
  name: string;
  from: string;
  config?: string;
  credentials?: string;
  env?: Env;
  profileFlag?: string;
  plan?: Partial<CredentialPlan>;
  warning?: RegExp;
  error?: { exitCode: ExitCodeValue; reason: string; message?: RegExp | string; hint?: RegExp | string };
}

const KEYS = 'aws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret';
const ENV_KEYS: Env = { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret' };
const ARN = (name: string) => `arn:aws:iam::111122223333:role/${name}`;

function plan(overrides: Partial<CredentialPlan>): CredentialPlan {
  return {
    profile: 'default',
    profileFrom: 'default',
    sources: [],
    hops: [],
    visited: [],
    probing: false,
    warnings: [],
    ...overrides,
  };
}

function run(row: Pick<Row, 'config' | 'credentials' | 'env' | 'profileFlag'>): CredentialPlan {
  const files = new MemoryFiles();
  if (row.config !== undefined) files.set(CONFIG_PATH, dedent(row.config));
  if (row.credentials !== undefined) files.set(CREDENTIALS_PATH, dedent(row.credentials));
  const env = row.env ?? {};
  const loaded = loadAwsConfigFiles({ env, homedir: HOME, files });
  return planCredentials({
    env,
    files: loaded,
    ...(row.profileFlag !== undefined ? { profileFlag: row.profileFlag } : {}),
  });
}

function check(rows: Row[]): void {
  for (const row of rows) {
    test(`${row.name} (${row.from})`, () => {
      if (row.error) {
        const { message, hint, ...rest } = row.error;
        assert.throws(() => run(row), {
          name: 'EksAuthError',
          ...rest,
          ...(message ? { message } : {}),
          ...(hint ? { hint } : {}),
        });
        return;
      }
      const actual = run(row);
      const { warnings, ...rest } = actual;
      const { warnings: _ignored, ...expected } = plan(row.plan ?? {});
      assert.deepEqual(rest, expected);
      if (row.warning) {
        assert.equal(warnings.length, 1);
        assert.match(warnings[0] ?? '', row.warning);
      } else {
        assert.deepEqual(warnings, []);
      }
    });
  }
}

describe('planCredentials: environment keys, AWS_PROFILE and --profile', () => {
  check([
    {
      name: 'environment keys with no config at all',
      from: 'botocore: EnvProvider first',
      env: ENV_KEYS,
      plan: { sources: [{ kind: 'env' }] },
    },
    {
      name: 'environment keys win over AWS_PROFILE, with a warning when the profile has credentials',
      from: 'botocore: EnvProvider precedes every profile provider unless the profile is explicit',
      env: { ...ENV_KEYS, AWS_PROFILE: 'dev' },
      credentials: `[dev]\n${KEYS}`,
      plan: { profile: 'dev', profileFrom: 'AWS_PROFILE', sources: [{ kind: 'env' }] },
      warning: /AWS_ACCESS_KEY_ID in the environment takes precedence over AWS_PROFILE=dev.*pass --profile/,
    },
    {
      name: 'environment keys win over AWS_PROFILE silently when that profile only sets a region',
      from: 'botocore',
      env: { ...ENV_KEYS, AWS_PROFILE: 'dev' },
      config: '[profile dev]\nregion = eu-west-1',
      plan: { profile: 'dev', profileFrom: 'AWS_PROFILE', sources: [{ kind: 'env' }] },
    },
    {
      name: '--profile ignores environment keys',
      from: 'botocore: create_credential_resolver removes EnvProvider for an explicit profile',
      env: ENV_KEYS,
      profileFlag: 'dev',
      credentials: `[dev]\n${KEYS}`,
      plan: {
        profile: 'dev',
        profileFrom: '--profile',
        sources: [{ kind: 'static', profile: 'dev' }],
        visited: ['dev'],
      },
    },
    {
      name: '--profile ignores environment web identity too',
      from: 'botocore: AssumeRoleWithWebIdentityProvider(disable_env_vars=True) for an explicit profile',
      env: { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: ARN('irsa') },
      profileFlag: 'dev',
      credentials: `[dev]\n${KEYS}`,
      plan: {
        profile: 'dev',
        profileFrom: '--profile',
        sources: [{ kind: 'static', profile: 'dev' }],
        visited: ['dev'],
      },
    },
    {
      name: '--profile does not trip over a lone leftover AWS_ACCESS_KEY_ID',
      from: 'botocore: the EnvProvider that would complain is not in the chain',
      env: { AWS_ACCESS_KEY_ID: 'AKIDLEFTOVER' },
      profileFlag: 'dev',
      credentials: `[dev]\n${KEYS}`,
      plan: {
        profile: 'dev',
        profileFrom: '--profile',
        sources: [{ kind: 'static', profile: 'dev' }],
        visited: ['dev'],
      },
    },
    {
      name: 'a lone AWS_ACCESS_KEY_ID is a config error',
      from: 'botocore: EnvProvider raises PartialCredentialsError',
      env: { AWS_ACCESS_KEY_ID: 'AKIDLEFTOVER' },
      error: {
        exitCode: ExitCode.config,
        reason: 'partial-credentials',
        message: /AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/,
      },
    },
    {
      name: 'a lone AWS_SECRET_ACCESS_KEY is a config error',
      from: 'eks-auth: stricter than botocore, which ignores it; a leftover half of a key pair is a mistake worth naming',
      env: { AWS_SECRET_ACCESS_KEY: 'leftover-secret' },
      error: {
        exitCode: ExitCode.config,
        reason: 'partial-credentials',
        message: /AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not/,
      },
    },
    {
      name: 'AWS_PROFILE naming a missing profile fails even with environment keys',
      from: 'AWS CLI: "The config profile (x) could not be found"',
      env: { ...ENV_KEYS, AWS_PROFILE: 'ghost' },
      error: {
        exitCode: ExitCode.config,
        reason: 'profile-not-found',
        message: 'the config profile (ghost) could not be found',
      },
    },
    {
      name: '--profile naming a missing profile',
      from: 'AWS CLI',
      profileFlag: 'ghost',
      config: '[profile dev]\nregion = x',
      error: {
        exitCode: ExitCode.config,
        reason: 'profile-not-found',
        message: 'the config profile (ghost) could not be found',
        hint: /known profiles: dev/,
      },
    },
    {
      name: 'AWS_DEFAULT_PROFILE when AWS_PROFILE is unset',
      from: 'botocore configprovider: profile from AWS_DEFAULT_PROFILE / AWS_PROFILE',
      env: { AWS_DEFAULT_PROFILE: 'dev' },
      credentials: `[dev]\n${KEYS}`,
      plan: {
        profile: 'dev',
        profileFrom: 'AWS_PROFILE',
        sources: [{ kind: 'static', profile: 'dev' }],
        visited: ['dev'],
      },
    },
  ]);

  test("AWS_PROFILE wins over AWS_DEFAULT_PROFILE (the SDKs' order; AWS CLI v1 checks AWS_DEFAULT_PROFILE first)", () => {
    assert.deepEqual(selectProfile(undefined, { AWS_PROFILE: 'a', AWS_DEFAULT_PROFILE: 'b' }), {
      profile: 'a',
      profileFrom: 'AWS_PROFILE',
    });
    assert.deepEqual(selectProfile('c', { AWS_PROFILE: 'a' }), { profile: 'c', profileFrom: '--profile' });
    assert.deepEqual(selectProfile(undefined, {}), { profile: 'default', profileFrom: 'default' });
  });
});

describe('planCredentials: role_arn chains', () => {
  check([
    {
      name: 'one hop from static keys in the credentials file',
      from: 'botocore AssumeRoleProvider',
      profileFlag: 'admin',
      config: `
        [profile admin]
        role_arn = ${ARN('admin')}
        source_profile = base
      `,
      credentials: `[base]\n${KEYS}`,
      plan: {
        profile: 'admin',
        profileFrom: '--profile',
        sources: [{ kind: 'static', profile: 'base' }],
        hops: [{ profile: 'admin', roleArn: ARN('admin') }],
        visited: ['admin', 'base'],
      },
    },
    {
      name: 'two hops, each with its own external_id, mfa_serial, role_session_name and duration_seconds',
      from: 'botocore _get_role_config reads these per profile',
      profileFlag: 'top',
      config: `
        [profile top]
        role_arn = ${ARN('top')}
        source_profile = mid
        external_id = ext-top
        role_session_name = top-session
        [profile mid]
        role_arn = ${ARN('mid')}
        source_profile = base
        mfa_serial = arn:aws:iam::111122223333:mfa/me
        duration_seconds = 3600
        [profile base]
        ${KEYS.replace('\n', '\n        ')}
      `,
      plan: {
        profile: 'top',
        profileFrom: '--profile',
        sources: [{ kind: 'static', profile: 'base' }],
        hops: [
          { profile: 'mid', roleArn: ARN('mid'), mfaSerial: 'arn:aws:iam::111122223333:mfa/me', durationSeconds: 3600 },
          { profile: 'top', roleArn: ARN('top'), externalId: 'ext-top', sessionName: 'top-session' },
        ],
        visited: ['top', 'mid', 'base'],
      },
    },
    {
      name: 'three hops, assumed innermost first',
      from: 'botocore _resolve_credentials_from_profile recursion',
      env: { AWS_PROFILE: 'a' },
      config: `
        [profile a]
        role_arn = ${ARN('a')}
        source_profile = b
        [profile b]
        role_arn = ${ARN('b')}
        source_profile = c
        [profile c]
        role_arn = ${ARN('c')}
        source_profile = d
        duration_seconds = 900
      `,
      credentials: `[d]\n${KEYS}`,
      plan: {
        profile: 'a',
        profileFrom: 'AWS_PROFILE',
        sources: [{ kind: 'static', profile: 'd' }],
        hops: [
          { profile: 'c', roleArn: ARN('c'), durationSeconds: 900 },
          { profile: 'b', roleArn: ARN('b') },
          { profile: 'a', roleArn: ARN('a') },
        ],
        visited: ['a', 'b', 'c', 'd'],
      },
    },
    {
      name: 'a profile that names itself as source_profile and holds static keys',
      from: 'botocore _validate_source_profile allows self-reference with static credentials',
      profileFlag: 'self',
      credentials: `
        [self]
        role_arn = ${ARN('self')}
        source_profile = self
        ${KEYS.replace('\n', '\n        ')}
      `,
      plan: {
        profile: 'self',
        profileFrom: '--profile',
        sources: [{ kind: 'static', profile: 'self' }],
        hops: [{ profile: 'self', roleArn: ARN('self') }],
        visited: ['self'],
      },
    },
    {
      name: 'a profile that names itself as source_profile without static keys is a loop',
      from: 'botocore raises InfiniteLoopConfigError',
      profileFlag: 'self',
      config: `[profile self]\nrole_arn = ${ARN('self')}\nsource_profile = self`,
      error: { exitCode: ExitCode.config, reason: 'profile-loop', message: /infinite loop .*\(self -> self\)/ },
    },
    {
      name: 'a loop a -> b -> a names the visited chain',
      from: 'botocore InfiniteLoopConfigError lists the visited profiles',
      profileFlag: 'a',
      config: `
        [profile a]
        role_arn = ${ARN('a')}
        source_profile = b
        [profile b]
        role_arn = ${ARN('b')}
        source_profile = a
      `,
      error: {
        exitCode: ExitCode.config,
        reason: 'profile-loop',
        message:
          'infinite loop in credential configuration detected: profile "a" has already been visited (a -> b -> a)',
      },
    },
    {
      name: 'a source_profile that does not exist',
      from: 'botocore: The source_profile "X" referenced in the profile "Y" does not exist.',
      profileFlag: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = ghost`,
      error: {
        exitCode: ExitCode.config,
        reason: 'profile-not-found',
        message: 'the source_profile "ghost" referenced in the profile "a" does not exist',
      },
    },
    {
      name: 'role_arn with neither source_profile nor credential_source',
      from: 'botocore raises PartialCredentialsError(source_profile or credential_source)',
      profileFlag: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}`,
      error: {
        exitCode: ExitCode.config,
        reason: 'missing-source',
        message: 'profile "a" has role_arn but no source_profile, credential_source or web_identity_token_file',
        hint: `add source_profile = <profile with credentials> under [profile a] in ${CONFIG_PATH}`,
      },
    },
    {
      name: 'role_arn next to static keys still needs a source',
      from: 'botocore: AssumeRoleProvider runs before the static-key providers',
      profileFlag: 'a',
      credentials: `[a]\nrole_arn = ${ARN('a')}\n${KEYS}`,
      error: { exitCode: ExitCode.config, reason: 'missing-source' },
    },
    {
      name: 'both source_profile and credential_source',
      from: 'botocore: The profile "a" contains both source_profile and credential_source.',
      profileFlag: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = b\ncredential_source = Environment\n[profile b]\n${KEYS}`,
      error: {
        exitCode: ExitCode.config,
        reason: 'conflicting-source',
        message: 'profile "a" has both source_profile and credential_source',
      },
    },
    {
      name: 'a source profile with static keys uses them, not its own role_arn',
      from: 'botocore _resolve_credentials_from_profile',
      profileFlag: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = b\n[profile b]\nrole_arn = ${ARN('b')}\nsource_profile = c\n${KEYS}`,
      plan: {
        profile: 'a',
        profileFrom: '--profile',
        sources: [{ kind: 'static', profile: 'b' }],
        hops: [{ profile: 'a', roleArn: ARN('a') }],
        visited: ['a', 'b'],
      },
    },
    {
      name: 'a source profile with config-file keys and credential_process uses the process',
      from: 'AWS CLI: the source profile goes through the whole profile provider chain (process before config file)',
      profileFlag: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = b\n[profile b]\n${KEYS}\ncredential_process = /bin/creds`,
      plan: {
        profile: 'a',
        profileFrom: '--profile',
        sources: [{ kind: 'process', profile: 'b' }],
        hops: [{ profile: 'a', roleArn: ARN('a') }],
        visited: ['a', 'b'],
      },
    },
    {
      name: 'a source profile with credentials-file keys and credential_process uses the keys',
      from: 'botocore: SharedCredentialProvider precedes ProcessProvider',
      profileFlag: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = b\n[profile b]\ncredential_process = /bin/creds`,
      credentials: `[b]\n${KEYS}`,
      plan: {
        profile: 'a',
        profileFrom: '--profile',
        sources: [{ kind: 'static', profile: 'b' }],
        hops: [{ profile: 'a', roleArn: ARN('a') }],
        visited: ['a', 'b'],
      },
    },
    {
      name: 'a source profile with SSO',
      from: 'botocore ProfileProviderBuilder for the source profile',
      profileFlag: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = sso\n[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev`,
      plan: {
        profile: 'a',
        profileFrom: '--profile',
        sources: [{ kind: 'sso', profile: 'sso' }],
        hops: [{ profile: 'a', roleArn: ARN('a') }],
        visited: ['a', 'sso'],
      },
    },
    {
      name: 'a source profile with its own web identity',
      from: 'botocore: a profile with web_identity_token_file is not an assume-role profile',
      profileFlag: 'a',
      config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = wi\n[profile wi]\nrole_arn = ${ARN('wi')}\nweb_identity_token_file = /var/run/token`,
      plan: {
        profile: 'a',
        profileFrom: '--profile',
        sources: [{ kind: 'web-identity', profile: 'wi', roleArn: ARN('wi'), tokenFile: '/var/run/token' }],
        hops: [{ profile: 'a', roleArn: ARN('a') }],
        visited: ['a', 'wi'],
      },
    },
    {
      name: 'a source profile does not take web identity from the environment',
      from: 'botocore: the source profile chain is built with disable_env_vars=True',
      env: { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: ARN('irsa') },
      config: `[default]\nrole_arn = ${ARN('a')}\nsource_profile = empty\n[profile empty]\nregion = us-west-2`,
      error: {
        exitCode: ExitCode.config,
        reason: 'no-credentials',
        message: 'the source_profile "empty" referenced in the profile "default" has no credentials',
      },
    },
  ]);
});

describe('planCredentials: credential_source', () => {
  const config = (source: string) => `[profile a]\nrole_arn = ${ARN('a')}\ncredential_source = ${source}`;
  const hops = [{ profile: 'a', roleArn: ARN('a') }];
  check([
    {
      name: 'Environment takes the keys from the environment, even with --profile',
      from: 'botocore CanonicalNameCredentialSourcer uses the EnvProvider',
      env: ENV_KEYS,
      profileFlag: 'a',
      config: config('Environment'),
      plan: { profile: 'a', profileFrom: '--profile', sources: [{ kind: 'env' }], hops, visited: ['a'] },
    },
    {
      name: 'Environment without keys in the environment',
      from: 'botocore raises CredentialRetrievalError',
      profileFlag: 'a',
      config: config('Environment'),
      error: {
        exitCode: ExitCode.credentials,
        reason: 'no-credentials',
        message: /credential_source = Environment but AWS_ACCESS_KEY_ID/,
      },
    },
    {
      name: 'Ec2InstanceMetadata',
      from: 'botocore',
      profileFlag: 'a',
      config: config('Ec2InstanceMetadata'),
      plan: { profile: 'a', profileFrom: '--profile', sources: [{ kind: 'imds' }], hops, visited: ['a'] },
    },
    {
      name: 'EcsContainer',
      from: 'botocore',
      profileFlag: 'a',
      config: config('EcsContainer'),
      plan: { profile: 'a', profileFrom: '--profile', sources: [{ kind: 'container' }], hops, visited: ['a'] },
    },
    {
      name: 'an unknown credential_source',
      from: 'botocore: The credential source "X" referenced in profile "a" is not valid.',
      profileFlag: 'a',
      config: config('Ec2Metadata'),
      error: {
        exitCode: ExitCode.config,
        reason: 'bad-setting',
        message: /credential_source = Ec2Metadata, which is not one of Environment, Ec2InstanceMetadata, EcsContainer/,
      },
    },
  ]);
});

describe('planCredentials: web identity', () => {
  check([
    {
      name: 'from the profile, with role_session_name and duration_seconds',
      from: 'botocore AssumeRoleWithWebIdentityProvider',
      profileFlag: 'wi',
      config: `[profile wi]\nrole_arn = ${ARN('wi')}\nweb_identity_token_file = /var/run/token\nrole_session_name = ci-job\nduration_seconds = 7200`,
      plan: {
        profile: 'wi',
        profileFrom: '--profile',
        sources: [
          {
            kind: 'web-identity',
            profile: 'wi',
            roleArn: ARN('wi'),
            tokenFile: '/var/run/token',
            sessionName: 'ci-job',
            durationSeconds: 7200,
          },
        ],
        visited: ['wi'],
      },
    },
    {
      name: 'from the environment (IRSA) with AWS_ROLE_SESSION_NAME',
      from: 'botocore _CONFIG_TO_ENV_VAR',
      env: {
        AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
        AWS_ROLE_ARN: ARN('irsa'),
        AWS_ROLE_SESSION_NAME: 'pod-a',
      },
      plan: {
        sources: [
          {
            kind: 'web-identity',
            roleArn: ARN('irsa'),
            tokenFile: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
            sessionName: 'pod-a',
          },
        ],
      },
    },
    {
      name: 'AWS_WEB_IDENTITY_TOKEN_FILE without AWS_ROLE_ARN',
      from: 'botocore raises InvalidConfigError (no role ARN configured)',
      env: { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token' },
      error: {
        exitCode: ExitCode.config,
        reason: 'incomplete-web-identity',
        message: 'AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not',
      },
    },
    {
      name: "an environment token file with the profile's role_arn",
      from: 'AWS CLI: each setting is read from the environment, else the profile',
      env: { AWS_WEB_IDENTITY_TOKEN_FILE: '/env/token' },
      config: `[default]\nrole_arn = ${ARN('fromprofile')}\nweb_identity_token_file = /profile/token\nrole_session_name = from-profile`,
      plan: {
        sources: [
          { kind: 'web-identity', roleArn: ARN('fromprofile'), tokenFile: '/env/token', sessionName: 'from-profile' },
        ],
        visited: ['default'],
      },
    },
    {
      name: "AWS_ROLE_ARN over the profile's role_arn, with the profile's token file",
      from: 'botocore _get_config: environment first, key by key',
      env: { AWS_ROLE_ARN: ARN('fromenv') },
      config: `[default]\nrole_arn = ${ARN('fromprofile')}\nweb_identity_token_file = /profile/token`,
      plan: {
        sources: [{ kind: 'web-identity', profile: 'default', roleArn: ARN('fromenv'), tokenFile: '/profile/token' }],
        visited: ['default'],
      },
    },
    {
      name: 'environment web identity beats static keys of an AWS_PROFILE profile',
      from: 'botocore: web identity provider precedes SharedCredentialProvider',
      env: { AWS_PROFILE: 'dev', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: ARN('irsa') },
      credentials: `[dev]\n${KEYS}`,
      plan: {
        profile: 'dev',
        profileFrom: 'AWS_PROFILE',
        sources: [{ kind: 'web-identity', roleArn: ARN('irsa'), tokenFile: '/var/run/token' }],
        visited: ['dev'],
      },
    },
    {
      name: 'a role_arn + source_profile profile beats environment web identity',
      from: 'botocore: AssumeRoleProvider precedes the web identity provider',
      env: { AWS_PROFILE: 'a', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: ARN('irsa') },
      config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = b\n[profile b]\n${KEYS}`,
      plan: {
        profile: 'a',
        profileFrom: 'AWS_PROFILE',
        sources: [{ kind: 'static', profile: 'b' }],
        hops: [{ profile: 'a', roleArn: ARN('a') }],
        visited: ['a', 'b'],
      },
    },
    {
      name: 'web_identity_token_file without role_arn in the profile',
      from: 'botocore raises InvalidConfigError',
      profileFlag: 'wi',
      config: '[profile wi]\nweb_identity_token_file = /var/run/token',
      error: {
        exitCode: ExitCode.config,
        reason: 'incomplete-web-identity',
        message: 'profile "wi" has web_identity_token_file but no role_arn',
      },
    },
  ]);
});

describe('planCredentials: SSO, credential_process and static keys', () => {
  check([
    {
      name: 'sso_session',
      from: 'botocore SSOProvider',
      profileFlag: 'sso',
      config:
        '[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1',
      plan: { profile: 'sso', profileFrom: '--profile', sources: [{ kind: 'sso', profile: 'sso' }], visited: ['sso'] },
    },
    {
      name: 'legacy sso_start_url',
      from: 'botocore SSOProvider',
      profileFlag: 'sso',
      config:
        '[profile sso]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Dev',
      plan: { profile: 'sso', profileFrom: '--profile', sources: [{ kind: 'sso', profile: 'sso' }], visited: ['sso'] },
    },
    {
      name: 'SSO beats static keys in the credentials file',
      from: 'botocore: SSOProvider precedes SharedCredentialProvider',
      profileFlag: 'sso',
      config: '[profile sso]\nsso_session = corp',
      credentials: `[sso]\n${KEYS}`,
      plan: { profile: 'sso', profileFrom: '--profile', sources: [{ kind: 'sso', profile: 'sso' }], visited: ['sso'] },
    },
    {
      name: 'credential_process',
      from: 'botocore ProcessProvider',
      config: '[default]\ncredential_process = /usr/local/bin/creds --json',
      plan: { sources: [{ kind: 'process', profile: 'default' }], visited: ['default'] },
    },
    {
      name: 'credentials-file keys beat credential_process',
      from: 'botocore: SharedCredentialProvider precedes ProcessProvider',
      config: '[default]\ncredential_process = /usr/local/bin/creds',
      credentials: `[default]\n${KEYS}`,
      plan: { sources: [{ kind: 'static', profile: 'default' }], visited: ['default'] },
    },
    {
      name: 'credential_process beats config-file keys',
      from: 'botocore: ProcessProvider precedes ConfigProvider',
      config: `[default]\ncredential_process = /usr/local/bin/creds\n${KEYS}`,
      plan: { sources: [{ kind: 'process', profile: 'default' }], visited: ['default'] },
    },
    {
      name: 'config-file keys alone',
      from: 'botocore ConfigProvider',
      config: `[default]\n${KEYS}`,
      plan: { sources: [{ kind: 'static', profile: 'default' }], visited: ['default'] },
    },
    {
      name: 'a key id without a secret',
      from: 'botocore raises PartialCredentialsError',
      profileFlag: 'dev',
      credentials: '[dev]\naws_access_key_id = AKIDDEV',
      error: {
        exitCode: ExitCode.config,
        reason: 'partial-credentials',
        message: 'partial credentials found in profile "dev": aws_secret_access_key is missing',
        hint: `add aws_secret_access_key to profile "dev" (${CREDENTIALS_PATH})`,
      },
    },
    {
      name: 'a secret without a key id',
      from: 'eks-auth: botocore would skip the profile silently',
      profileFlag: 'dev',
      config: '[profile dev]\naws_secret_access_key = secret',
      error: { exitCode: ExitCode.config, reason: 'partial-credentials', message: /aws_access_key_id is missing/ },
    },
  ]);
});

describe('planCredentials: the default chain probes container and instance metadata', () => {
  check([
    {
      name: 'no default profile: instance metadata',
      from: 'botocore: InstanceMetadataProvider ends the chain',
      plan: { sources: [{ kind: 'imds' }], probing: true },
    },
    {
      name: 'no default profile, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: container, then instance metadata',
      from: 'botocore: ContainerProvider precedes InstanceMetadataProvider',
      env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' },
      plan: { sources: [{ kind: 'container' }, { kind: 'imds' }], probing: true },
    },
    {
      name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity)',
      from: 'botocore ContainerProvider',
      env: {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/token',
      },
      plan: { sources: [{ kind: 'container' }, { kind: 'imds' }], probing: true },
    },
    {
      name: 'AWS_EC2_METADATA_DISABLED=true leaves instance metadata out',
      from: 'botocore InstanceMetadataFetcher honours AWS_EC2_METADATA_DISABLED',
      env: { AWS_EC2_METADATA_DISABLED: 'TRUE', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' },
      plan: { sources: [{ kind: 'container' }], probing: true },
    },
    {
      name: 'AWS_EC2_METADATA_DISABLED=true and no container: nothing to try',
      from: 'botocore',
      env: { AWS_EC2_METADATA_DISABLED: 'true' },
      plan: { sources: [], probing: true },
    },
    {
      name: 'a default profile with only a region falls through to the probes',
      from: 'botocore: no profile provider answers, the chain continues',
      config: '[default]\nregion = us-west-2',
      plan: { sources: [{ kind: 'imds' }], visited: ['default'], probing: true },
    },
    {
      name: 'so does an explicit profile with only a region',
      from: 'botocore: container and instance metadata stay in the chain with --profile',
      profileFlag: 'dev',
      config: '[profile dev]\nregion = us-west-2',
      plan: { profile: 'dev', profileFrom: '--profile', sources: [{ kind: 'imds' }], visited: ['dev'], probing: true },
    },
  ]);
});

describe('planCredentials: duration_seconds', () => {
  // STS AssumeRole accepts 900–43200 seconds; botocore passes any integer and lets STS refuse it.
  const profile = (value: string) =>
    `[profile a]\nrole_arn = ${ARN('a')}\ncredential_source = Ec2InstanceMetadata\nduration_seconds = ${value}`;
  for (const value of ['900', '43200']) {
    test(`accepts ${value}`, () => {
      assert.equal(run({ profileFlag: 'a', config: profile(value) }).hops[0]?.durationSeconds, Number(value));
    });
  }
  for (const value of ['899', '43201', '3600.5', 'one hour', '-900']) {
    test(`refuses ${value} with exit 3 naming the profile`, () => {
      assert.throws(() => run({ profileFlag: 'a', config: profile(value) }), {
        exitCode: ExitCode.config,
        reason: 'bad-setting',
        message: `profile "a" has duration_seconds = ${value}; it must be a whole number of seconds from 900 to 43200`,
      });
    });
  }
});

describe('describePlan', () => {
  test('names the source and each hop', () => {
    const described = describePlan(
      run({
        profileFlag: 'a',
        config: `[profile a]\nrole_arn = ${ARN('a')}\nsource_profile = b\n[profile b]\n${KEYS}`,
      }),
    );
    assert.equal(described, `static keys of profile "b" -> assume ${ARN('a')} (profile "a")`);
  });

  test('lists the probes of the default chain as alternatives', () => {
    assert.equal(
      describePlan(run({ env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/x' } })),
      'container credentials, else EC2 instance metadata',
    );
  });
});
