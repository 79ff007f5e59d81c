import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsConfigFiles } from '../../../src/aws/config';
import { executePlan } from '../../../src/aws/credentials';
import { resolveAwsTarget } from '../../../src/aws/resolve';
import { callerSessionName, defaultSessionName, localUserName } from '../../../src/aws/session-name';
import type { Env } from '../../../src/ports';
import { fakeDeps } from '../../helpers/fake-deps';

/** STS's RoleSessionName pattern and length, from the AssumeRole API reference. */
const STS_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

describe('defaultSessionName', () => {
  const rows: { env: Env; userName?: string; expected: string }[] = [
    { env: { USER: 'alice' }, expected: 'eks-auth-alice' },
    // Python's getpass.getuser order: LOGNAME, USER, LNAME, USERNAME.
    { env: { USER: 'alice', LOGNAME: 'al' }, expected: 'eks-auth-al' },
    { env: { LNAME: 'lee', USERNAME: 'win' }, expected: 'eks-auth-lee' },
    { env: { USERNAME: 'winuser' }, expected: 'eks-auth-winuser' },
    { env: { USER: '', USERNAME: 'winuser' }, expected: 'eks-auth-winuser' },
    // Characters STS refuses become '-'.
    { env: { USERNAME: 'CORP\\alice smith' }, expected: 'eks-auth-CORP-alice-smith' },
    { env: { USER: 'first.last+eks@example.com' }, expected: 'eks-auth-first.last+eks@example.com' },
    // The password database, when no variable is set.
    { env: {}, userName: 'daemon', expected: 'eks-auth-daemon' },
    // No usable name: the fallback.
    { env: {}, expected: 'eks-auth' },
    { env: { USER: 'ñ' }, expected: 'eks-auth' },
    { env: { USER: '---' }, expected: 'eks-auth' },
  ];
  for (const row of rows) {
    test(`${JSON.stringify(row.env)}${row.userName ? ` with passwd ${row.userName}` : ''} gives ${row.expected}`, () => {
      const name = defaultSessionName({ env: row.env, ...(row.userName ? { userName: () => row.userName } : {}) });
      assert.equal(name, row.expected);
      assert.match(name, STS_SESSION_NAME);
    });
  }

  test("is cut to STS's 64 characters", () => {
    const name = defaultSessionName({ env: { USER: 'u'.repeat(100) } });
    assert.equal(name, `eks-auth-${'u'.repeat(55)}`);
    assert.equal(name.length, 64);
  });

  test('asks the password database only when no variable names the user', () => {
    let asked = 0;
    const userName = () => {
      asked++;
      return 'fromdb';
    };
    assert.equal(localUserName({ env: { USER: 'alice' }, userName }), 'alice');
    assert.equal(asked, 0);
    assert.equal(localUserName({ env: {}, userName }), 'fromdb');
    assert.equal(asked, 1);
  });
});

describe('callerSessionName', () => {
  const id = (arn: string) => ({ account: '111122223333', arn, userId: 'X' });
  test('is the session of an assumed-role ARN', () => {
    assert.equal(
      callerSessionName(id('arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com')),
      'alice@example.com',
    );
  });
  test("is a federated user's name", () => {
    assert.equal(callerSessionName(id('arn:aws:sts::111122223333:federated-user/bob')), 'bob');
  });
  test('is none for IAM users, roots and garbage', () => {
    assert.equal(callerSessionName(id('arn:aws:iam::111122223333:user/tester')), undefined);
    assert.equal(callerSessionName(id('arn:aws:iam::111122223333:root')), undefined);
    assert.equal(callerSessionName(id('not an arn')), undefined);
  });
});

describe('role sessions are named', () => {
  const CONFIG = `
    [default]
    region = us-east-1
    aws_access_key_id = AKIAKEYTESTBASE00001
    aws_secret_access_key = base/secret
    [profile chained]
    role_arn = arn:aws:iam::111122223333:role/mid
    source_profile = default
  `;
  const ROLE = 'arn:aws:iam::111122223333:role/deploy';

  async function sessionNames(
    input: Parameters<typeof resolveAwsTarget>[0],
    env: Env,
    caller?: string,
  ): Promise<string[]> {
    const deps = fakeDeps({ config: CONFIG, env: { AWS_REGION: 'us-east-1', ...env } });
    if (caller) deps.stsFake.callerIdentity = { account: '111122223333', arn: caller, userId: 'AROAEXAMPLE:x' };
    const target = resolveAwsTarget(input, deps);
    await executePlan(
      target.plan,
      { files: loadAwsConfigFiles(deps), endpoint: target.stsEndpoint, interactive: false },
      deps,
    );
    return deps.stsFake.assumeRoleCalls().map((c) => c.request.roleSessionName);
  }

  test('eks-auth-<user> for --role-arn and profile hops without a name', async () => {
    assert.deepEqual(await sessionNames({ roleArn: ROLE }, { USER: 'alice' }), ['eks-auth-alice']);
    assert.deepEqual(await sessionNames({ profile: 'chained', roleArn: ROLE }, { USER: 'alice' }), [
      'eks-auth-alice',
      'eks-auth-alice',
    ]);
  });

  test('--session-name wins', async () => {
    assert.deepEqual(await sessionNames({ roleArn: ROLE, sessionName: 'ci-run' }, { USER: 'alice' }), ['ci-run']);
  });

  test("--forward-session-name forwards the caller's own session name", async () => {
    const caller = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0123/carol@example.com';
    assert.deepEqual(await sessionNames({ roleArn: ROLE, forwardSessionName: true }, { USER: 'alice' }, caller), [
      'carol@example.com',
    ]);
  });

  test('--forward-session-name falls back to eks-auth-<user> for an IAM user caller', async () => {
    const caller = 'arn:aws:iam::111122223333:user/tester';
    assert.deepEqual(await sessionNames({ roleArn: ROLE, forwardSessionName: true }, { USER: 'alice' }, caller), [
      'eks-auth-alice',
    ]);
  });
});
