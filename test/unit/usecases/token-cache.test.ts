/**
 * `eks-auth token` with the cache: the token and each role session are reused until their expiry
 * minus a margin, measured with an injected clock; the cache is a real temp directory.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getToken, tokenExpiration, type TokenInput } from '../../../src/usecases/token';
import { openCache } from '../../../src/cache/store';
import { SIGNING_CREDENTIALS_MARGIN_MS, TOKEN_REFRESH_MARGIN_MS, usableUntil } from '../../../src/cache/expiry';
import { ExitCode, type EksAuthError } from '../../../src/errors';
import { decodeToken } from '../../../src/token/encode';
import { fakeDeps, FIXED_NOW, type FakeDeps, type FakeDepsOptions } from '../../helpers/fake-deps';
import { awsConfig, role, staticKeys } from '../../helpers/aws-config';

const MINUTE = 60_000;
const CONFIG = awsConfig({
  base: staticKeys('AKIACACHETESTBASE001', { region: 'us-east-1' }),
  hop1: role('arn:aws:iam::111111111111:role/hop1', 'base'),
  hop2: role('arn:aws:iam::222222222222:role/hop2', 'hop1'),
  hop3: role('arn:aws:iam::333333333333:role/hop3', 'hop2'),
  mfa: role('arn:aws:iam::444444444444:role/mfa', 'base', { mfa_serial: 'arn:aws:iam::111111111111:mfa/me' }),
  'above-mfa': role('arn:aws:iam::555555555555:role/above', 'mfa'),
  irsa: {
    role_arn: 'arn:aws:iam::666666666666:role/pod',
    web_identity_token_file: '/var/run/token',
    region: 'us-east-1',
  },
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eks-auth-cache-token-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Clock {
  t: number;
}

/** Fake deps over a real cache directory, with a clock the test moves; STS sessions last one hour. */
function setup(clock: Clock, options: FakeDepsOptions = {}): FakeDeps {
  const deps = fakeDeps({
    config: CONFIG,
    files: { '/var/run/token': 'jwt-1' },
    env: { AWS_REGION: 'us-east-1' },
    ...options,
  });
  deps.now = () => new Date(clock.t);
  // Sessions issued "now" by the moving clock, for one hour.
  const sts = deps.stsFake;
  const issue = sts.assumeRole.bind(sts);
  sts.assumeRole = async (...args) => {
    sts.expiration = new Date(clock.t + 60 * MINUTE);
    return issue(...args);
  };
  const issueWeb = sts.assumeRoleWithWebIdentity.bind(sts);
  sts.assumeRoleWithWebIdentity = async (...args) => {
    sts.expiration = new Date(clock.t + 60 * MINUTE);
    return issueWeb(...args);
  };
  deps.cache = openCache(deps, {
    dir,
    uid: process.getuid?.(),
    lock: {
      now: () => clock.t,
      sleep: async () => {},
      isAlive: () => true,
      pid: 1000,
      host: 'here',
      maxWaitMs: 10_000,
      pollMs: 15,
    },
  });
  return deps;
}

function input(overrides: Partial<TokenInput> = {}): TokenInput {
  return { clusterId: 'demo', output: 'json', ...overrides };
}

function parse(output: string): { apiVersion: string; status: { token: string; expirationTimestamp: string } } {
  return JSON.parse(output) as { apiVersion: string; status: { token: string; expirationTimestamp: string } };
}

function assumedRoles(deps: FakeDeps): string[] {
  return deps.stsFake.assumeRoleCalls().map((c) => c.request.roleArn.split('/')[1] as string);
}

describe('token cache', () => {
  test('reprints the cached token, with its original expiry, until 5 minutes before it expires', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    const first = parse(await getToken(input({ profile: 'hop1' }), deps));
    assert.equal(first.status.expirationTimestamp, '2026-01-01T00:14:00Z');

    clock.t += 9 * MINUTE - 1;
    const again = parse(await getToken(input({ profile: 'hop1' }), deps));
    assert.equal(again.status.token, first.status.token);
    assert.equal(again.status.expirationTimestamp, '2026-01-01T00:14:00Z');

    clock.t += 1;
    const renewed = parse(await getToken(input({ profile: 'hop1' }), deps));
    assert.notEqual(renewed.status.token, first.status.token);
    assert.equal(renewed.status.expirationTimestamp, '2026-01-01T00:23:00Z');
    // The role session was still good: renewing the token only signed again.
    assert.deepEqual(assumedRoles(deps), ['hop1']);
  });

  test('a hit answers in the apiVersion asked for now, and touches neither STS nor the SDK', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'hop3' }), deps);
    const loads = { ...deps.loads };
    const v1 = parse(
      await getToken(
        input({
          profile: 'hop3',
          execInfo: '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}',
        }),
        deps,
      ),
    );
    assert.equal(v1.apiVersion, 'client.authentication.k8s.io/v1');
    assert.deepEqual(deps.loads, loads);
    const bare = await getToken(input({ profile: 'hop3', output: 'token' }), deps);
    assert.equal(bare, `${v1.status.token}\n`);
  });

  test('asks whether stdin is a terminal (node:tty) only on a miss that may need an MFA code', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock, { promptAnswers: ['123456'] });
    let asked = 0;
    deps.stdinIsTerminal = () => {
      asked++;
      return true;
    };
    await getToken(input({ profile: 'hop1' }), deps);
    assert.equal(asked, 0, 'a chain without mfa_serial never prompts');
    await getToken(input({ profile: 'mfa' }), deps);
    assert.equal(asked, 1, 'a miss of an MFA chain asks');
    assert.equal(deps.stsFake.assumeRoleCalls().at(-1)?.request.tokenCode, '123456');
    await getToken(input({ profile: 'mfa' }), deps);
    assert.equal(asked, 1, 'a hit does not');
  });

  test('two clusters and two profiles each get their own token', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    const tokens = new Set<string>();
    for (const [profile, clusterId] of [
      ['hop1', 'demo'],
      ['hop1', 'prod'],
      ['hop2', 'demo'],
    ] as const) {
      tokens.add(parse(await getToken(input({ profile, clusterId }), deps)).status.token);
    }
    assert.equal(tokens.size, 3);
    const prod = parse(await getToken(input({ profile: 'hop1', clusterId: 'prod' }), deps)).status.token;
    assert.ok(tokens.has(prod), 'the prod token of hop1 is reused');
    assert.equal(new URL(decodeToken(prod)).host, 'sts.us-east-1.amazonaws.com');
  });

  test('without a cache every call signs again and assumes the role again', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    delete deps.cache;
    await getToken(input({ profile: 'hop1' }), deps);
    await getToken(input({ profile: 'hop1' }), deps);
    assert.deepEqual(assumedRoles(deps), ['hop1', 'hop1']);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a corrupt token entry is a miss: the call succeeds and rewrites it', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'hop1' }), deps);
    const tokenFile = readdirSync(dir).find((name) =>
      readFileSync(join(dir, name), 'utf8').includes('"kind":"token"'),
    ) as string;
    writeFileSync(join(dir, tokenFile), '{"version":1,"kind":"token","tok', { mode: 0o600 });
    clock.t += 1000;
    const output = parse(await getToken(input({ profile: 'hop1' }), deps));
    const stored = JSON.parse(readFileSync(join(dir, tokenFile), 'utf8')) as { token: string };
    assert.equal(stored.token, output.status.token);
    assert.deepEqual(deps.log.warnings, []);
  });

  test('an entry from a clock that has since gone back more than a minute is not trusted', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    const first = parse(await getToken(input({ profile: 'hop1' }), deps)).status.token;
    clock.t -= 2 * MINUTE;
    assert.notEqual(parse(await getToken(input({ profile: 'hop1' }), deps)).status.token, first);
  });

  test('environment and static keys are not cached: signing costs less than a cache read, and no token lands on disk', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock, {
      env: { AWS_ACCESS_KEY_ID: 'AKIACACHETESTENV0001', AWS_SECRET_ACCESS_KEY: 'env/secret', AWS_REGION: 'us-east-1' },
    });
    await getToken(input(), deps);
    await getToken(input({ profile: 'base' }), deps);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('role-session cache', () => {
  test('a 3-hop chain: one AssumeRole per hop cold, none warm, none for a new cluster', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'hop3' }), deps);
    assert.deepEqual(assumedRoles(deps), ['hop1', 'hop2', 'hop3']);
    await getToken(input({ profile: 'hop3' }), deps);
    await getToken(input({ profile: 'hop3', clusterId: 'another' }), deps);
    assert.deepEqual(assumedRoles(deps), ['hop1', 'hop2', 'hop3']);
  });

  test('serves the signing session while it has 15 minutes left, so every token gets its full 14', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'hop1' }), deps);
    clock.t = FIXED_NOW.getTime() + 45 * MINUTE - 1;
    const late = parse(await getToken(input({ profile: 'hop1', clusterId: 'late' }), deps));
    assert.deepEqual(assumedRoles(deps), ['hop1']);
    // Signed 45 min into a 60 min session: still the full 14 minutes.
    assert.equal(late.status.expirationTimestamp, '2026-01-01T00:58:59Z');
    clock.t += 1;
    await getToken(input({ profile: 'hop1', clusterId: 'later' }), deps);
    assert.deepEqual(assumedRoles(deps), ['hop1', 'hop1']);
  });

  test('the signing margin is exactly what a full-length token needs (tokenExpiration in src/usecases/token.ts)', () => {
    const signedAt = FIXED_NOW;
    const credentialsExpire = new Date(signedAt.getTime() + SIGNING_CREDENTIALS_MARGIN_MS);
    assert.equal(tokenExpiration(signedAt, credentialsExpire).getTime(), signedAt.getTime() + 14 * MINUTE);
  });

  test('margins never exceed half a lifetime: a 900 s session is still reused for 7.5 minutes', () => {
    const createdAt = FIXED_NOW;
    const expiresAt = new Date(createdAt.getTime() + 15 * MINUTE);
    assert.equal(
      usableUntil({ createdAt, expiresAt }, SIGNING_CREDENTIALS_MARGIN_MS).getTime(),
      createdAt.getTime() + 7.5 * MINUTE,
    );
    assert.equal(
      usableUntil(
        { createdAt, expiresAt: new Date(createdAt.getTime() + 14 * MINUTE) },
        TOKEN_REFRESH_MARGIN_MS,
      ).getTime(),
      createdAt.getTime() + 9 * MINUTE,
    );
  });

  test('renews only the hops that expired, each from the cached session below it', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'hop2' }), deps);
    // Both sessions have 10 minutes left: enough for hop1 to sign the next AssumeRole (5 min
    // margin), not for hop2 to sign a full-length token (15 min margin).
    clock.t = FIXED_NOW.getTime() + 50 * MINUTE;
    await getToken(input({ profile: 'hop2', clusterId: 'x' }), deps);
    const calls = deps.stsFake.assumeRoleCalls();
    assert.deepEqual(assumedRoles(deps), ['hop1', 'hop2', 'hop2']);
    assert.equal(
      calls[2]?.source.accessKeyId,
      calls[0]?.issued.accessKeyId,
      'hop2 renewed from the cached hop1 session',
    );
  });

  test('a profile chained through another reuses its cached hop', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'hop1' }), deps);
    await getToken(input({ profile: 'hop2' }), deps);
    assert.deepEqual(assumedRoles(deps), ['hop1', 'hop2']);
  });

  test('a web identity session is reused until the token file rotates', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'irsa' }), deps);
    await getToken(input({ profile: 'irsa', clusterId: 'other' }), deps);
    assert.equal(deps.stsFake.webIdentityCalls().length, 1);
    deps.files.set('/var/run/token', 'jwt-2');
    await getToken(input({ profile: 'irsa', clusterId: 'other' }), deps);
    const calls = deps.stsFake.webIdentityCalls();
    assert.deepEqual(
      calls.map((c) => c.request.webIdentityToken),
      ['jwt-1', 'jwt-2'],
    );
  });

  test('a miss reads the web identity token once to key the cache and once to send it; a hit reads it once', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    const tokenReads = () => deps.files.reads.filter((path) => path === '/var/run/token').length;
    await getToken(input({ profile: 'irsa' }), deps);
    assert.equal(tokenReads(), 2);
    await getToken(input({ profile: 'irsa' }), deps);
    assert.equal(tokenReads(), 3);
    assert.equal(deps.stsFake.webIdentityCalls().length, 1);
  });

  test('a corrupt role-session entry is a miss: the hop is assumed again and the entry rewritten', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'hop1' }), deps);
    for (const name of readdirSync(dir))
      writeFileSync(join(dir, name), readFileSync(join(dir, name), 'utf8').slice(0, 40), { mode: 0o600 });
    await getToken(input({ profile: 'hop1' }), deps);
    assert.deepEqual(assumedRoles(deps), ['hop1', 'hop1']);
    for (const name of readdirSync(dir))
      assert.doesNotThrow(() => JSON.parse(readFileSync(join(dir, name), 'utf8')), name);
  });

  test('cache entries never reach the log: no token, secret key or session token on stderr', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock);
    await getToken(input({ profile: 'hop2' }), deps);
    await getToken(input({ profile: 'hop2' }), deps);
    const issued = deps.stsFake.assumeRoleCalls().map((c) => c.issued);
    for (const line of deps.log.messages()) {
      assert.ok(!line.includes('k8s-aws-v1.'), line);
      for (const c of issued) {
        assert.ok(!line.includes(c.secretAccessKey) && !line.includes(c.sessionToken as string), line);
      }
    }
    for (const c of issued) assert.ok(deps.log.protectedValues.includes(c.secretAccessKey));
  });
});

describe('MFA with the cache', () => {
  const NOT_INTERACTIVE = '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
  const INTERACTIVE = '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}';

  test('prompts once; then non-interactive calls for any cluster reuse the MFA session', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock, { promptAnswers: ['123456'] });
    await getToken(input({ profile: 'mfa', execInfo: INTERACTIVE }), deps);
    const [call] = deps.stsFake.assumeRoleCalls();
    assert.equal(call?.request.serialNumber, 'arn:aws:iam::111111111111:mfa/me');
    assert.equal(call?.request.tokenCode, '123456');
    clock.t += 20 * MINUTE;
    await getToken(input({ profile: 'mfa', clusterId: 'b', execInfo: NOT_INTERACTIVE }), deps);
    await getToken(input({ profile: 'above-mfa', clusterId: 'c', execInfo: NOT_INTERACTIVE }), deps);
    assert.equal(deps.promptFake?.questions.length, 1);
    // The MFA hop served as the source of the hop above it.
    assert.deepEqual(assumedRoles(deps), ['mfa', 'above']);
  });

  test('non-interactive with nothing cached: exit 4 and the `eks-auth login` hint', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock, { promptAnswers: [] });
    await assert.rejects(getToken(input({ profile: 'mfa', execInfo: NOT_INTERACTIVE }), deps), (err: EksAuthError) => {
      assert.equal(err.exitCode, ExitCode.credentials);
      assert.match(err.hint ?? '', /run `eks-auth login --profile mfa` in a terminal/);
      return true;
    });
    assert.deepEqual(assumedRoles(deps), []);
  });

  test('past the signing margin, a non-interactive call keeps using the MFA session (with a warning) instead of failing', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock, { promptAnswers: ['123456'] });
    await getToken(input({ profile: 'mfa', execInfo: INTERACTIVE }), deps);
    clock.t = FIXED_NOW.getTime() + 50 * MINUTE;
    const late = parse(await getToken(input({ profile: 'mfa', clusterId: 'late', execInfo: NOT_INTERACTIVE }), deps));
    // The token cannot outlive the session: expiry is the session's minus 60 s.
    assert.equal(late.status.expirationTimestamp, '2026-01-01T00:59:00Z');
    assert.equal(deps.log.warnings.length, 1);
    assert.match(
      deps.log.warnings[0] as string,
      /MFA session of profile "mfa" expires at 2026-01-01T01:00:00.000Z; run `eks-auth login --profile mfa`/,
    );
    clock.t = FIXED_NOW.getTime() + 58 * MINUTE;
    await assert.rejects(
      getToken(input({ profile: 'mfa', clusterId: 'too-late', execInfo: NOT_INTERACTIVE }), deps),
      /needs an MFA code/,
    );
    assert.deepEqual(assumedRoles(deps), ['mfa']);
  });

  test('an interactive call past the signing margin prompts for a new session', async () => {
    const clock = { t: FIXED_NOW.getTime() };
    const deps = setup(clock, { promptAnswers: ['123456', '654321'] });
    await getToken(input({ profile: 'mfa', execInfo: INTERACTIVE }), deps);
    clock.t = FIXED_NOW.getTime() + 50 * MINUTE;
    await getToken(input({ profile: 'mfa', clusterId: 'x', execInfo: INTERACTIVE }), deps);
    assert.deepEqual(
      deps.stsFake.assumeRoleCalls().map((c) => c.request.tokenCode),
      ['123456', '654321'],
    );
  });
});
