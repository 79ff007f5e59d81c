/**
 * Access entries end to end: `eks-auth explain --cluster` reads the local EKS API (test/peers/eks-api.ts)
 * and predicts the Kubernetes user; a real kubectl then signs in through eks-auth to the local
 * kube-apiserver, which maps callers by the same access entries (kube-api.ts accessEntryUser, written
 * from the EKS user guide), and `kubectl auth whoami` shows what the cluster made of it. Role sessions
 * come from moto behind the verifying STS front; IAM GetRole is moto's.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureBuilt, runEksAuth } from '../helpers/built-cli';
import {
  cleanAwsEnv,
  kubectlPath,
  peersAvailable,
  requirePeer,
  runCommand,
  startEksApi,
  startPeers,
  writeKubeconfig,
  type EksApi,
  type KubeAccessEntry,
  type PeerName,
  type Peers,
} from '../peers/peers';

const PEERS: PeerName[] = ['moto_server', 'botocore', 'openssl', 'aws', 'kubectl.1.33'];
const A = '111122223333';
const REGION = 'us-east-1';
// Static keys the STS front knows; made up for the test.
const BASE = {
  akid: 'AKIAEKSAUTHACCESSENT',
  secret: 'access/entries+key=0123456789abcdefghij',
  arn: `arn:aws:iam::${A}:user/base`,
};
const VIEW = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';

// The entries both the EKS API and the apiserver serve: a role entry with a path and no username
// of its own (EKS's default applies), and a user entry with its own username and groups.
const ENTRIES: (KubeAccessEntry & {
  policies?: { policyArn: string; accessScope: { type: 'cluster' } }[];
  createdAt?: Date;
})[] = [
  {
    principalArn: `arn:aws:iam::${A}:role/team/Dev`,
    kubernetesGroups: ['dev-team'],
    policies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }],
  },
  { principalArn: BASE.arn, username: 'base-user', kubernetesGroups: ['base-team'] },
];

describe('access entries: explain predicts what the cluster does', () => {
  let peers: Peers | undefined;
  let eks: EksApi | undefined;
  before(async () => {
    if (!peersAvailable(PEERS)) return;
    ensureBuilt();
    peers = await startPeers({
      clusterId: 'demo',
      staticKeys: { [BASE.akid]: { secret: BASE.secret, arn: BASE.arn } },
      accessEntries: ENTRIES.map(({ principalArn, username, kubernetesGroups }) => ({
        principalArn,
        kubernetesGroups,
        ...(username ? { username } : {}),
      })),
    });
    eks = await startEksApi({
      region: REGION,
      tls: peers.tls,
      keys: { [BASE.akid]: BASE.secret },
      anyKey: true,
      clusters: [{ name: 'demo', mode: 'API', entries: ENTRIES }],
    });
  });
  after(async () => {
    await eks?.stop();
    await peers?.stop();
  });

  function env(): NodeJS.ProcessEnv {
    const p = peers as Peers;
    const config = join(p.dir, 'aws-config');
    writeFileSync(
      config,
      [
        '[profile base]',
        `aws_access_key_id = ${BASE.akid}`,
        `aws_secret_access_key = ${BASE.secret}`,
        `region = ${REGION}`,
        '',
        '[profile dev]',
        `role_arn = arn:aws:iam::${A}:role/Dev`,
        'source_profile = base',
        'role_session_name = alice@example.com',
        `region = ${REGION}`,
        '',
        '[profile other]',
        `role_arn = arn:aws:iam::${A}:role/Other`,
        'source_profile = base',
        'role_session_name = bob',
        `region = ${REGION}`,
        '',
      ].join('\n'),
    );
    return cleanAwsEnv({
      configFile: config,
      caFile: p.caFile,
      env: {
        AWS_ENDPOINT_URL_STS: p.sts.url,
        AWS_ENDPOINT_URL_EKS: (eks as EksApi).url,
        AWS_ENDPOINT_URL_IAM: p.moto.url,
        EKS_AUTH_NO_CACHE: '1',
      },
    });
  }

  async function kubectlWhoami(profile: string) {
    const p = peers as Peers;
    const kubeconfig = join(p.dir, `kubeconfig-${profile}`);
    writeKubeconfig(kubeconfig, {
      server: p.kube.server,
      caData: p.kube.caData,
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        interactiveMode: 'Never',
        command: process.execPath,
        args: [ensureBuilt(), 'token', '--cluster', 'demo', '--region', REGION, '--profile', profile],
      },
    });
    return runCommand(kubectlPath(33), ['--kubeconfig', kubeconfig, 'auth', 'whoami', '--output', 'json'], {
      env: env(),
      timeoutMs: 60_000,
    });
  }

  test('a role session: explain and the cluster agree on username and groups (the default username of a role entry)', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const explained = await runEksAuth(['explain', '--cluster', 'demo', '--profile', 'dev', '--json'], env());
    assert.equal(explained.code, 0, explained.stderr);
    const out = JSON.parse(explained.stdout);
    assert.equal(out.matchedBy, 'accessEntry');
    assert.equal(out.authenticationMode, 'API');
    assert.equal(out.accessEntry.principalArn, `arn:aws:iam::${A}:role/team/Dev`);
    assert.deepEqual(out.accessPolicies, [
      {
        policyArn: VIEW,
        accessScope: { type: 'cluster', namespaces: [] },
        associatedAt: '2025-01-01T00:00:00.000Z',
        modifiedAt: '2025-01-01T00:00:00.000Z',
      },
    ]);
    // moto has no role Dev: the recreated-role check could not run, and explain says so.
    assert.ok(
      out.notes.some((n: string) =>
        n.startsWith(`could not check whether arn:aws:iam::${A}:role/team/Dev was created again`),
      ),
      out.notes.join('\n'),
    );

    const who = await kubectlWhoami('dev');
    assert.equal(who.code, 0, who.stderr);
    const user = JSON.parse(who.stdout).status.userInfo;
    assert.equal(user.username, `arn:aws:sts::${A}:assumed-role/Dev/alice-example.com`);
    assert.equal(out.username, user.username);
    assert.deepEqual([...out.groups, 'system:authenticated'], user.groups);
  });

  test('a user with its own username; whoami --cluster shows the same', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const who = await kubectlWhoami('base');
    assert.equal(who.code, 0, who.stderr);
    const user = JSON.parse(who.stdout).status.userInfo;
    const whoami = await runEksAuth(['whoami', '--profile', 'base', '--cluster', 'demo', '--json'], env());
    assert.equal(whoami.code, 0, whoami.stderr);
    const cluster = JSON.parse(whoami.stdout).cluster;
    assert.deepEqual([cluster.username, [...cluster.groups, 'system:authenticated']], [user.username, user.groups]);
    assert.equal(cluster.username, 'base-user');
    const text = await runEksAuth(['whoami', '--profile', 'base', '--cluster', 'demo'], env());
    assert.match(text.stdout, /^Username: +base-user$/m);
    assert.match(text.stdout, /^Policies: +\(none\)$/m);
  });

  test('no entry: kubectl is Unauthorized and explain exits 7 naming the closest miss', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const who = await kubectlWhoami('other');
    assert.notEqual(who.code, 0);
    assert.match(who.stderr, /Unauthorized|provide credentials/);
    const explained = await runEksAuth(['explain', '--cluster', 'demo', '--profile', 'other'], env());
    assert.equal(explained.code, 7, explained.stderr);
    assert.match(
      explained.stderr,
      /^error: arn:aws:sts::111122223333:assumed-role\/Other\/bob is not mapped by the access entries of cluster "demo": /m,
    );
    assert.match(
      explained.stderr,
      /^hint: create an access entry: aws eks create-access-entry --cluster-name demo --principal-arn arn:aws:iam::111122223333:role\/Other/m,
    );
  });

  test('a role created after its entry (IAM GetRole CreateDate): not mapped, named as recreated', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: A }, Action: 'sts:AssumeRole' }],
    });
    // As profile dev, so moto files the role under the session's account (moto keys IAM by the caller's account).
    const created = await runCommand(
      'aws',
      [
        'iam',
        'create-role',
        '--profile',
        'dev',
        '--role-name',
        'Dev',
        '--path',
        '/team/',
        '--assume-role-policy-document',
        policy,
      ],
      { env: env() },
    );
    assert.equal(created.code, 0, created.stderr);
    // The entry was created 2025-01-01 (the peer's default); moto's role now.
    const explained = await runEksAuth(['explain', '--cluster', 'demo', '--profile', 'dev', '--json'], env());
    assert.equal(explained.code, 7, `${explained.stderr}${explained.stdout}`);
    const out = JSON.parse(explained.stdout);
    assert.equal(out.nearMiss.kind, 'recreated');
    assert.match(out.nearMiss.message, /older than the role .*delete the access entry and create it again/);
  });

  test('AccessDenied on ListAccessEntries: one warning naming the permission, then aws-auth alone', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const file = join(p.dir, 'aws-auth.yaml');
    writeFileSync(file, `mapUsers: |\n  - userarn: ${BASE.arn}\n    username: from-aws-auth\n    groups: [x]\n`);
    eks?.deny('ListAccessEntries', 1);
    const res = await runEksAuth(
      ['explain', '--cluster', 'demo', '--profile', 'base', '--aws-auth', file, '--json'],
      env(),
    );
    assert.equal(res.code, 0, res.stderr);
    const warnings = res.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    assert.equal(warnings.length, 1, res.stderr);
    assert.match(
      warnings[0] ?? '',
      /could not list the access entries of cluster "demo": .*AccessDeniedException.*\(the identity needs eks:ListAccessEntries\); going on with aws-auth alone/,
    );
    const out = JSON.parse(res.stdout);
    assert.deepEqual([out.matchedBy, out.username, out.authenticationMode], ['mapUsers', 'from-aws-auth', 'API']);
    // --no-eks-api: the API is not asked at all.
    const before = (eks as EksApi).calls.length;
    const skipped = await runEksAuth(
      ['explain', '--cluster', 'demo', '--no-eks-api', '--profile', 'base', '--aws-auth', file, '--json'],
      env(),
    );
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal((eks as EksApi).calls.length, before);
    assert.equal(JSON.parse(skipped.stdout).authenticationMode, null);
  });
});
