/**
 * A cold `token` whose cache writes fail, as on a full disk: simulated with `ulimit -f 0`, under
 * which every byte written to a file fails (the shell's file size limit; SIGXFSZ, ignored by
 * eks-auth, would otherwise kill it). The call still prints its token, with one warning, and leaves
 * nothing in the cache directory that a later call would wait on.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBuilt } from '../helpers/built-cli';
import { runCommand } from '../peers/peers';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'eks-auth-disk-full-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('under ulimit -f 0 a cold token is printed with one warning, and no lock or temp file is left', {
  skip: process.platform === 'win32' && 'ulimit',
}, async () => {
  // Temporary keys from a credential_process: a token worth caching, and no network needed.
  const command = join(dir, 'creds.sh');
  const expiration = new Date(Date.now() + 3600_000).toISOString();
  writeFileSync(
    command,
    `#!/bin/sh\necho '{"Version":1,"AccessKeyId":"ASIADISKFULL00000001","SecretAccessKey":"disk/full/secret","SessionToken":"disk-full-session","Expiration":"${expiration}"}'\n`,
  );
  chmodSync(command, 0o700);
  writeFileSync(join(dir, 'config'), `[profile p]\nregion = us-east-1\ncredential_process = ${command}\n`);
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
    KUBECACHEDIR: join(dir, 'kube'),
  };
  const cacheDir = join(dir, 'kube', 'eks-auth');
  const args = [ensureBuilt(), 'token', '--cluster', 'demo', '--profile', 'p', '--token-only'];

  const full = await runCommand('sh', ['-c', 'ulimit -f 0; exec "$@"', 'sh', process.execPath, ...args], {
    env,
    timeoutMs: 30_000,
  });
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stdout, /^k8s-aws-v1\./);
  assert.match(full.stderr, /^warning: not using the cache: cannot lock .*: EFBIG/m);
  assert.equal(full.stderr.trim().split('\n').length, 1, full.stderr);
  assert.deepEqual(existsSync(cacheDir) ? readdirSync(cacheDir) : [], [], 'nothing left in the cache directory');

  // With room again, the next call takes its lock at once and caches its token.
  const next = await runCommand(process.execPath, args, { env, timeoutMs: 30_000 });
  assert.equal(next.code, 0, next.stderr);
  assert.equal(next.stderr, '');
  assert.equal(readdirSync(cacheDir).filter((n) => n.endsWith('.json')).length, 1);
});
