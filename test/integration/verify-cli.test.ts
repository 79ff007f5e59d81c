/**
 * `eks-auth verify`, `explain` and `aws-auth check` as users run them. Tokens are made by the AWS
 * CLI (`aws eks get-token`), never by our signer, and checked by a local STS front that verifies
 * SigV4 signatures (test/peers); `explain --from-cluster` reads the ConfigMap through a real pinned
 * kubectl from a fake kube-apiserver that authenticates with our `token` command.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { resolveStsEndpoint } from '../../src/aws/endpoint';
import { encodeToken } from '../../src/token/encode';
import { presignGetCallerIdentity } from '../../src/token/presign';
import { ensureBuilt, REPO_ROOT, tamperSignature } from '../helpers/built-cli';
import {
  cleanAwsEnv,
  kubectlPath,
  peersAvailable,
  requirePeer,
  runCommand,
  startPeers,
  writeKubeconfig,
  type CommandResult,
  type PeerName,
  type Peers,
} from '../peers/peers';
import { freePort } from '../peers/processes';

const PEERS: PeerName[] = ['moto_server', 'aws', 'openssl', 'botocore'];
// Made-up keys the STS front knows; secrets contain / and + like real ones.
const ALICE = {
  akid: 'AKIAVERIFYCLIALICE01',
  secret: 'aLiCe/Verify+Secret/Key000000000000000001',
  arn: 'arn:aws:iam::111122223333:user/alice',
};
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'aws-auth');
const BIN = join(REPO_ROOT, 'src', 'cli', 'bin.ts');
const work = mkdtempSync(join(tmpdir(), 'eks-auth-verify-cli-'));

let peers: Peers | undefined;
before(async () => {
  if (!peersAvailable(PEERS)) return;
  peers = await startPeers({
    clusterId: 'demo',
    staticKeys: { [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn } },
    configMaps: {
      'kube-system/aws-auth': { data: { mapUsers: `- userarn: ${ALICE.arn}\n  username: alice\n  groups: [ops]\n` } },
    },
  });
});
after(() => peers?.stop());

function use(t: TestContext, ...extra: PeerName[]): Peers | undefined {
  if (!requirePeer(t, ...PEERS, ...extra)) return undefined;
  assert.ok(peers, 'peers did not start');
  return peers;
}

/** Runs `eks-auth ARGS` from the sources; asserts the token never reaches stdout or stderr. */
async function eksAuth(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; secret?: string } = {},
): Promise<CommandResult> {
  const res = await runCommand(process.execPath, ['--import', 'tsx', BIN, ...args], {
    env: options.env ?? cleanAwsEnv(),
    cwd: REPO_ROOT,
    timeoutMs: 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  if (options.secret) {
    assert.ok(!res.stdout.includes(options.secret) && !res.stderr.includes(options.secret), 'the token was echoed');
  }
  return res;
}

function aliceEnv(p: Peers, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanAwsEnv({
    caFile: p.caFile,
    env: {
      AWS_ACCESS_KEY_ID: ALICE.akid,
      AWS_SECRET_ACCESS_KEY: ALICE.secret,
      AWS_ENDPOINT_URL_STS: p.sts.url,
      EKS_AUTH_NO_CACHE: '1',
      ...extra,
    },
  });
}

/** `aws eks get-token` output (ExecCredential JSON) and its token. */
async function awsGetToken(env: NodeJS.ProcessEnv): Promise<{ json: string; token: string }> {
  const res = await runCommand(
    'aws',
    ['eks', 'get-token', '--cluster-name', 'demo', '--region', 'us-east-1', '--output', 'json'],
    { env, timeoutMs: 60_000 },
  );
  assert.equal(res.code, 0, res.stderr);
  const token = (JSON.parse(res.stdout) as { status: { token: string } }).status.token;
  assert.match(token, /^k8s-aws-v1\./);
  return { json: res.stdout, token };
}

describe('eks-auth verify against a signature-checking STS', () => {
  test('accepts a token made by the AWS CLI, read from its ExecCredential on stdin', async (t) => {
    const p = use(t);
    if (!p) return;
    const { json, token } = await awsGetToken(aliceEnv(p));
    const res = await eksAuth(['verify', '--cluster', 'demo', '--sts-endpoint', p.sts.url], {
      env: aliceEnv(p),
      input: json,
      secret: token,
    });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^token valid for cluster demo$/m);
    assert.match(res.stdout, /^arn: +arn:aws:iam::111122223333:user\/alice$/m);
    assert.match(res.stdout, /^access key id: AKIAVERIFYCLIALICE01$/m);
    const call = p.sts.calls().at(-1);
    assert.deepEqual([call?.method, call?.cluster, call?.ok, call?.arn], ['GET', 'demo', true, ALICE.arn]);
  });

  test('prints the documented JSON for the same token passed as an argument', async (t) => {
    const p = use(t);
    if (!p) return;
    const { token } = await awsGetToken(aliceEnv(p));
    const res = await eksAuth(['verify', '--cluster', 'demo', '--sts-endpoint', p.sts.url, '--json', token], {
      env: aliceEnv(p),
    });
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [
        out.valid,
        out.cluster,
        out.arn,
        out.canonicalArn,
        out.principalType,
        out.account,
        out.sessionName,
        out.stsHost,
        out.region,
      ],
      [true, 'demo', ALICE.arn, ALICE.arn, 'user', '111122223333', null, new URL(p.sts.url).host, 'us-east-1'],
    );
    assert.ok(typeof out.ageSeconds === 'number' && out.ageSeconds >= 0 && out.ageSeconds < 120);
    assert.equal((out.expiresInSeconds as number) + (out.ageSeconds as number), 900);
  });

  test('rejects the same token for cluster "other": STS refuses the signature (exit 6)', async (t) => {
    const p = use(t);
    if (!p) return;
    const { token } = await awsGetToken(aliceEnv(p));
    const res = await eksAuth(['verify', '--cluster', 'other', '--sts-endpoint', p.sts.url, '--json', '-'], {
      env: aliceEnv(p),
      input: token,
      secret: token,
    });
    assert.equal(res.code, 6, res.stderr);
    const out = JSON.parse(res.stdout) as { valid: boolean; reason: string; message: string };
    assert.deepEqual([out.valid, out.reason], [false, 'sts-rejected']);
    assert.match(
      res.stderr,
      /^error: token rejected by check "sts-rejected": STS refused the token for cluster "other" \(HTTP 403/m,
    );
    assert.match(res.stderr, /^hint: the token was signed for another cluster id/m);
    const call = p.sts.calls().at(-1);
    assert.deepEqual([call?.cluster, call?.ok], ['other', false]);
  });

  test('rejects a token whose signature was altered (exit 6)', async (t) => {
    const p = use(t);
    if (!p) return;
    const tampered = tamperSignature((await awsGetToken(aliceEnv(p))).token);
    const res = await eksAuth(['verify', '--cluster', 'demo', '--sts-endpoint', p.sts.url], {
      env: aliceEnv(p),
      input: tampered,
      secret: tampered,
    });
    assert.equal(res.code, 6, res.stderr);
    assert.match(res.stderr, /check "sts-rejected"/);
    assert.equal(res.stdout, '');
  });

  test('refuses the local STS host without --sts-endpoint, before calling STS (exit 6, "host")', async (t) => {
    const p = use(t);
    if (!p) return;
    const { token } = await awsGetToken(aliceEnv(p));
    const calls = p.sts.calls().length;
    const res = await eksAuth(['verify', '--cluster', 'demo'], { env: aliceEnv(p), input: token, secret: token });
    assert.equal(res.code, 6);
    assert.match(res.stderr, /^error: token rejected by check "host": unexpected hostname "127\.0\.0\.1:\d+"/m);
    assert.equal(p.sts.calls().length, calls);
  });

  test('shows the assumed-role session and canonical role of a profile chain, and explain --token maps it', async (t) => {
    const p = use(t);
    if (!p) return;
    const config = join(p.dir, 'verify-cli-aws-config');
    writeFileSync(
      config,
      [
        '[profile base]',
        `aws_access_key_id = ${ALICE.akid}`,
        `aws_secret_access_key = ${ALICE.secret}`,
        '',
        '[profile admin]',
        'role_arn = arn:aws:iam::444455556666:role/eks-admin',
        'source_profile = base',
        'role_session_name = verify-cli',
        '',
      ].join('\n'),
    );
    const env = cleanAwsEnv({
      caFile: p.caFile,
      configFile: config,
      env: { AWS_PROFILE: 'admin', AWS_ENDPOINT_URL_STS: p.sts.url },
    });
    const { token } = await awsGetToken(env);
    const verified = await eksAuth(['verify', '--cluster', 'demo', '--sts-endpoint', p.sts.url, '--json'], {
      env,
      input: token,
      secret: token,
    });
    assert.equal(verified.code, 0, verified.stderr);
    const out = JSON.parse(verified.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [out.arn, out.canonicalArn, out.principalType, out.account, out.sessionName],
      [
        'arn:aws:sts::444455556666:assumed-role/eks-admin/verify-cli',
        'arn:aws:iam::444455556666:role/eks-admin',
        'assumed-role',
        '444455556666',
        'verify-cli',
      ],
    );

    const awsAuth = join(work, 'chain-aws-auth.yaml');
    writeFileSync(
      awsAuth,
      'mapRoles:\n  - rolearn: arn:aws:iam::444455556666:role/EKS-Admin\n    username: "admin:{{SessionName}}"\n    groups: [admins]\n',
    );
    const explained = await eksAuth(
      [
        'explain',
        '--cluster',
        'demo',
        '--no-eks-api',
        '--aws-auth',
        awsAuth,
        '--token',
        token,
        '--sts-endpoint',
        p.sts.url,
        '--json',
      ],
      { env, secret: token },
    );
    assert.equal(explained.code, 0, explained.stderr);
    const mapped = JSON.parse(explained.stdout) as Record<string, unknown>;
    assert.deepEqual([mapped.username, mapped.groups, mapped.matchedBy], ['admin:verify-cli', ['admins'], 'mapRoles']);
  });
});

describe('eks-auth verify without peers', () => {
  test('reports an unreachable STS as exit 5', async () => {
    const port = await freePort();
    const url = presignGetCallerIdentity({
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      endpoint: resolveStsEndpoint({ region: 'us-east-1', endpointUrl: `https://127.0.0.1:${port}` }),
      clusterId: 'demo',
      signingDate: new Date(),
    });
    const token = encodeToken(url);
    const res = await eksAuth(
      ['verify', '--cluster', 'demo', '--sts-endpoint', `https://127.0.0.1:${port}`, '--json'],
      { input: token, secret: token },
    );
    assert.equal(res.code, 5, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { reason: string }).reason, 'sts-unreachable');
  });

  test('rejects an expired token with exit 6 and names the check', async () => {
    const url = presignGetCallerIdentity({
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      endpoint: resolveStsEndpoint({ region: 'eu-west-1' }),
      clusterId: 'demo',
      signingDate: new Date(Date.now() - 20 * 60 * 1000),
    });
    const token = encodeToken(url);
    const res = await eksAuth(['verify', '--cluster', 'demo'], { input: `${token}\n`, secret: token });
    assert.equal(res.code, 6);
    assert.match(res.stderr, /^error: token rejected by check "expired": X-Amz-Date \d{8}T\d{6}Z is 20m( \d+s)? old/m);
  });

  test('needs --cluster and a token (exit 2)', async () => {
    assert.equal((await eksAuth(['verify'], { input: 'k8s-aws-v1.x' })).code, 2);
    const empty = await eksAuth(['verify', '--cluster', 'demo'], { input: '' });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /^error: no token given/m);
  });
});

describe('eks-auth explain', () => {
  const file = join(FIXTURES, 'good.yaml');

  test('prints the username and groups of a mapped ARN, as text and JSON', async () => {
    const text = await eksAuth([
      'explain',
      '--aws-auth',
      file,
      '--arn',
      'arn:aws:sts::111122223333:assumed-role/Developer/alice',
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^matched: +mapRoles entry 2 \(.*good\.yaml:14\): rolearn arn:aws:iam::111122223333:role\/Developer$/m,
    );
    assert.match(text.stdout, /^username: +developer$/m);
    const json = await eksAuth([
      'explain',
      '--aws-auth',
      file,
      '--arn',
      'arn:aws:iam::111122223333:user/ops/alice',
      '--json',
    ]);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual([out.username, out.groups, out.matchedBy], ['alice', ['ops'], 'mapUsers']);
  });

  test('exits 7 with the near-miss when nothing matches', async () => {
    const res = await eksAuth([
      'explain',
      '--aws-auth',
      join(FIXTURES, 'role-path.yaml'),
      '--arn',
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice',
    ]);
    assert.equal(res.code, 7);
    assert.match(res.stderr, /^error: .* is not mapped by .*role-path\.yaml: /m);
    assert.match(
      res.stderr,
      /^hint: mapRoles entry 1 \(line 8\): .* has a path; .*use arn:aws:iam::111122223333:role\/AWSReservedSSO_Admin_0123456789abcdef$/m,
    );
    const json = await eksAuth([
      'explain',
      '--aws-auth',
      join(FIXTURES, 'role-path.yaml'),
      '--arn',
      'arn:aws:iam::111122223333:role/Nobody',
      '--json',
    ]);
    assert.equal(json.code, 7);
    assert.deepEqual(JSON.parse(json.stdout).username, null);
  });

  test('refuses incomplete or conflicting options (exit 2)', async () => {
    for (const args of [
      ['explain', '--arn', 'arn:aws:iam::111122223333:user/a'],
      [
        'explain',
        '--aws-auth',
        file,
        '--arn',
        'arn:aws:iam::111122223333:user/a',
        '--token',
        'k8s-aws-v1.x',
        '--cluster',
        'demo',
      ],
      ['explain', '--aws-auth', file, '--from-cluster', '--arn', 'arn:aws:iam::111122223333:user/a'],
      ['explain', '--aws-auth', file, '--arn', 'not-an-arn'],
      ['explain', '--aws-auth', file, '--token', 'k8s-aws-v1.x'],
    ]) {
      assert.equal((await eksAuth(args)).code, 2, args.join(' '));
    }
  });

  test('--from-cluster says so when kubectl is not on PATH (exit 3)', async () => {
    const res = await eksAuth(['explain', '--from-cluster', '--arn', 'arn:aws:iam::111122223333:user/a'], {
      env: cleanAwsEnv({ env: { PATH: work } }),
    });
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stderr, /^error: kubectl is not on PATH/m);
  });

  test('--from-cluster reads kube-system/aws-auth with kubectl from the cluster', async (t) => {
    const p = use(t, 'kubectl.1.33');
    if (!p) return;
    const bin = mkdtempSync(join(work, 'bin-'));
    symlinkSync(kubectlPath(33), join(bin, 'kubectl'));
    const kubeconfig = join(work, 'kubeconfig');
    writeKubeconfig(kubeconfig, {
      server: p.kube.server,
      caData: p.kube.caData,
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        interactiveMode: 'Never',
        command: process.execPath,
        args: [ensureBuilt(), 'token', '--cluster', 'demo', '--region', 'us-east-1'],
      },
    });
    const env = aliceEnv(p, { PATH: `${bin}:${process.env.PATH ?? ''}` });
    const res = await eksAuth(['explain', '--from-cluster', '--kubeconfig', kubeconfig, '--arn', ALICE.arn, '--json'], {
      env,
    });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout).username, 'alice');
  });
});

describe('eks-auth aws-auth check', () => {
  test('exits 0 on a clean file and 8 on errors, printing FILE:LINE findings', async () => {
    const good = await eksAuth(['aws-auth', 'check', join(FIXTURES, 'good.yaml')]);
    assert.deepEqual([good.code, good.stdout], [0, '']);
    const bad = await eksAuth(['aws-auth', 'check', join(FIXTURES, 'instance-profile.yaml')]);
    assert.equal(bad.code, 8);
    assert.match(bad.stdout, /^.*instance-profile\.yaml:8: error: mapRoles entry 1: .* is an instance-profile ARN/m);
    assert.match(bad.stderr, /instance-profile\.yaml: 1 error, 0 warnings/);
  });

  test('passes warnings alone unless --strict', async () => {
    const file = join(FIXTURES, 'system-masters.yaml');
    assert.equal((await eksAuth(['aws-auth', 'check', file])).code, 0);
    assert.equal((await eksAuth(['aws-auth', 'check', '--strict', file])).code, 8);
  });

  test('a missing file is exit 3', async () => {
    const res = await eksAuth(['aws-auth', 'check', join(work, 'missing.yaml')]);
    assert.equal(res.code, 3);
    assert.match(res.stderr, /^error: .*missing\.yaml does not exist$/m);
  });
});
