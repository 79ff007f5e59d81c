/** `eks-auth login` on a real temp cache directory: sessions cached once, reused by token, refreshed with --force. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listCache, type CacheDeps, type CacheListing } from '../../../src/usecases/cache';
import { login } from '../../../src/usecases/login';
import { getToken } from '../../../src/usecases/token';
import { openCache } from '../../../src/cache/store';
import { defaultStoreOptions } from '../../../src/cli/deps';
import { ExitCode, type EksAuthError } from '../../../src/errors';
import { fakeDeps, type FakeDeps, type FakeDepsOptions } from '../../helpers/fake-deps';
import { awsConfig, role, staticKeys } from '../../helpers/aws-config';

const CONFIG = awsConfig({
  base: staticKeys('AKIACACHECMDBASE0001'),
  dev: role('arn:aws:iam::111111111111:role/dev', 'base'),
  admin: role('arn:aws:iam::222222222222:role/admin', 'dev', { mfa_serial: 'arn:aws:iam::111111111111:mfa/me' }),
  sso: { sso_session: 'corp', sso_account_id: '111111111111', sso_role_name: 'Dev' },
  'sso-session corp': { sso_start_url: 'https://corp.awsapps.com/start', sso_region: 'us-east-1' },
});
const NOT_INTERACTIVE = '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-auth-cache-cmd-'));
  dir = join(root, 'eks-auth');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function setup(options: FakeDepsOptions = {}): FakeDeps & CacheDeps {
  const deps = fakeDeps({
    config: CONFIG,
    ...options,
    env: { AWS_REGION: 'us-east-1', KUBECACHEDIR: root, ...options.env },
  });
  // A person runs login: stdin is a terminal unless a test says otherwise.
  deps.stdinIsTerminal = () => options.stdinIsTerminal ?? true;
  const store = defaultStoreOptions(deps);
  deps.cache = openCache(deps, store);
  return Object.assign(deps, { store });
}

function listing(text: string): CacheListing[] {
  return (JSON.parse(text) as { entries: CacheListing[] }).entries;
}

describe('login', () => {
  test('prompts for the MFA code once and caches the chain; kubectl calls then need no prompt', async () => {
    const deps = setup({ promptAnswers: ['123456'] });
    const message = await login({ profile: 'admin', force: false }, deps);
    assert.equal(
      message,
      'profile "admin": the session of arn:aws:iam::222222222222:role/admin is cached until 2026-01-01T01:00:00Z; eks-auth token reuses it without a prompt until then\n',
    );
    assert.deepEqual(deps.promptFake?.questions, ['Enter MFA code for arn:aws:iam::111111111111:mfa/me: ']);
    await getToken({ clusterId: 'demo', output: 'json', profile: 'admin', execInfo: NOT_INTERACTIVE }, deps);
    await getToken({ clusterId: 'prod', output: 'json', profile: 'admin', execInfo: NOT_INTERACTIVE }, deps);
    assert.equal(deps.stsFake.assumeRoleCalls().length, 2, 'dev and admin, once each');
  });

  test('reuses a still-good session, and --force starts a new one', async () => {
    const deps = setup({ promptAnswers: ['123456', '654321'] });
    await login({ profile: 'admin', force: false }, deps);
    await login({ profile: 'admin', force: false }, deps);
    assert.equal(deps.promptFake?.questions.length, 1);
    await login({ profile: 'admin', force: true }, deps);
    assert.deepEqual(
      deps.stsFake.assumeRoleCalls().map((c) => c.request.tokenCode ?? '-'),
      ['-', '123456', '-', '654321'],
    );
  });

  test('without a terminal for the MFA code: exit 4, and only the hop below the MFA hop is cached', async () => {
    const deps = setup({ stdinIsTerminal: false });
    await assert.rejects(
      login({ profile: 'admin', force: false }, deps),
      (err: EksAuthError) => err.exitCode === ExitCode.credentials,
    );
    assert.deepEqual(
      listing(await listCache({ json: true }, deps)).map((e) => `${e.kind} ${e.labels?.profile}`),
      ['credentials dev'],
    );
  });

  test('with the cache turned off: a usage error that names the switch', async () => {
    const deps = setup();
    delete deps.cache;
    await assert.rejects(login({ profile: 'dev', force: false }, deps), (err: EksAuthError) => {
      assert.equal(err.exitCode, ExitCode.usage);
      assert.match(err.hint ?? '', /EKS_AUTH_NO_CACHE/);
      return true;
    });
  });

  test('for a profile without a role session: says there is nothing to cache, and for SSO points to aws sso login', async () => {
    const deps = setup();
    await assert.rejects(login({ profile: 'base', force: false }, deps), /profile "base" has no role session to cache/);
    await assert.rejects(login({ profile: 'sso', force: false }, deps), (err: EksAuthError) => {
      assert.equal(err.hint, 'its credentials come from SSO: run `aws sso login --profile sso`');
      return true;
    });
  });

  test('fails when the cache refuses to store (an unsafe directory)', async () => {
    const deps = setup({ promptAnswers: ['123456'] });
    await getToken({ clusterId: 'demo', output: 'json', profile: 'dev' }, deps);
    chmodSync(dir, 0o755);
    const fresh = setup({ promptAnswers: ['123456'] });
    await assert.rejects(login({ profile: 'admin', force: false }, fresh), /could not be cached/);
    assert.equal(fresh.log.warnings.length, 1);
  });
});
