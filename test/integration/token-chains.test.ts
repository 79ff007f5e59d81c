/**
 * `eks-auth token` and `whoami` against a local STS that checks signatures (moto behind the
 * verifying front in test/peers): role chains across accounts, web identity, credential_process,
 * retries and failures. Each token is replayed to the kube-api, which verifies it with STS.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanAwsEnv,
  httpsRequest,
  peersAvailable,
  requirePeer,
  startPeers,
  type PeerName,
  type Peers,
} from '../peers/peers';
import { runEksAuth, tokenUrl } from '../helpers/built-cli';

const PEERS: PeerName[] = ['moto_server', 'botocore', 'openssl'];
// Made-up static keys the STS front knows (account 111111111111).
const BASE = {
  akid: 'AKIAEKSAUTHCHAINBASE',
  secret: 'base/secret+key=abcdefghijklmnopqrstuvwx',
  arn: 'arn:aws:iam::111111111111:user/base',
};
const TOOL = {
  akid: 'AKIAEKSAUTHPROCESSKY',
  secret: 'process/secret+key=abcdefghijklmnopqrstu',
  arn: 'arn:aws:iam::121212121212:user/tool',
};

const CONFIG = `
[profile base]
aws_access_key_id = ${BASE.akid}
aws_secret_access_key = ${BASE.secret}

[profile hop1]
role_arn = arn:aws:iam::222222222222:role/hop1
source_profile = base
role_session_name = s1

[profile hop2]
role_arn = arn:aws:iam::333333333333:role/hop2
source_profile = hop1
role_session_name = s2
external_id = ext-2

[profile irsa]
role_arn = arn:aws:iam::555555555555:role/irsa
web_identity_token_file = WEB_TOKEN_FILE
role_session_name = pod

[profile tool]
credential_process = PROCESS_SCRIPT

[profile loop-a]
role_arn = arn:aws:iam::222222222222:role/a
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::222222222222:role/b
source_profile = loop-a
`;

describe('credential chains against a signature-checking STS', () => {
  let peers: Peers | undefined;
  let configFile = '';
  before(async () => {
    if (!peersAvailable(PEERS)) return;
    peers = await startPeers({
      clusterId: 'demo',
      staticKeys: {
        [BASE.akid]: { secret: BASE.secret, arn: BASE.arn },
        [TOOL.akid]: { secret: TOOL.secret, arn: TOOL.arn },
      },
    });
    const webToken = join(peers.dir, 'web-identity-token');
    writeFileSync(webToken, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpteS1hcHAifQ.c2ln');
    const script = join(peers.dir, 'credential-process.sh');
    writeFileSync(
      script,
      `#!/bin/sh\necho '{"Version": 1, "AccessKeyId": "${TOOL.akid}", "SecretAccessKey": "${TOOL.secret}"}'\n`,
    );
    chmodSync(script, 0o755);
    configFile = join(peers.dir, 'aws-config');
    writeFileSync(configFile, CONFIG.replace('WEB_TOKEN_FILE', webToken).replace('PROCESS_SCRIPT', script));
  });
  after(() => peers?.stop());

  function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const p = peers as Peers;
    return cleanAwsEnv({
      configFile,
      env: {
        AWS_ENDPOINT_URL_STS: p.sts.url,
        NODE_EXTRA_CA_CERTS: p.caFile,
        AWS_REGION: 'us-east-1',
        EKS_AUTH_NO_CACHE: '1',
        ...extra,
      },
    });
  }

  /** Presents the token to the kube-api (which replays it to STS) and returns the ARN it accepted. */
  async function identityOf(token: string): Promise<string | undefined> {
    const p = peers as Peers;
    const res = await httpsRequest(`${p.kube.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      method: 'POST',
      ca: p.kube.caPem,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    });
    if (res.status !== 201 && res.status !== 200) return undefined;
    return (JSON.parse(res.body) as { status: { userInfo: { username: string } } }).status.userInfo.username;
  }

  async function token(args: string[], extra: Record<string, string | undefined> = {}) {
    const res = await runEksAuth(['token', '--cluster', 'demo', '--token-only', ...args], env(extra));
    assert.equal(res.code, 0, res.stderr);
    return { token: res.stdout.trim(), stderr: res.stderr };
  }

  test('three hops across three accounts: each AssumeRole is signed by the previous hop', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const start = p.sts.calls().length;
    const { token: tok } = await token([
      '--profile',
      'hop2',
      '--role-arn',
      'arn:aws:iam::444444444444:role/top',
      '--session-name',
      'top-s',
      '--external-id',
      'ext-top',
    ]);
    const calls = p.sts
      .calls()
      .slice(start)
      .filter((c) => c.action === 'AssumeRole');
    assert.deepEqual(
      calls.map((c) => c.roleArn),
      [
        'arn:aws:iam::222222222222:role/hop1',
        'arn:aws:iam::333333333333:role/hop2',
        'arn:aws:iam::444444444444:role/top',
      ],
    );
    assert.ok(calls.every((c) => c.ok));
    assert.equal(calls[0]?.akid, BASE.akid);
    assert.equal(calls[1]?.akid, calls[0]?.issuedAkid);
    assert.equal(calls[2]?.akid, calls[1]?.issuedAkid);
    assert.equal(tokenUrl(tok).searchParams.get('X-Amz-Credential')?.split('/')[0], calls[2]?.issuedAkid);
    assert.equal(await identityOf(tok), 'arn:aws:sts::444444444444:assumed-role/top/top-s');
  });

  test('web identity from a profile (IRSA-style) and from AWS_WEB_IDENTITY_TOKEN_FILE', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const fromProfile = await token(['--profile', 'irsa']);
    assert.equal(await identityOf(fromProfile.token), 'arn:aws:sts::555555555555:assumed-role/irsa/pod');
    const start = p.sts.calls().length;
    const fromEnv = await token([], {
      AWS_WEB_IDENTITY_TOKEN_FILE: join(p.dir, 'web-identity-token'),
      AWS_ROLE_ARN: 'arn:aws:iam::666666666666:role/pod-role',
      AWS_ROLE_SESSION_NAME: 'env-pod',
    });
    assert.equal(await identityOf(fromEnv.token), 'arn:aws:sts::666666666666:assumed-role/pod-role/env-pod');
    assert.ok(
      p.sts
        .calls()
        .slice(start)
        .some(
          (c) => c.action === 'AssumeRoleWithWebIdentity' && c.roleArn === 'arn:aws:iam::666666666666:role/pod-role',
        ),
    );
  });

  test('credential_process output signs the token', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const { token: tok } = await token(['--profile', 'tool']);
    assert.equal(tokenUrl(tok).searchParams.get('X-Amz-Credential')?.split('/')[0], TOOL.akid);
    assert.equal(await identityOf(tok), TOOL.arn);
  });

  test('whoami names the caller, the canonical role ARN and the chain', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const res = await runEksAuth(['whoami', '--profile', 'hop2', '--json'], env());
    assert.equal(res.code, 0, res.stderr);
    const who = JSON.parse(res.stdout) as Record<string, unknown>;
    assert.equal(who.arn, 'arn:aws:sts::333333333333:assumed-role/hop2/s2');
    assert.equal(who.canonicalArn, 'arn:aws:iam::333333333333:role/hop2');
    assert.deepEqual(who.profileChain, ['hop2', 'hop1', 'base']);
    assert.match(
      String(who.credentialSource),
      /static keys of profile "base" -> assume arn:aws:iam::222222222222:role\/hop1/,
    );
  });

  test('whoami warns when environment keys shadow AWS_PROFILE', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const res = await runEksAuth(
      ['whoami'],
      env({ AWS_PROFILE: 'hop2', AWS_ACCESS_KEY_ID: BASE.akid, AWS_SECRET_ACCESS_KEY: BASE.secret }),
    );
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /ARN: +arn:aws:iam::111111111111:user\/base/);
    assert.match(res.stdout, /warning: AWS_ACCESS_KEY_ID in the environment takes precedence over AWS_PROFILE=hop2/);
  });

  test('explain with credential flags maps the identity eks-auth would sign as', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const awsAuth = join(p.dir, 'aws-auth.yaml');
    writeFileSync(
      awsAuth,
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: aws-auth, namespace: kube-system}',
        'data:',
        '  mapRoles: |',
        '    - rolearn: arn:aws:iam::333333333333:role/hop2',
        '      username: hop2-{{SessionName}}',
        '      groups: [ops]',
        '',
      ].join('\n'),
    );
    const res = await runEksAuth(['explain', '--aws-auth', awsAuth, '--profile', 'hop2', '--json'], env());
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { username: string; groups: string[] };
    assert.equal(out.username, 'hop2-s2');
    assert.deepEqual(out.groups, ['ops']);
    const unmapped = await runEksAuth(['explain', '--aws-auth', awsAuth, '--profile', 'hop1'], env());
    assert.equal(unmapped.code, 7, unmapped.stderr);
  });

  test('throttling is retried; the token still comes', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    await p.sts.failNext('AssumeRole', 'throttle', { count: 1 });
    const { token: tok } = await token(['--profile', 'hop1']);
    assert.equal(await identityOf(tok), 'arn:aws:sts::222222222222:assumed-role/hop1/s1');
  });

  test('AccessDenied exits 4 naming the role, with a hint, and no secret on stderr even with --verbose', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    await p.sts.failNext('AssumeRole', 'denied', { count: 1 });
    const res = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'hop1', '--verbose'], env());
    assert.equal(res.code, 4, res.stderr);
    assert.match(
      res.stderr,
      /error: could not assume role arn:aws:iam::222222222222:role\/hop1 \(profile "hop1"\): AccessDenied/,
    );
    assert.match(res.stderr, /hint: .*trust policy/);
    assert.ok(!res.stderr.includes(BASE.secret));
    assert.doesNotMatch(res.stderr, /k8s-aws-v1\.[A-Za-z0-9_-]{20}/);
  });

  test('a profile loop is a config error listing the visited profiles', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const res = await runEksAuth(['token', '--cluster', 'demo', '--profile', 'loop-a'], env());
    assert.equal(res.code, 3);
    assert.match(res.stderr, /infinite loop in credential configuration detected: .*loop-a -> loop-b -> loop-a/);
  });

  test('an unreachable STS fails in seconds with exit 5', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const started = Date.now();
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
    const res = await runEksAuth(
      ['token', '--cluster', 'demo', '--profile', 'hop1'],
      env({ AWS_ENDPOINT_URL_STS: 'https://127.0.0.1:9' }),
    );
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /error: could not assume role .*STS at https:\/\/127\.0\.0\.1:9 could not be reached/);
    assert.ok(Date.now() - started < 20_000);
  });
});
