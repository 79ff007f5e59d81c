/**
 * credential_process through the built CLI, with real commands: one that reads stdin, one that
 * fails with its own explanation on stderr, one that returns long-lived keys (no Expiration).
 * eks-auth's stdin is a closed pipe here, as kubectl gives a non-interactive plugin /dev/null.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runEksAuth } from '../helpers/built-cli';

const SECRET = 'CredProcSecretKey/0123456789abcdefXYZ';
const SKIP = process.platform === 'win32' && 'sh scripts';

describe('credential_process', { skip: SKIP }, () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'eks-auth-cred-process-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A profile `p` whose credential_process is this shell script; returns the environment to run with. */
  function profileRunning(script: string): NodeJS.ProcessEnv {
    const dir = mkdtempSync(join(root, 'case-'));
    const command = join(dir, 'creds.sh');
    writeFileSync(command, `#!/bin/sh\n${script}\n`);
    chmodSync(command, 0o700);
    writeFileSync(join(dir, 'config'), `[profile p]\nregion = us-east-1\ncredential_process = ${command}\n`);
    return {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      KUBECACHEDIR: join(dir, 'cache'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  const answer = (expiration?: string) =>
    JSON.stringify({
      Version: 1,
      AccessKeyId: 'AKIACREDPROCESS00001',
      SecretAccessKey: SECRET,
      ...(expiration ? { Expiration: expiration } : {}),
    });

  test("a command that reads stdin to its end finishes (it inherits eks-auth's stdin, as with botocore)", async () => {
    const env = profileRunning(`cat >/dev/null\necho '${answer()}'`);
    // Before, the command got a pipe that nobody closed, and `cat` waited forever.
    const result = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'p', '--token-only'], env, {
      timeoutMs: 30_000,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^k8s-aws-v1\.[A-Za-z0-9_-]+\n$/);
  });

  test('a failing command: its exit status and last stderr lines, redacted, once, without --verbose', async () => {
    const lines = Array.from({ length: 7 }, (_, i) => `corp-login: step ${i + 1}`);
    lines[5] = 'corp-login: cached k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8 is stale';
    lines[6] = 'corp-login: token expired, run corp-login';
    const env = profileRunning(`${lines.map((l) => `echo '${l}' >&2`).join('\n')}\nexit 3`);
    const plain = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'p'], env, { timeoutMs: 30_000 });
    assert.equal(plain.code, 4);
    assert.match(
      plain.stderr,
      /^error: credential_process of profile "p" failed: it exited with status 3; its last stderr lines:\n/,
    );
    assert.ok(plain.stderr.includes('  | corp-login: token expired, run corp-login\n'), plain.stderr);
    // Bounded: the last five lines only.
    assert.ok(plain.stderr.includes('  | corp-login: step 3\n') && !plain.stderr.includes('step 2\n'), plain.stderr);
    // Through the stderr redactor: a bearer token the command printed does not reach the terminal.
    assert.ok(plain.stderr.includes('  | corp-login: cached k8s-aws-v1.[redacted] is stale\n'), plain.stderr);
    assert.ok(!plain.stderr.includes(join(env.HOME as string, 'creds.sh')), 'the command line is not quoted');

    const verbose = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'p', '--verbose'], env, {
      timeoutMs: 30_000,
    });
    assert.equal(verbose.code, 4);
    assert.equal(
      verbose.stderr.split('token expired, run corp-login').length - 1,
      1,
      `printed once:\n${verbose.stderr}`,
    );
  });

  test('a token signed with long-lived keys from the command is not cached; one from temporary keys is', async () => {
    const longLived = profileRunning(`echo '${answer()}'`);
    const first = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'p'], longLived, { timeoutMs: 30_000 });
    assert.equal(first.code, 0, first.stderr);
    const cacheDir = join(longLived.KUBECACHEDIR as string, 'eks-auth');
    const entries = existsSync(cacheDir) ? readdirSync(cacheDir).filter((n) => n.endsWith('.json')) : [];
    assert.deepEqual(entries, [], 'no token from long-lived keys on disk');

    // The same command with an Expiration: its token is cached (so the check above can fail).
    const temporary = profileRunning(`echo '${answer(new Date(Date.now() + 3600_000).toISOString())}'`);
    const second = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'p'], temporary, { timeoutMs: 30_000 });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      readdirSync(join(temporary.KUBECACHEDIR as string, 'eks-auth')).filter((n) => n.endsWith('.json')).length,
      1,
    );
  });
});
