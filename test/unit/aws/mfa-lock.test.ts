/**
 * The lock of an MFA step while its holder waits at the prompt, on a real cache directory with a
 * short lock bound (200 ms) and a prompt that takes longer than that: concurrent calls wait for the
 * session it makes instead of breaking its lock, prompting again or failing. And the hint for a
 * code that STS refuses.
 */
import { defaultStoreOptions } from '../../../src/cli/deps';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stsError } from '../../../src/aws/sts-client';
import { executePlan } from '../../../src/aws/credentials';
import { planCredentials } from '../../../src/aws/profile-chain';
import { loadAwsConfigFiles } from '../../../src/aws/config';
import { acquireLock, LockBusyError, type LockOptions } from '../../../src/cache/lock';
import { openCache } from '../../../src/cache/store';
import { getToken } from '../../../src/usecases/token';
import { ExitCode, type EksAuthError } from '../../../src/errors';
import type { PromptPort, StsEndpoint } from '../../../src/ports';
import { fakeDeps, type FakeDeps } from '../../helpers/fake-deps';

const CONFIG = `
  [profile base]
  aws_access_key_id = AKIAMFALOCKBASE00001
  aws_secret_access_key = base/secret+key

  [profile admin]
  role_arn = arn:aws:iam::222222222222:role/admin
  source_profile = base
  mfa_serial = arn:aws:iam::111111111111:mfa/me
`;
const NOT_INTERACTIVE = '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
const SHORT_BOUND_MS = 200;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-auth-mfa-lock-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A process of its own (pid), on the shared cache directory, with the short lock bound and real time. */
function caller(pid: number, prompt?: PromptPort): FakeDeps {
  // Today's date for the entries: the store prunes by the lock's clock, which is real here.
  const deps = fakeDeps({ config: CONFIG, now: new Date(), env: { AWS_REGION: 'us-east-1', KUBECACHEDIR: root } });
  if (prompt) {
    deps.prompt = prompt;
    deps.stdinIsTerminal = () => true;
  }
  deps.cache = openCache(deps, {
    ...defaultStoreOptions(deps),
    lock: { now: Date.now, sleep, isAlive: () => true, pid, host: 'here', maxWaitMs: SHORT_BOUND_MS, pollMs: 5 },
  });
  return deps;
}

/** A person who takes `ms` to type the code; records every question. */
function slowPerson(ms: number, code = '123456'): PromptPort & { questions: string[] } {
  const questions: string[] = [];
  return {
    questions,
    async ask(question) {
      questions.push(question);
      await sleep(ms);
      return code;
    },
  };
}

describe('the MFA lock while its holder is at the prompt', () => {
  test('a concurrent non-interactive call and a concurrent interactive one wait for its session: no second prompt, no failure', async () => {
    const person = slowPerson(6 * SHORT_BOUND_MS);
    const holder = caller(1001, person);
    const nobody = {
      questions: [] as string[],
      ask: async (q: string) => {
        nobody.questions.push(q);
        return '000000';
      },
    };
    const interactive = caller(1002, nobody);
    const background = caller(1003);

    const first = getToken({ clusterId: 'demo', output: 'token', profile: 'admin' }, holder);
    await sleep(SHORT_BOUND_MS / 2); // the holder is at its prompt now
    const [a, b, c] = await Promise.all([
      first,
      getToken({ clusterId: 'prod', output: 'token', profile: 'admin' }, interactive),
      getToken({ clusterId: 'other', output: 'token', profile: 'admin', execInfo: NOT_INTERACTIVE }, background),
    ]);
    for (const token of [a, b, c]) assert.match(token, /^k8s-aws-v1\./);
    assert.equal(person.questions.length, 1);
    assert.deepEqual(nobody.questions, [], 'the second interactive call did not prompt');
    const mfaCalls = [holder, interactive, background].flatMap((d) =>
      d.stsFake.assumeRoleCalls().filter((call) => call.request.tokenCode),
    );
    assert.equal(mfaCalls.length, 1, 'one AssumeRole with a code');
    for (const d of [interactive, background]) {
      assert.ok(!d.log.messages().some((line) => /broke the lock/.test(line)), d.log.messages().join('\n'));
      assert.equal(d.log.warnings.length, 0, d.log.warnings.join('\n'));
    }
  });

  test('a holder that stops renewing its lock (suspended, hung) is broken after the bound, even by a patient waiter', async () => {
    const path = join(root, `${'e'.repeat(64)}.lock`);
    const at = Date.now();
    writeFileSync(path, JSON.stringify({ pid: 4242, host: 'here', at, nonce: 'aaaaaaaaaaaa' }));
    const broken: string[] = [];
    const options: LockOptions = {
      now: Date.now,
      sleep,
      isAlive: () => true,
      pid: 1,
      host: 'here',
      maxWaitMs: SHORT_BOUND_MS,
      pollMs: 5,
      onBreak: (r) => broken.push(r),
    };
    const held = await acquireLock(path, options, { patientMs: 60_000 });
    held.release();
    assert.equal(broken.length, 1);
    assert.match(broken[0] as string, /its holder \(pid 4242\) has not renewed it for 0 s/);
  });

  test('a patient waiter whose patience runs out while the holder is alive gets LockBusyError, not a broken lock', async () => {
    const path = join(root, `${'f'.repeat(64)}.lock`);
    writeFileSync(path, JSON.stringify({ pid: 4242, host: 'here', at: Date.now(), nonce: 'aaaaaaaaaaaa' }));
    // The holder renews its lock as a live one does.
    let renewed = Date.now() / 1000;
    const timer = setInterval(() => {
      renewed += 1;
      utimesSync(path, renewed - 1, renewed);
    }, SHORT_BOUND_MS / 4);
    try {
      const options: LockOptions = {
        now: Date.now,
        sleep,
        isAlive: () => true,
        pid: 1,
        host: 'here',
        maxWaitMs: SHORT_BOUND_MS,
        pollMs: 5,
      };
      await assert.rejects(acquireLock(path, options, { patientMs: 3 * SHORT_BOUND_MS }), (err: unknown) => {
        assert.ok(err instanceof LockBusyError);
        assert.equal(err.holderPid, 4242);
        return true;
      });
    } finally {
      clearInterval(timer);
    }
  });
});

describe('a wrong MFA code', () => {
  const ENDPOINT: StsEndpoint = {
    url: 'https://sts.us-east-1.amazonaws.com',
    host: 'sts.us-east-1.amazonaws.com',
    signingRegion: 'us-east-1',
    region: 'us-east-1',
    partition: 'aws',
  };
  // The message STS sends for a code that is wrong or already used (AssumeRole, HTTP 403).
  const refusals = [
    'MultiFactorAuthentication failed with invalid MFA one time pass code. ',
    'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.',
  ];

  for (const message of refusals) {
    test(`gets its own hint, not the trust-policy one: ${message.slice(0, 60)}…`, async () => {
      const deps = fakeDeps({ config: CONFIG, env: { AWS_REGION: 'us-east-1' }, promptAnswers: ['123456'] });
      deps.stsFake.failWith = stsError(
        { name: 'AccessDenied', message, $metadata: { httpStatusCode: 403 } },
        ENDPOINT,
        'AssumeRole',
      );
      const files = loadAwsConfigFiles(deps);
      const plan = planCredentials({ profileFlag: 'admin', env: deps.env, files });
      await assert.rejects(
        executePlan(plan, { files, endpoint: ENDPOINT, interactive: true }, deps),
        (err: EksAuthError) => {
          assert.equal(err.exitCode, ExitCode.credentials);
          assert.equal(err.reason, 'mfa-invalid');
          assert.match(
            err.message,
            /^could not assume role arn:aws:iam::222222222222:role\/admin \(profile "admin"\): AccessDenied: MultiFactorAuthentication failed/,
          );
          assert.equal(
            err.hint,
            'the MFA code was wrong, already used or expired, or mfa_serial is not your device: wait for the next code and retry',
          );
          assert.doesNotMatch(err.hint ?? '', /trust policy/);
          return true;
        },
      );
    });
  }

  test('an AccessDenied that is not about the code keeps the trust-policy hint', () => {
    const err = stsError(
      {
        name: 'AccessDenied',
        message: 'User: x is not authorized to perform: sts:AssumeRole',
        $metadata: { httpStatusCode: 403 },
      },
      ENDPOINT,
      'AssumeRole',
    );
    assert.match(err.hint ?? '', /trust policy/);
  });
});
