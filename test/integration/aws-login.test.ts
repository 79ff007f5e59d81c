/**
 * Profiles written by `aws login` (AWS CLI 2.32 and later): `login_session` in the profile, the
 * session cached under ~/.aws/login/cache. The built CLI signs with a cached, unexpired session and
 * makes no network call for it.
 *
 * The cache file is built the way @aws-sdk/credential-provider-login reads it (its
 * LoginCredentialsFetcher.loadToken and getTokenFilePath, in the installed package's
 * dist-cjs/index.js): `<AWS_LOGIN_CACHE_DIRECTORY or ~/.aws/login/cache>/<hex SHA-256 of the
 * login_session value>.json`, a JSON object with `accessToken` {accessKeyId, secretAccessKey,
 * sessionToken, accountId, expiresAt}, `clientId`, `refreshToken` and `dpopKey` (a PEM SEC1 P-256
 * private key), which is what the AWS CLI writes there.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runEksAuth, tokenUrl } from '../helpers/built-cli';

const LOGIN_SESSION = 'arn:aws:iam::111122223333:user/alice';
const ACCESS_KEY_ID = 'ASIALOGINSESSION0001';
const SECRET = 'LoginSessionSecret/0123456789abcdefXYZ+';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjELoginSessionToken0123456789';

describe('aws login profiles', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let cacheFile: string;
  let expiresAt: Date;

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'eks-auth-aws-login-'));
    mkdirSync(join(home, '.aws', 'login', 'cache'), { recursive: true });
    writeFileSync(join(home, '.aws', 'config'), `[profile p]\nlogin_session = ${LOGIN_SESSION}\nregion = us-east-1\n`);
    expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 60 * 60_000);
    const dpopKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ format: 'pem', type: 'sec1' })
      .toString();
    cacheFile = join(
      home,
      '.aws',
      'login',
      'cache',
      `${createHash('sha256').update(LOGIN_SESSION, 'utf8').digest('hex')}.json`,
    );
    writeFileSync(
      cacheFile,
      JSON.stringify({
        accessToken: {
          accessKeyId: ACCESS_KEY_ID,
          secretAccessKey: SECRET,
          sessionToken: SESSION_TOKEN,
          accountId: '111122223333',
          expiresAt: expiresAt.toISOString(),
        },
        tokenType: 'aws_sigv4',
        clientId: 'arn:aws:signin:::devtools/same-device',
        refreshToken: 'login-refresh-token-not-used-while-valid',
        dpopKey,
      }),
      { mode: 0o600 },
    );
    env = {
      PATH: process.env.PATH,
      HOME: home,
      USERPROFILE: home,
      KUBECACHEDIR: join(home, '.kube', 'cache'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('signs with the cached session of the profile, and leaves the session file as it was', async () => {
    const before = readFileSync(cacheFile, 'utf8');
    const result = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'p'], env, { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const credential = JSON.parse(result.stdout) as { status: { token: string; expirationTimestamp: string } };
    const url = tokenUrl(credential.status.token);
    assert.equal(url.host, 'sts.us-east-1.amazonaws.com');
    assert.match(
      url.searchParams.get('X-Amz-Credential') ?? '',
      new RegExp(`^${ACCESS_KEY_ID}/\\d{8}/us-east-1/sts/aws4_request$`),
    );
    assert.equal(url.searchParams.get('X-Amz-Security-Token'), SESSION_TOKEN);
    // The session lasts an hour, so the token gets its full 14 minutes.
    const expires = Date.parse(credential.status.expirationTimestamp);
    assert.ok(expires <= expiresAt.getTime() - 60_000, credential.status.expirationTimestamp);
    assert.ok(!result.stderr.includes(SECRET) && !result.stderr.includes(SESSION_TOKEN));
    assert.equal(readFileSync(cacheFile, 'utf8'), before, 'a valid session is not refreshed');
  });

  test('--verbose names the source; a missing session says to run aws login', async () => {
    const verbose = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'p', '--verbose', '--no-cache'], env, {
      timeoutMs: 60_000,
    });
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stderr, /credentials: using aws login session of profile "p"/);

    const moved = `${cacheFile}.away`;
    writeFileSync(moved, readFileSync(cacheFile));
    rmSync(cacheFile);
    try {
      const missing = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'p', '--no-cache'], env, {
        timeoutMs: 60_000,
      });
      assert.equal(missing.code, 4, missing.stderr);
      assert.match(missing.stderr, /error: could not get the credentials of the aws login session of profile "p"/);
      assert.match(missing.stderr, /hint: if the session has expired or was revoked, run: aws login --profile p/);
    } finally {
      writeFileSync(cacheFile, readFileSync(moved));
    }
  });
});
