import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

describe('role-session (chain step) keys', () => {
  test('are the same for any cluster, so a new cluster reuses the role sessions', () => {
    assert.deepEqual(
      keysOf({ input: { profile: 'admin' }, cluster: 'demo' }).chain,
      keysOf({ input: { profile: 'admin' }, cluster: 'prod' }).chain,
    );
  });

  test('are the same in every region of a partition, so `login` in one region serves clusters in all', () => {
    const east = keysOf({ input: { profile: 'admin', region: 'us-east-1' } }).chain;
    assert.deepEqual(keysOf({ input: { profile: 'admin', region: 'eu-west-1' } }).chain, east);
    assert.notDeepEqual(keysOf({ input: { profile: 'admin', region: 'cn-north-1' } }).chain, east);
    assert.notDeepEqual(
      keysOf({ input: { profile: 'admin' }, env: { AWS_ENDPOINT_URL_STS: 'https://127.0.0.1:4566' } }).chain,
      east,
    );
    // Global-endpoint session tokens are not valid in opt-in regions by default: kept apart.
    assert.notDeepEqual(
      keysOf({ input: { profile: 'admin' }, env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' } }).chain,
      east,
    );
  });

  test('share the prefix of a chain: the hop of profile dev is the first hop of profile admin', () => {
    const dev = keysOf({ input: { profile: 'dev' } }).chain as string[];
    const admin = keysOf({ input: { profile: 'admin' } }).chain as string[];
    assert.equal(dev.length, 1);
    assert.equal(admin.length, 2);
    assert.equal(admin[0], dev[0]);
  });

  test('belong to one source identity: other source keys give other sessions', () => {
    const a = keysOf({ input: { profile: 'dev' } }).chain as string[];
    const b = keysOf({ input: { profile: 'dev' }, config: CONFIG.replace('base/secret+key', 'base/rotated+key') })
      .chain as string[];
    assert.notEqual(a[0], b[0]);
  });

  test('cover the web identity session and follow its token file', () => {
    const first = keysOf({ input: { profile: 'irsa' } }).chain as string[];
    assert.equal(first.length, 1);
    assert.notDeepEqual(keysOf({ input: { profile: 'irsa' }, files: { '/var/run/token': 'jwt-2' } }).chain, first);
  });

  // The default session name is eks-auth-<user>: a session cached under one user's name must not be
  // handed out under another's (CloudTrail and EKS's {{SessionName}} username would name the wrong person).
  test('follow the default session name, which is the local user name', () => {
    const alice = keysOf({ input: { profile: 'dev' }, env: { USER: 'alice' } }).chain as string[];
    assert.deepEqual(keysOf({ input: { profile: 'dev' }, env: { USER: 'alice' } }).chain, alice);
    assert.notDeepEqual(keysOf({ input: { profile: 'dev' }, env: { USER: 'bob' } }).chain, alice);
    assert.notDeepEqual(
      keysOf({ input: { profile: 'irsa' }, env: { USER: 'bob' } }).chain,
      keysOf({ input: { profile: 'irsa' }, env: { USER: 'alice' } }).chain,
    );
    const role = 'arn:aws:iam::111122223333:role/deploy';
    assert.notDeepEqual(
      keysOf({ input: { profile: 'base', roleArn: role }, env: { USER: 'bob' } }).chain,
      keysOf({ input: { profile: 'base', roleArn: role }, env: { USER: 'alice' } }).chain,
    );
    // A name given explicitly is the same session whoever runs it.
    assert.deepEqual(
      keysOf({ input: { profile: 'base', roleArn: role, sessionName: 'ci' }, env: { USER: 'bob' } }).chain,
      keysOf({ input: { profile: 'base', roleArn: role, sessionName: 'ci' }, env: { USER: 'alice' } }).chain,
    );
  });

  test('keep a forwarded session name apart from the default one', () => {
    const role = 'arn:aws:iam::111122223333:role/deploy';
    const forwarded = keysOf({
      input: { profile: 'base', roleArn: role, forwardSessionName: true },
      env: { USER: 'alice' },
    }).chain as string[];
    assert.notDeepEqual(keysOf({ input: { profile: 'base', roleArn: role }, env: { USER: 'alice' } }).chain, forwarded);
    // The forwarded name follows from the source identity, which the key already covers: not from the user.
    assert.deepEqual(
      keysOf({ input: { profile: 'base', roleArn: role, forwardSessionName: true }, env: { USER: 'bob' } }).chain,
      forwarded,
    );
  });

  test('do not exist for plain keys: there is no STS session to cache', () => {
    assert.equal(keysOf({ input: { profile: 'base' } }).chain, undefined);
    assert.equal(keysOf({ env: ENV_KEYS }).chain, undefined);
  });
});

test('a source that cannot be identified (missing web identity token file) is not cached at all', () => {
  const deps = fakeDeps({ config: CONFIG, env: BASE_ENV });
  const target = resolveAwsTarget({ profile: 'irsa' }, deps);
  assert.equal(sourceIdentity(target.plan, target.files, deps), undefined);
});
