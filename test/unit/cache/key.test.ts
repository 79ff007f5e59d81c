import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../../src/cache/key';
import { chainCacheKeys, sourceIdentity } from '../../../src/aws/session-cache';
import { tokenCacheKey } from '../../../src/usecases/token';
import { resolveAwsTarget, type AwsInput } from '../../../src/aws/resolve';
import type { Env } from '../../../src/ports';
import { fakeDeps } from '../../helpers/fake-deps';
import { awsConfig, role, staticKeys } from '../../helpers/aws-config';

const CONFIG = awsConfig({
  base: staticKeys('AKIAKEYTESTBASE00001', { region: 'us-east-1' }),
  dev: role('arn:aws:iam::111122223333:role/dev', 'base'),
  ops: role('arn:aws:iam::111122223333:role/dev', 'base'),
  admin: role('arn:aws:iam::444455556666:role/admin', 'dev', { mfa_serial: 'arn:aws:iam::111122223333:mfa/me' }),
  irsa: {
    role_arn: 'arn:aws:iam::111122223333:role/pod',
    web_identity_token_file: '/var/run/token',
    region: 'us-east-1',
  },
});

interface Case {
  input?: AwsInput;
  env?: Env;
  cluster?: string;
  files?: Record<string, string>;
  config?: string;
}

const BASE_ENV: Env = { AWS_REGION: 'us-east-1' };

/** Resolves a call as `eks-auth token` would, without network, and returns its token key and chain keys. */
function keysOf(c: Case): { token: string; chain: string[] | undefined } {
  const deps = fakeDeps({
    config: c.config ?? CONFIG,
    env: { ...BASE_ENV, ...c.env },
    files: { '/var/run/token': 'jwt-1', ...c.files },
  });
  const target = resolveAwsTarget(c.input ?? {}, deps);
  const identity = sourceIdentity(target.plan, target.files, deps);
  assert.notEqual(identity, undefined, 'the source should be identifiable');
  return {
    token: tokenCacheKey({
      clusterId: c.cluster ?? 'demo',
      endpoint: target.stsEndpoint,
      plan: target.plan,
      sourceIdentity: identity,
    }),
    chain: chainCacheKeys(target.plan, { files: target.files, endpoint: target.stsEndpoint, interactive: false }, deps),
  };
}

const ENV_KEYS: Env = { AWS_ACCESS_KEY_ID: 'AKIAKEYTESTENV000001', AWS_SECRET_ACCESS_KEY: 'env/secret' };

describe('token cache keys', () => {
  test('are 64 hex digits and stable: the same inputs resolved twice give the same key', () => {
    const a = keysOf({ input: { profile: 'admin' } });
    const b = keysOf({ input: { profile: 'admin' } });
    assert.match(a.token, /^[0-9a-f]{64}$/);
    assert.equal(a.token, b.token);
    assert.deepEqual(a.chain, b.chain);
  });

  // Each pair differs in one input that changes the token; none may share an entry.
  const DIFFERENT: [string, Case, Case][] = [
    ['two clusters', { cluster: 'demo' }, { cluster: 'prod' }],
    ['two profiles with the same role and source', { input: { profile: 'dev' } }, { input: { profile: 'ops' } }],
    [
      'two regions',
      { input: { profile: 'dev', region: 'us-east-1' } },
      { input: { profile: 'dev', region: 'eu-west-1' } },
    ],
    [
      'regional and legacy global STS',
      { input: { profile: 'dev' } },
      { input: { profile: 'dev' }, env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' } },
    ],
    [
      'AWS STS and a local STS',
      { input: { profile: 'dev' } },
      { input: { profile: 'dev' }, env: { AWS_ENDPOINT_URL_STS: 'https://127.0.0.1:4566' } },
    ],
    ['two environment key pairs', { env: ENV_KEYS }, { env: { ...ENV_KEYS, AWS_SECRET_ACCESS_KEY: 'env/other' } }],
    [
      'environment keys with and without a session token',
      { env: ENV_KEYS },
      { env: { ...ENV_KEYS, AWS_SESSION_TOKEN: 'session' } },
    ],
    [
      'a rotated web identity token file',
      { input: { profile: 'irsa' } },
      { input: { profile: 'irsa' }, files: { '/var/run/token': 'jwt-2' } },
    ],
    [
      '--role-arn on top of a profile',
      { input: { profile: 'dev' } },
      { input: { profile: 'dev', roleArn: 'arn:aws:iam::111122223333:role/x' } },
    ],
    [
      'two --session-name values',
      { input: { profile: 'dev', roleArn: 'arn:aws:iam::1:role/x', sessionName: 'a' } },
      { input: { profile: 'dev', roleArn: 'arn:aws:iam::1:role/x', sessionName: 'b' } },
    ],
    [
      'two --external-id values',
      { input: { profile: 'dev', roleArn: 'arn:aws:iam::1:role/x', externalId: 'a' } },
      { input: { profile: 'dev', roleArn: 'arn:aws:iam::1:role/x', externalId: 'b' } },
    ],
    [
      'two --duration values',
      { input: { profile: 'dev', roleArn: 'arn:aws:iam::1:role/x', durationSeconds: 900 } },
      { input: { profile: 'dev', roleArn: 'arn:aws:iam::1:role/x', durationSeconds: 3600 } },
    ],
    [
      'rotated static keys of the source profile',
      { input: { profile: 'dev' } },
      { input: { profile: 'dev' }, config: CONFIG.replace('base/secret+key', 'base/rotated+key') },
    ],
    [
      'an mfa_serial added to the profile',
      { input: { profile: 'dev' } },
      {
        input: { profile: 'dev' },
        config: CONFIG.replace(
          'source_profile = base\n\n  [profile ops]',
          'source_profile = base\n  mfa_serial = arn:aws:iam::1:mfa/me\n\n  [profile ops]',
        ),
      },
    ],
  ];
  for (const [what, a, b] of DIFFERENT) {
    test(`differ for ${what}`, () => {
      assert.notEqual(keysOf(a).token, keysOf(b).token);
    });
  }

  test('do not depend on settings that do not change the token (an unrelated profile, the order of keys)', () => {
    const extra = `${CONFIG}\n  [profile unrelated]\n  region = eu-west-1\n`;
    assert.equal(
      keysOf({ input: { profile: 'dev' } }).token,
      keysOf({ input: { profile: 'dev' }, config: extra }).token,
    );
    assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: undefined }] }), canonicalJson({ a: [1, { d: 2 }], b: 1 }));
  });
});
