/**
 * `eks-auth kubeconfig` and `kubeconfig migrate` against real peers: moto_server serves
 * DescribeCluster (the cluster created with the AWS CLI), the AWS CLI's own `update-kubeconfig`
 * output is the reference for names and cluster entries, and a pinned real kubectl runs the entries
 * eks-auth wrote against the verifying kube-apiserver and STS of test/peers.
 *
 * eks-auth runs as an npm global install would lay it out: an executable symlink to a copy of the
 * built dist/eks-auth.js.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ensureBuilt, REPO_ROOT } from '../helpers/built-cli';
import {
  cleanAwsEnv,
  kubectlPath,
  peersAvailable,
  requirePeer,
  runCommand,
  startPeers,
  type PeerName,
  type Peers,
} from '../peers/peers';
import { freePort } from '../peers/processes';

const PEERS: PeerName[] = ['moto_server', 'aws', 'botocore', 'openssl', 'kubectl.1.31'];
const KUBECTL_MINOR = 31;
// Static keys the STS front knows; made up for the test.
const ALICE = {
  akid: 'AKIAEKSAUTHKUBECONF1',
  secret: 'kubeconfig/test+secret=0123456789abcdefghij',
  arn: 'arn:aws:iam::111122223333:user/alice',
};
const REGION = 'us-west-2';
// moto's default account.
const ARN = 'arn:aws:eks:us-west-2:123456789012:cluster/demo';
const ADMIN_ROLE = 'arn:aws:iam::444455556666:role/eks-admin';

describe('eks-auth kubeconfig with moto, the AWS CLI and kubectl', () => {
  let peers: Peers | undefined;
  let eksAuth = '';
  let installBin = '';
  let awsConfig = '';

  before(async () => {
    if (!peersAvailable(PEERS)) return;
    ensureBuilt();
    peers = await startPeers({
      clusterId: 'demo',
      staticKeys: { [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn } },
    });
    // npm's layout: bin/eks-auth -> lib/eks-auth.js (executable), the lazily loaded bundles beside it.
    const lib = join(peers.dir, 'install', 'lib');
    installBin = join(peers.dir, 'install', 'bin');
    mkdirSync(lib, { recursive: true });
    mkdirSync(installBin, { recursive: true });
    for (const file of readdirSync(join(REPO_ROOT, 'dist')).filter((f) => f.endsWith('.js')))
      copyFileSync(join(REPO_ROOT, 'dist', file), join(lib, file));
    chmodSync(join(lib, 'eks-auth.js'), 0o755);
    eksAuth = join(installBin, 'eks-auth');
    symlinkSync(join(lib, 'eks-auth.js'), eksAuth);
    awsConfig = join(peers.dir, 'aws-config');
    writeFileSync(
      awsConfig,
      ['[profile dev]', `aws_access_key_id = ${ALICE.akid}`, `aws_secret_access_key = ${ALICE.secret}`, ''].join('\n'),
    );
    const created = await aws([
      'eks',
      'create-cluster',
      '--name',
      'demo',
      '--region',
      REGION,
      '--role-arn',
      'arn:aws:iam::123456789012:role/eks',
      '--resources-vpc-config',
      'subnetIds=subnet-1',
    ]);
    assert.equal(created.code, 0, created.stderr);
  });
  after(() => peers?.stop());

  /** What a user's shell has: keys, the local STS and EKS, the test CA. */
  function userEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const p = peers as Peers;
    return cleanAwsEnv({
      configFile: awsConfig,
      caFile: p.caFile,
      env: {
        AWS_ACCESS_KEY_ID: ALICE.akid,
        AWS_SECRET_ACCESS_KEY: ALICE.secret,
        AWS_ENDPOINT_URL_EKS: p.moto.url,
        AWS_ENDPOINT_URL_STS: p.sts.url,
        EKS_AUTH_NO_CACHE: '1',
        ...extra,
      },
    });
  }

  function aws(args: string[], extra: Record<string, string | undefined> = {}) {
    return runCommand('aws', args, { env: userEnv(extra), timeoutMs: 60_000 });
  }

  function runEksAuth(args: string[], extra: Record<string, string | undefined> = {}) {
    return runCommand(eksAuth, args, { env: userEnv(extra), timeoutMs: 60_000 });
  }

  function kubectl(args: string[], extra: Record<string, string | undefined> = {}) {
    return runCommand(kubectlPath(KUBECTL_MINOR), args, { env: userEnv(extra), timeoutMs: 60_000 });
  }

  function read(path: string) {
    return parse(readFileSync(path, 'utf8'));
  }

  test('writes the cluster moto describes, named and laid out as aws eks update-kubeconfig does, then is idempotent', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const reference = join(p.dir, 'reference-kubeconfig');
    const ours = join(p.dir, 'ours-kubeconfig');
    const byAws = await aws([
      'eks',
      'update-kubeconfig',
      '--name',
      'demo',
      '--region',
      REGION,
      '--kubeconfig',
      reference,
    ]);
    assert.equal(byAws.code, 0, byAws.stderr);

    const first = await runEksAuth(['kubeconfig', '--cluster', 'demo', '--region', REGION, '--kubeconfig', ours]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `Added context ${ARN} in ${ours}\n`);
    const written = read(ours);
    const expected = read(reference);
    // Cluster and context entries, names and current-context exactly as the AWS CLI wrote them.
    assert.deepEqual(written.clusters, expected.clusters);
    assert.deepEqual(written.contexts, expected.contexts);
    assert.equal(written['current-context'], ARN);
    assert.equal(written.users[0].name, ARN);
    assert.deepEqual(written.users[0].user.exec.args, ['token', '--cluster', 'demo', '--region', REGION]);
    assert.equal(statSync(ours).mode & 0o777, 0o600);

    const text = readFileSync(ours, 'utf8');
    const again = await runEksAuth(['kubeconfig', '--cluster', 'demo', '--region', REGION, '--kubeconfig', ours]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `Context ${ARN} in ${ours} is up to date\n`);
    assert.equal(readFileSync(ours, 'utf8'), text);
  });

  test('over a file update-kubeconfig wrote, replaces only the user, in place', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const path = join(p.dir, 'updated-kubeconfig');
    assert.equal(
      (await aws(['eks', 'update-kubeconfig', '--name', 'demo', '--region', REGION, '--kubeconfig', path])).code,
      0,
    );
    const before = read(path);
    const res = await runEksAuth(['kubeconfig', '--cluster', 'demo', '--region', REGION, '--kubeconfig', path]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `Updated context ${ARN} in ${path}\n`);
    const after = read(path);
    assert.deepEqual({ ...after, users: undefined }, { ...before, users: undefined });
    assert.equal(after.users.length, 1);
    assert.equal(after.users[0].user.exec.command, 'eks-auth');
  });

  test('a cluster EKS does not have: exit 3, naming cluster and region, with the list-clusters hint', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const path = join(p.dir, 'missing-kubeconfig');
    const res = await runEksAuth(['kubeconfig', '--cluster', 'nope', '--region', REGION, '--kubeconfig', path]);
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stderr, /^error: EKS has no cluster "nope" in us-west-2$/m);
    assert.match(res.stderr, /^hint: check the name and region: aws eks list-clusters --region us-west-2$/m);
    assert.doesNotMatch(res.stderr, new RegExp(ALICE.secret.replace(/[+/]/g, '\\$&')));
    assert.throws(() => statSync(path), /ENOENT/);
  });

  test('an unreachable EKS endpoint: exit 5 naming the endpoint', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const closed = `http://127.0.0.1:${await freePort()}`;
    const res = await runEksAuth(
      ['kubeconfig', '--cluster', 'demo', '--region', REGION, '--kubeconfig', join(p.dir, 'x')],
      { AWS_ENDPOINT_URL_EKS: closed },
    );
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /^error: could not reach EKS for cluster "demo" in us-west-2: /m);
    assert.match(res.stderr, new RegExp(`^hint: check that ${closed} `, 'm'));
  });

  test('kubectl uses an entry written with --server, --ca-data and --absolute-command to get pods', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const path = join(p.dir, 'e2e-kubeconfig');
    const res = await runEksAuth([
      'kubeconfig',
      '--cluster',
      'demo',
      '--region',
      REGION,
      '--server',
      p.kube.server,
      '--ca-data',
      p.kube.caData,
      '--absolute-command',
      '--kubeconfig',
      path,
    ]);
    assert.equal(res.code, 0, res.stderr);
    // Without DescribeCluster the ARN is unknown: entries are named after the cluster.
    assert.equal(res.stdout, `Added context demo in ${path}\n`);
    // On Node.js with no native binary beside the script, the entry runs that node by absolute path
    // with the script (symlinks resolved) first: never a .js as the command, no node needed on PATH.
    const exec = read(path).users[0].user.exec;
    assert.match(
      spawnSync(exec.command, ['--version'], { encoding: 'utf8' }).stdout,
      /^v\d+\.\d+\.\d+\n$/,
      `${exec.command} is a node`,
    );
    assert.deepEqual(exec.args.slice(0, 2), [realpathSync(eksAuth), 'token']);

    const before = p.kube.outcomes.length;
    // eks-auth is not on kubectl's PATH: only the absolute command can work.
    assert.ok(!(process.env.PATH ?? '').split(delimiter).includes(installBin));
    const got = await kubectl(['--kubeconfig', path, 'get', 'pods']);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /hello/);
    const outcomes = p.kube.outcomes.slice(before);
    assert.ok(outcomes.length > 0 && outcomes.every((o) => o.ok && o.arn === ALICE.arn), JSON.stringify(outcomes));
  });

  test('migrate turns an update-kubeconfig user and a v1alpha1 aws-iam-authenticator user into eks-auth entries kubectl uses', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    // File 1: written by the AWS CLI (v1beta1 `aws eks get-token`, --role and AWS_PROFILE), then
    // pointed at the local kube-apiserver with kubectl itself.
    const byAws = join(p.dir, 'migrate-aws');
    assert.equal(
      (
        await aws([
          'eks',
          'update-kubeconfig',
          '--name',
          'demo',
          '--region',
          REGION,
          '--kubeconfig',
          byAws,
          '--role-arn',
          ADMIN_ROLE,
          '--profile',
          'dev',
        ])
      ).code,
      0,
    );
    const setCluster = await kubectl([
      '--kubeconfig',
      byAws,
      'config',
      'set-cluster',
      ARN,
      `--server=${p.kube.server}`,
      `--certificate-authority=${p.caFile}`,
      '--embed-certs',
    ]);
    assert.equal(setCluster.code, 0, setCluster.stderr);
    // File 2: the v1alpha1 fixture (aws-iam-authenticator docs of 2018-2021) at the same server.
    const legacy = join(p.dir, 'migrate-legacy');
    const fixture = readFileSync(
      join(REPO_ROOT, 'test', 'fixtures', 'kubeconfig', 'aws-iam-authenticator-v1alpha1.yaml'),
      'utf8',
    );
    writeFileSync(
      legacy,
      fixture
        .replace('https://EXAMPLE.gr7.us-west-2.eks.amazonaws.com', p.kube.server)
        .replace('LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==', p.kube.caData),
      { mode: 0o600 },
    );
    const kubeconfigEnv = {
      KUBECONFIG: [byAws, legacy].join(delimiter),
      PATH: `${installBin}${delimiter}${process.env.PATH ?? ''}`,
    };

    // kubectl 1.24+ refuses v1alpha1: the reason to migrate.
    const refused = await kubectl(['--context', 'legacy', 'get', 'pods'], kubeconfigEnv);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /v1alpha1/);

    const migrated = await runEksAuth(['kubeconfig', 'migrate'], kubeconfigEnv);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, new RegExp(`^Migrated 1 user in ${byAws}$`, 'm'));
    assert.match(migrated.stdout, new RegExp(`^Migrated 2 users in ${legacy}$`, 'm'));
    assert.match(
      migrated.stdout,
      /^\+ AWS_PROFILE=dev eks-auth token --cluster demo --region us-west-2 --role-arn arn:aws:iam::444455556666:role\/eks-admin \(client.authentication.k8s.io\/v1\)$/m,
    );

    const cases: Array<[string, RegExp, Record<string, string>]> = [
      // The role from --role, assumed with the keys of AWS_PROFILE=dev; moto names the session.
      [ARN, /^arn:aws:sts::444455556666:assumed-role\/eks-admin\/eks-auth-/, {}],
      // The session name carried over from --session-name.
      ['legacy', /^arn:aws:sts::444455556666:assumed-role\/eks-admin\/ops-alice$/, {}],
      // No region in the old entry: eks-auth takes AWS_REGION, as the migrate summary says.
      ['legacy-heptio', new RegExp(`^${ALICE.arn}$`), { AWS_REGION: REGION }],
    ];
    for (const [context, arn, extra] of cases) {
      const before = p.kube.outcomes.length;
      const got = await kubectl(['--context', context, 'get', 'pods'], { ...kubeconfigEnv, ...extra });
      assert.equal(got.code, 0, `${context}: ${got.stderr}`);
      assert.match(got.stdout, /hello/);
      const outcome = p.kube.outcomes[before];
      assert.ok(outcome?.ok, JSON.stringify(outcome));
      assert.match(outcome.arn ?? '', arn);
    }

    const again = await runEksAuth(['kubeconfig', 'migrate'], kubeconfigEnv);
    assert.equal(
      again.stdout.match(/^No aws eks get-token or aws-iam-authenticator users to migrate in /gm)?.length,
      2,
    );
  });
});
