/**
 * Proves the test peers (verifying STS front + fake kube-apiserver) with independent tools only: the
 * AWS CLI makes every token here (never our signer) and real pinned kubectl binaries consume them.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanAwsEnv,
  httpsRequest,
  kubectlPath,
  peersAvailable,
  requirePeer,
  runCommand,
  startPeers,
  writeKubeconfig,
  type PeerName,
  type Peers,
} from '../peers/peers';

const PEERS: PeerName[] = ['moto_server', 'aws', 'openssl', 'botocore'];

// Made-up keys known to the STS front. Secrets contain `/` and `+` like real ones.
const ALICE = {
  akid: 'AKIAPEERSALICE000001',
  secret: 'aLiCe/Peers+Secret/Key0000000000000000001',
  arn: 'arn:aws:iam::111122223333:user/alice',
};
const UNKNOWN_AKID = 'AKIAPEERSUNKNOWN0001';
const AWS_AUTH = { mapUsers: `- userarn: ${ALICE.arn}\n  username: alice\n  groups: [system:masters]\n` };

let peers: Peers | undefined;
/** Every secret and session token seen in this file; the last test checks none reached the STS log. */
const secretsSeen = new Set<string>([ALICE.secret]);

before(async () => {
  if (!peersAvailable(PEERS)) return;
  peers = await startPeers({
    clusterId: 'demo',
    staticKeys: { [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn } },
    configMaps: { 'kube-system/aws-auth': { data: AWS_AUTH } },
  });
});
after(() => peers?.stop());

/** The started peers, or undefined after skipping the test (outside CI) when a peer is missing. */
function use(t: TestContext, ...extra: PeerName[]): Peers | undefined {
  if (!requirePeer(t, ...PEERS, ...extra)) return undefined;
  assert.ok(peers, 'peers did not start');
  return peers;
}

interface Creds {
  akid: string;
  secret: string;
  token?: string;
}

function awsEnv(p: Peers, creds: Creds | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanAwsEnv({
    caFile: p.caFile,
    env: {
      AWS_ENDPOINT_URL_STS: p.sts.url,
      AWS_ACCESS_KEY_ID: creds?.akid,
      AWS_SECRET_ACCESS_KEY: creds?.secret,
      AWS_SESSION_TOKEN: creds?.token,
      ...extra,
    },
  });
}

/** `aws eks get-token` (optionally under faketime) → the bearer token. */
async function awsToken(env: NodeJS.ProcessEnv, cluster = 'demo', faketime?: string): Promise<string> {
  const args = ['eks', 'get-token', '--cluster-name', cluster, '--region', 'us-east-1', '--output', 'json'];
  const run = faketime
    ? await runCommand('faketime', ['-f', faketime, 'aws', ...args], { env })
    : await runCommand('aws', args, { env });
  assert.equal(run.code, 0, `aws eks get-token failed: ${run.stderr}`);
  const token = (JSON.parse(run.stdout) as { status: { token: string } }).status.token;
  assert.match(token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  return token;
}

async function assumeRole(p: Peers, roleArn: string, sessionName: string): Promise<Creds> {
  const run = await runCommand(
    'aws',
    [
      'sts',
      'assume-role',
      '--role-arn',
      roleArn,
      '--role-session-name',
      sessionName,
      '--region',
      'us-east-1',
      '--output',
      'json',
    ],
    { env: awsEnv(p, ALICE) },
  );
  assert.equal(run.code, 0, `aws sts assume-role failed: ${run.stderr}`);
  const c = (
    JSON.parse(run.stdout) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }
  ).Credentials;
  secretsSeen.add(c.SecretAccessKey).add(c.SessionToken);
  return { akid: c.AccessKeyId, secret: c.SecretAccessKey, token: c.SessionToken };
}

let aliceTokenRun: Promise<string> | undefined;
/** One `aws eks get-token` for ALICE and cluster demo, shared by the cases that only need a good token. */
function aliceToken(p: Peers): Promise<string> {
  aliceTokenRun ??= awsToken(awsEnv(p, ALICE));
  return aliceTokenRun;
}

const presignedUrl = (token: string) => Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
const toToken = (url: string) => `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url')}`;

/** POSTs a SelfSubjectReview (what `kubectl auth whoami` does) and returns status and username. */
async function whoami(
  p: Peers,
  token: string | undefined,
): Promise<{ status: number; username?: string; body: string }> {
  const res = await httpsRequest(`${p.kube.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
    method: 'POST',
    ca: p.tls.certPem,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
  });
  const username = res.status === 201 ? JSON.parse(res.body).status.userInfo.username : undefined;
  return { status: res.status, username, body: res.body };
}

/** The STS front's log lines for presigned GETs by this access key. */
const presignedCalls = (p: Peers, akid: string) => p.sts.calls().filter((c) => c.method === 'GET' && c.akid === akid);

const UNAUTHORIZED_STATUS = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};

// Cases share one moto/front/kube-api and use distinct keys and role ARNs, so they can run together.
describe('tokens from aws eks get-token against the STS front and kube-api', { concurrency: 4 }, () => {
  test('aws eks get-token presigns for the host in AWS_ENDPOINT_URL_STS', async (t) => {
    const p = use(t);
    if (!p) return;
    const url = new URL(presignedUrl(await aliceToken(p)));
    assert.equal(url.origin, p.sts.url);
    assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host;x-k8s-aws-id');
  });

  test('accepts a token from static keys as the key ARN, after STS verified it for cluster demo', async (t) => {
    const p = use(t);
    if (!p) return;
    const token = await aliceToken(p);
    const before = presignedCalls(p, ALICE.akid).length;
    assert.deepEqual(await whoami(p, token).then(({ status, username }) => ({ status, username })), {
      status: 201,
      username: ALICE.arn,
    });
    const calls = presignedCalls(p, ALICE.akid).slice(before);
    assert.ok(
      calls.some((c) => c.ok && c.cluster === 'demo' && c.arn === ALICE.arn),
      `no verified GetCallerIdentity in ${JSON.stringify(calls)}`,
    );
    assert.ok(p.kube.outcomes.some((o) => o.ok && o.arn === ALICE.arn && o.status === 200));
  });

  test('accepts a token from credentials of aws sts assume-role through the front, as the assumed-role ARN', async (t) => {
    const p = use(t);
    if (!p) return;
    const roleArn = 'arn:aws:iam::222233334444:role/peers-dev';
    const creds = await assumeRole(p, roleArn, 'peers-test');
    const token = await awsToken(awsEnv(p, creds));
    assert.ok(new URL(presignedUrl(token)).searchParams.get('X-Amz-Security-Token'), 'token carries the session token');
    const who = await whoami(p, token);
    assert.equal(who.status, 201, who.body);
    // moto names the account after the role ARN's and the session after --role-session-name.
    assert.equal(who.username, 'arn:aws:sts::222233334444:assumed-role/peers-dev/peers-test');
    const assumeCalls = p.sts.calls().filter((c) => c.action === 'AssumeRole' && c.roleArn === roleArn);
    assert.deepEqual(
      assumeCalls.map((c) => ({ ok: c.ok, akid: c.akid, issuedAkid: c.issuedAkid })),
      [{ ok: true, akid: ALICE.akid, issuedAkid: creds.akid }],
    );
  });

  test('accepts a token from a role_arn + source_profile profile, the AWS CLI assuming the role through the front', async (t) => {
    const p = use(t);
    if (!p) return;
    const dir = mkdtempSync(join(p.dir, 'profile-'));
    const roleArn = 'arn:aws:iam::333344445555:role/peers-profile';
    writeFileSync(
      join(dir, 'credentials'),
      `[base]\naws_access_key_id = ${ALICE.akid}\naws_secret_access_key = ${ALICE.secret}\n`,
    );
    writeFileSync(
      join(dir, 'config'),
      `[profile dev]\nrole_arn = ${roleArn}\nsource_profile = base\nrole_session_name = from-profile\n`,
    );
    const env = cleanAwsEnv({
      caFile: p.caFile,
      home: dir,
      configFile: join(dir, 'config'),
      credentialsFile: join(dir, 'credentials'),
      env: { AWS_ENDPOINT_URL_STS: p.sts.url, AWS_PROFILE: 'dev' },
    });
    const who = await whoami(p, await awsToken(env));
    assert.equal(who.status, 201, who.body);
    assert.equal(who.username, 'arn:aws:sts::333344445555:assumed-role/peers-profile/from-profile');
    const assumeCalls = p.sts.calls().filter((c) => c.action === 'AssumeRole' && c.roleArn === roleArn);
    assert.deepEqual(
      assumeCalls.map((c) => [c.ok, c.akid]),
      [[true, ALICE.akid]],
    );
  });

  test('rejects with 401 a token whose signature has one character changed', async (t) => {
    const p = use(t);
    if (!p) return;
    const url = new URL(presignedUrl(await aliceToken(p)));
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    const last = signature.at(-1) === '0' ? '1' : '0';
    const tampered = url.href.replace(
      `X-Amz-Signature=${signature}`,
      `X-Amz-Signature=${signature.slice(0, -1)}${last}`,
    );
    assert.notEqual(tampered, url.href);
    const who = await whoami(p, toToken(tampered));
    assert.equal(who.status, 401);
    assert.deepEqual(JSON.parse(who.body), UNAUTHORIZED_STATUS);
    assert.ok(presignedCalls(p, ALICE.akid).some((c) => !c.ok && c.reason === 'signature-mismatch'));
  });

  test('rejects with 401 a token made for cluster other', async (t) => {
    const p = use(t);
    if (!p) return;
    const who = await whoami(p, await awsToken(awsEnv(p, ALICE), 'other'));
    assert.equal(who.status, 401);
    // The kube-api asked STS about cluster demo; the signature covered x-k8s-aws-id: other.
    assert.ok(
      presignedCalls(p, ALICE.akid).some((c) => !c.ok && c.cluster === 'demo' && c.reason === 'signature-mismatch'),
    );
  });

  test('rejects with 401 a token signed with a wrong secret for a known access key', async (t) => {
    const p = use(t);
    if (!p) return;
    const token = await awsToken(awsEnv(p, { akid: ALICE.akid, secret: `${ALICE.secret.slice(0, -1)}X` }));
    assert.equal((await whoami(p, token)).status, 401);
    assert.ok(presignedCalls(p, ALICE.akid).some((c) => !c.ok && c.reason === 'signature-mismatch'));
  });

  test('rejects with 401 a token from an access key STS does not know', async (t) => {
    const p = use(t);
    if (!p) return;
    const token = await awsToken(awsEnv(p, { akid: UNKNOWN_AKID, secret: ALICE.secret }));
    assert.equal((await whoami(p, token)).status, 401);
    assert.deepEqual(
      presignedCalls(p, UNKNOWN_AKID).map((c) => [c.ok, c.reason]),
      [[false, 'unknown-akid']],
    );
  });

  test('rejects with 401 temporary credentials used without, or with a wrong, session token', async (t) => {
    const p = use(t);
    if (!p) return;
    const creds = await assumeRole(p, 'arn:aws:iam::444455556666:role/peers-token', 'no-token');
    const without = await awsToken(awsEnv(p, { akid: creds.akid, secret: creds.secret }));
    const wrong = await awsToken(awsEnv(p, { ...creds, token: `${creds.token}x` }));
    assert.equal((await whoami(p, without)).status, 401);
    assert.equal((await whoami(p, wrong)).status, 401);
    assert.deepEqual(
      presignedCalls(p, creds.akid).map((c) => c.reason),
      ['session-token-missing', 'session-token-mismatch'],
    );
  });

  test('honours a token for 15 minutes after X-Amz-Date: 10 minutes old passes, 20 minutes old is 401', async (t) => {
    const p = use(t, 'faketime');
    if (!p) return;
    const env = awsEnv(p, ALICE);
    const [tenMinutes, twentyMinutes] = await Promise.all([
      awsToken(env, 'demo', '-10m'),
      awsToken(env, 'demo', '-20m'),
    ]);
    // The clock really was moved: X-Amz-Date is that far in the past.
    const age = (token: string) => {
      const d = new URL(presignedUrl(token)).searchParams.get('X-Amz-Date') ?? '';
      const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 11)}:${d.slice(11, 13)}:${d.slice(13)}`;
      return (Date.now() - Date.parse(iso)) / 60_000;
    };
    assert.ok(age(tenMinutes) > 9 && age(tenMinutes) < 12, `age ${age(tenMinutes)}`);
    assert.ok(age(twentyMinutes) > 19 && age(twentyMinutes) < 22, `age ${age(twentyMinutes)}`);
    assert.equal((await whoami(p, tenMinutes)).status, 201);
    assert.equal((await whoami(p, twentyMinutes)).status, 401);
    assert.ok(presignedCalls(p, ALICE.akid).some((c) => !c.ok && c.reason === 'expired'));
  });

  test('verifies header-signed calls: aws sts get-caller-identity answers the key ARN, a wrong secret gets SignatureDoesNotMatch', async (t) => {
    const p = use(t);
    if (!p) return;
    const args = ['sts', 'get-caller-identity', '--region', 'us-east-1', '--output', 'json'];
    const good = await runCommand('aws', args, { env: awsEnv(p, ALICE) });
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(JSON.parse(good.stdout), { UserId: ALICE.akid, Account: '111122223333', Arn: ALICE.arn });
    const bad = await runCommand('aws', args, { env: awsEnv(p, { akid: ALICE.akid, secret: 'not-the-secret' }) });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /SignatureDoesNotMatch/);
  });

  test('an injected Throttling on AssumeRole is retried by the AWS CLI and logged', async (t) => {
    const p = use(t);
    if (!p) return;
    const roleArn = 'arn:aws:iam::555566667777:role/peers-throttled';
    await p.sts.failNext('AssumeRole', 'throttle', { roleArn });
    await assumeRole(p, roleArn, 'retried');
    const calls = p.sts.calls().filter((c) => c.action === 'AssumeRole' && c.roleArn === roleArn);
    assert.deepEqual(
      calls.map((c) => [c.ok, c.reason]),
      [
        [false, 'injected-throttle'],
        [true, null],
      ],
    );
  });

  test('serves kube-system/aws-auth only to authenticated callers, and 404 for a ConfigMap it lacks', async (t) => {
    const p = use(t);
    if (!p) return;
    const token = await aliceToken(p);
    const get = (path: string, auth?: string) =>
      httpsRequest(`${p.kube.server}${path}`, {
        ca: p.tls.certPem,
        headers: auth ? { authorization: `Bearer ${auth}` } : {},
      });
    const cm = await get('/api/v1/namespaces/kube-system/configmaps/aws-auth', token);
    assert.equal(cm.status, 200);
    assert.deepEqual(JSON.parse(cm.body).data, AWS_AUTH);
    assert.equal((await get('/api/v1/namespaces/kube-system/configmaps/aws-auth')).status, 401);
    const missing = await get('/api/v1/namespaces/kube-system/configmaps/absent', token);
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).reason, 'NotFound');
    assert.ok(p.kube.outcomes.some((o) => !o.ok && o.reason === 'no-token' && o.status === 401));
  });

  test('authenticates 30 concurrent requests (the STS front is threaded)', async (t) => {
    const p = use(t);
    if (!p) return;
    const token = await aliceToken(p);
    const requestsBefore = p.kube.requests;
    const results = await Promise.all(Array.from({ length: 30 }, () => whoami(p, token)));
    assert.deepEqual(new Set(results.map((r) => `${r.status} ${r.username}`)), new Set([`201 ${ALICE.arn}`]));
    assert.ok(p.kube.requests - requestsBefore >= 30);
  });
});

describe('pinned kubectl with an aws exec entry against the kube-api', { concurrency: 4 }, () => {
  /** Runs kubectl with a kubeconfig whose exec entry is `aws eks get-token --cluster-name <cluster>`. */
  async function kubectl(p: Peers, minor: number, home: string, cluster: string, args: string[]) {
    const kubeconfig = join(home, `kubeconfig-${cluster}`);
    writeKubeconfig(kubeconfig, {
      server: p.kube.server,
      caData: p.kube.caData,
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'aws',
        args: ['eks', 'get-token', '--cluster-name', cluster, '--region', 'us-east-1', '--output', 'json'],
        env: { AWS_ENDPOINT_URL_STS: p.sts.url },
      },
    });
    // kubectl passes its own environment on to the exec plugin: the keys come from there, the
    // endpoint from the exec entry's env.
    const env = awsEnv(p, ALICE, { HOME: home });
    delete env.AWS_ENDPOINT_URL_STS;
    return runCommand(kubectlPath(minor), ['--kubeconfig', kubeconfig, ...args], { env });
  }

  for (const minor of [30, 33]) {
    test(`kubectl 1.${minor} get pods lists the fake pod; with another cluster in the exec args it says Unauthorized`, async (t) => {
      const p = use(t, `kubectl.1.${minor}`);
      if (!p) return;
      const home = mkdtempSync(join(p.dir, `kubectl-${minor}-`));
      const ok = await kubectl(p, minor, home, 'demo', ['get', 'pods']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nhello\s+1\/1\s+Running\s+0\s+1d\n$/);
      // Same HOME, so discovery comes from kubectl's cache and the 401 is on the pods request, whose
      // Status body kubectl prints. With a cold cache, discovery fails first and kubectl says
      // "(the server has asked for the client to provide credentials)" instead.
      const denied = await kubectl(p, minor, home, 'not-demo', ['get', 'pods']);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /^error: You must be logged in to the server \(Unauthorized\)$/m);
    });
  }

  test('kubectl 1.33 auth whoami shows the ARN, and get configmap aws-auth returns the fixture', async (t) => {
    const p = use(t, 'kubectl.1.33');
    if (!p) return;
    const home = mkdtempSync(join(p.dir, 'kubectl-whoami-'));
    const who = await kubectl(p, 33, home, 'demo', ['auth', 'whoami', '-o', 'json']);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).status.userInfo.username, ALICE.arn);
    const cm = await kubectl(p, 33, home, 'demo', ['get', 'configmap', 'aws-auth', '-n', 'kube-system', '-o', 'json']);
    assert.equal(cm.code, 0, cm.stderr);
    assert.deepEqual(JSON.parse(cm.stdout).data, AWS_AUTH);
  });
});

test('the STS front log holds no secret key or session token', (t) => {
  const p = use(t);
  if (!p) return;
  const log = readFileSync(p.sts.logFile, 'utf8');
  assert.ok(log.split('\n').filter(Boolean).length > 10, 'the log has the calls of the tests above');
  for (const secret of secretsSeen) assert.ok(!log.includes(secret), 'a secret or session token reached the log');
});
