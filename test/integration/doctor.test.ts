/**
 * `eks-auth doctor` against the local peers: one kubeconfig file on disk with a context for each
 * broken link and healthy ones, the built CLI, the signature-checking STS front over moto, a local
 * EKS DescribeCluster whose cluster endpoint is the local kube-api, and the kube-api mapping callers
 * through aws-auth and answering SelfSubjectReview / SelfSubjectAccessReview from RBAC bindings.
 * The clock link is broken with faketime. Also `token`'s last-error file and `doctor --last`.
 *
 * Each context is built so that exactly one link breaks; the expected link names come from that
 * construction, not from running doctor.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ensureBuilt } from '../helpers/built-cli';
import { startEksClusters, type EksClusters } from '../peers/eks-clusters';
import {
  cleanAwsEnv,
  kubectlPath,
  makeTlsCert,
  peerAvailable,
  peersAvailable,
  requirePeer,
  runCommand,
  startKubeApi,
  startMoto,
  startStsFront,
  type CommandResult,
  type KubeApi,
  type Moto,
  type PeerName,
  type StsFront,
  type TlsCert,
} from '../peers/peers';
import { freePort } from '../peers/processes';

const PEERS: PeerName[] = ['moto_server', 'openssl', 'botocore'];
const ACCOUNT = '123456789012';
// Made-up keys the STS front knows; secrets hold / and + like real ones.
const ALICE = {
  akid: 'AKIADOCTORALICE00001',
  secret: 'aLiCe/Doctor+Secret/Key00000000000000001',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
};
const BOB = {
  akid: 'AKIADOCTORBOB0000001',
  secret: 'bOb/Doctor+Secret/Key000000000000000000001',
  arn: `arn:aws:iam::${ACCOUNT}:user/bob`,
};
const CAROL = {
  akid: 'AKIADOCTORCAROL00001',
  secret: 'cArOl/Doctor+Secret/Key0000000000000000001',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci`,
  userId: 'AROADOCTORCAROL00001:ci',
};
// alice is mapped with a group that RBAC lets list pods in default; bob is mapped with no grants;
// carol's role is mapped with its IAM path, which never matches an assumed-role session (aws-iam-authenticator#268).
const AWS_AUTH = {
  mapUsers: `- userarn: ${ALICE.arn}\n  username: alice\n  groups: [devs]\n- userarn: ${BOB.arn}\n  username: bob\n`,
  mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/team/deploy\n  username: deploy:{{SessionName}}\n  groups: [devs]\n`,
};

const work = mkdtempSync(join(tmpdir(), 'eks-auth-doctor-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface World {
  moto: Moto;
  sts: StsFront;
  kube: KubeApi;
  eks: EksClusters;
  caFile: string;
  kubeconfig: string;
  awsAuthFile: string;
  binDir: string;
  credentialsFile: string;
  configFile: string;
}
let world: World | undefined;

before(async () => {
  if (!peersAvailable(PEERS)) return;
  const tls = backdatedCert(work);
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, tls.certPem);
  const motoPort = await freePort();
  const [moto, sts] = await Promise.all([
    startMoto({ port: motoPort }),
    startStsFront({
      motoUrl: `http://127.0.0.1:${motoPort}`,
      tls,
      staticKeys: {
        [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn },
        [BOB.akid]: { secret: BOB.secret, arn: BOB.arn },
        [CAROL.akid]: { secret: CAROL.secret, arn: CAROL.arn, userId: CAROL.userId },
      },
    }),
  ]);
  const kube = await startKubeApi({
    clusterId: 'demo',
    stsUrl: sts.url,
    caPem: tls.certPem,
    tls,
    mapIdentities: 'aws-auth',
    configMaps: { 'kube-system/aws-auth': { data: AWS_AUTH } },
    rbac: [{ namespace: 'default', groups: ['devs'], verbs: ['get', 'list', 'watch'], resources: ['pods'] }],
  });
  const eks = await startEksClusters([
    { name: 'demo', region: 'us-east-1', endpoint: kube.server, caData: kube.caData },
    {
      name: 'other',
      region: 'us-east-1',
      endpoint: 'https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com',
      caData: kube.caData,
    },
  ]);
  world = { moto, sts, kube, eks, caFile, ...writeFixtures(kube) };
});
after(async () => {
  await Promise.all([world?.eks.stop(), world?.kube.stop(), world?.sts.stop(), world?.moto.stop()]);
});

/**
 * The peers' certificate, valid from yesterday when faketime is there: a clock set back for the
 * clock link must still trust it, as it would AWS's certificates, which are months old.
 */
function backdatedCert(dir: string): TlsCert {
  if (!peerAvailable('faketime')) return makeTlsCert(dir);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'faketime',
    [
      '-f',
      '-1d',
      'openssl',
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '3',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

/** The AWS files, the kubeconfig with every context, a copy of aws-auth, and a PATH directory. */
function writeFixtures(
  kube: KubeApi,
): Pick<World, 'kubeconfig' | 'awsAuthFile' | 'binDir' | 'credentialsFile' | 'configFile'> {
  const credentials = join(work, 'credentials');
  writeFileSync(
    credentials,
    [
      ['alice', ALICE.akid, ALICE.secret],
      ['bob', BOB.akid, BOB.secret],
      ['carol', CAROL.akid, CAROL.secret],
      // alice's key id with another secret: STS refuses the signature.
      ['wrong-secret', ALICE.akid, 'not/alices+secret/000000000000000000000001'],
    ]
      .map(([name, akid, secret]) => `[${name}]\naws_access_key_id = ${akid}\naws_secret_access_key = ${secret}\n`)
      .join('\n') +
      // A session token this long makes a token over EKS's 4096 bytes.
      `\n[long-session]\naws_access_key_id = ASIADOCTORLONG000001\naws_secret_access_key = long/Session+Secret/0000000000000000001\naws_session_token = ${'A'.repeat(3500)}\n`,
    { mode: 0o600 },
  );
  const config = join(work, 'config');
  writeFileSync(config, '', { mode: 0o600 });

  const binDir = join(work, 'bin');
  mkdirSync(binDir);
  symlinkSync(ensureBuilt(), join(binDir, 'eks-auth'));
  // Only looked up on PATH by the kubeconfig link, never run: doctor makes the token itself.
  writeFileSync(join(binDir, 'aws-iam-authenticator'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(binDir, 'aws-iam-authenticator'), 0o755);

  const otherCa = makeTlsCert(mkdtempSync(join(work, 'other-ca-')));
  const cluster = (name: string, caData = kube.caData) => ({
    name,
    cluster: { server: kube.server, 'certificate-authority-data': caData },
  });
  const eksAuth = (profile: string, clusterName = 'demo', extra: Record<string, unknown> = {}) => ({
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: 'eks-auth',
      args: ['token', '--cluster', clusterName],
      env: [{ name: 'AWS_PROFILE', value: profile }],
      interactiveMode: 'IfAvailable',
      ...extra,
    },
  });
  const users: Record<string, unknown> = {
    alice: eksAuth('alice'),
    bob: eksAuth('bob'),
    carol: eksAuth('carol'),
    'no-plugin': eksAuth('alice', 'demo', { command: 'eks-auth-not-installed' }),
    'no-profile': eksAuth('no-such-profile'),
    'long-session': eksAuth('long-session'),
    'wrong-secret': eksAuth('wrong-secret'),
    'wrong-cluster': eksAuth('alice', 'demo-typo'),
    'other-cluster': eksAuth('alice', 'other'),
    // As `aws eks update-kubeconfig` writes it.
    'aws-cli': {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'aws',
        args: ['--region', 'us-east-1', 'eks', 'get-token', '--cluster-name', 'demo', '--output', 'json'],
        env: [{ name: 'AWS_PROFILE', value: 'alice' }],
      },
    },
    authenticator: {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'aws-iam-authenticator',
        args: ['token', '-i', 'demo'],
        env: [{ name: 'AWS_PROFILE', value: 'alice' }],
      },
    },
  };
  const contexts: [string, string, string, Record<string, unknown>?][] = [
    ['healthy', 'demo', 'alice'],
    ['healthy-aws-cli', 'demo', 'aws-cli'],
    ['healthy-authenticator', 'demo', 'authenticator'],
    ['broken-kubeconfig', 'demo', 'no-plugin'],
    ['broken-credentials', 'demo', 'no-profile'],
    ['broken-token', 'demo', 'long-session'],
    ['broken-sts', 'demo', 'wrong-secret'],
    ['broken-cluster-name', 'demo', 'wrong-cluster'],
    ['broken-cluster-endpoint', 'demo', 'other-cluster'],
    ['broken-authentication', 'wrong-ca', 'alice'],
    ['broken-mapping', 'demo', 'carol'],
    ['broken-authorization', 'demo', 'bob'],
    ['elsewhere', 'demo', 'alice', { namespace: 'kube-system' }],
  ];
  const kubeconfig = join(work, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster('demo'), cluster('wrong-ca', Buffer.from(otherCa.certPem).toString('base64'))],
      users: Object.entries(users).map(([name, user]) => ({ name, user })),
      contexts: contexts.map(([name, c, user, extra]) => ({ name, context: { cluster: c, user, ...extra } })),
      'current-context': 'healthy',
    }),
    { mode: 0o600 },
  );
  const awsAuthFile = join(work, 'aws-auth.yaml');
  writeFileSync(
    awsAuthFile,
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n${AWS_AUTH.mapRoles.replace(/^/gm, '    ')}  mapUsers: |\n${AWS_AUTH.mapUsers.replace(/^/gm, '    ')}`,
  );
  return { kubeconfig, awsAuthFile, binDir, credentialsFile: credentials, configFile: config };
}

function use(t: TestContext, ...extra: PeerName[]): World | undefined {
  if (!requirePeer(t, ...PEERS, ...extra)) return undefined;
  assert.ok(world, 'the peers did not start');
  return world;
}

function env(w: World, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanAwsEnv({
    caFile: w.caFile,
    credentialsFile: w.credentialsFile,
    configFile: w.configFile,
    env: {
      PATH: `${w.binDir}${delimiter}${process.env.PATH ?? ''}`,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_STS: w.sts.url,
      AWS_ENDPOINT_URL_EKS: w.eks.url,
      KUBECACHEDIR: join(work, 'kube-cache'),
      ...extra,
    },
  });
}

interface Report {
  context: string | null;
  ok: boolean;
  brokenLink: string | null;
  steps: { step: string; status: string; message: string; hint: string | null }[];
}

const STEPS = [
  'kubeconfig',
  'credentials',
  'token',
  'clock',
  'sts',
  'cluster-name',
  'authentication',
  'mapping',
  'authorization',
];
const SECRETS = [ALICE.secret, BOB.secret, CAROL.secret, 'A'.repeat(3500), 'k8s-aws-v1.'];

async function doctor(
  w: World,
  args: string[],
  options: { faketime?: string } = {},
): Promise<CommandResult & { report?: Report }> {
  const cli = [process.execPath, ensureBuilt(), 'doctor', '--kubeconfig', w.kubeconfig, ...args];
  const res = options.faketime
    ? await runCommand('faketime', ['-f', options.faketime, ...cli], { env: env(w), timeoutMs: 90_000 })
    : await runCommand(cli[0] as string, cli.slice(1), { env: env(w), timeoutMs: 90_000 });
  for (const secret of SECRETS) {
    assert.ok(
      !res.stdout.includes(secret) && !res.stderr.includes(secret),
      `a secret or token reached the output:\n${res.stdout}\n${res.stderr}`,
    );
  }
  return args.includes('--json') ? { ...res, report: JSON.parse(res.stdout) as Report } : res;
}

/** Asserts the --json contract and that exactly `link` broke, with a fix, and nothing after it was checked. */
function assertBroken(res: CommandResult & { report?: Report }, context: string, link: string): Report {
  assert.equal(res.code, 9, `${res.stdout}\n${res.stderr}`);
  const r = res.report as Report;
  assert.deepEqual(Object.keys(r), ['context', 'ok', 'brokenLink', 'steps']);
  assert.equal(r.context, context);
  assert.equal(r.ok, false);
  assert.equal(r.brokenLink, link, JSON.stringify(r, null, 2));
  assert.deepEqual(
    r.steps.map((s) => s.step),
    STEPS,
  );
  const at = STEPS.indexOf(link);
  const broken = r.steps[at];
  assert.equal(broken?.status, 'failed');
  assert.ok(broken?.hint, `the broken link ${link} has no fix`);
  for (const s of r.steps.slice(0, at)) {
    // authentication fails together with mapping: the 401 is the symptom, the mapping the cause.
    if (!(link === 'mapping' && s.step === 'authentication'))
      assert.ok(['ok', 'warning'].includes(s.status), `${s.step}: ${s.status} ${s.message}`);
  }
  for (const s of r.steps.slice(at + 1)) assert.equal(s.status, 'skipped', `${s.step} after the broken link`);
  for (const s of r.steps) assert.deepEqual(Object.keys(s), ['step', 'status', 'message', 'hint']);
  return r;
}

describe('eks-auth doctor', () => {
  test('a healthy context: every link holds, exit 0, identity as the cluster sees it', async (t) => {
    const w = use(t);
    if (!w) return;
    const res = await doctor(w, ['--json']);
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    const r = res.report as Report;
    assert.equal(r.context, 'healthy');
    assert.equal(r.ok, true);
    assert.equal(r.brokenLink, null);
    assert.deepEqual(
      r.steps.map((s) => [s.step, s.status]),
      STEPS.map((s) => [s, 'ok']),
    );
    const step = (name: string) => r.steps.find((s) => s.step === name)?.message ?? '';
    assert.match(step('sts'), new RegExp(`${ALICE.arn}`));
    assert.match(step('authentication'), /username alice, groups devs, system:authenticated/);
    assert.match(step('authentication'), new RegExp(`canonicalArn=${ALICE.arn}`));
    assert.match(step('authorization'), /list pods in namespace default/);
    assert.match(step('cluster-name'), new RegExp(`arn:aws:eks:us-east-1:${ACCOUNT}:cluster/demo`));
  });

  test('the text output: one line per link with ✓, and the context', async (t) => {
    const w = use(t);
    if (!w) return;
    const res = await doctor(w, ['--context', 'healthy']);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines[0], 'context: healthy');
    assert.deepEqual(
      lines.slice(1, 10).map((l) => l.split(/\s+/).slice(0, 2)),
      STEPS.map((s) => ['✓', s]),
    );
    assert.equal(lines[10], 'every link holds');
  });

  test('aws eks get-token and aws-iam-authenticator entries are reproduced as kubectl runs them', async (t) => {
    // The kubeconfig link looks the AWS CLI up on PATH, as kubectl would before running it.
    const w = use(t, 'aws');
    if (!w) return;
    for (const context of ['healthy-aws-cli', 'healthy-authenticator']) {
      const res = await doctor(w, ['--context', context, '--json']);
      assert.equal(res.code, 0, `${context}: ${res.stdout}\n${res.stderr}`);
      assert.match(
        res.report?.steps[0]?.message ?? '',
        context === 'healthy-aws-cli'
          ? /runs aws --region us-east-1 eks get-token/
          : /runs aws-iam-authenticator token -i demo/,
      );
    }
  });

  test('--verb/--resource and --namespace choose the request; a denied one breaks authorization', async (t) => {
    const w = use(t);
    if (!w) return;
    const allowed = await doctor(w, ['--verb', 'watch', '--resource', 'pods', '--namespace', 'default', '--json']);
    assert.equal(allowed.code, 0, allowed.stdout);
    const denied = await doctor(w, ['--verb', 'delete', '--resource', 'deployments.apps', '--json']);
    const r = assertBroken(denied, 'healthy', 'authorization');
    assert.match(r.steps[8]?.message ?? '', /delete deployments\.apps in namespace default/);
    // The context's own namespace is the default, as in kubectl.
    const elsewhere = await doctor(w, ['--context', 'elsewhere', '--json']);
    assert.match(
      assertBroken(elsewhere, 'elsewhere', 'authorization').steps[8]?.message ?? '',
      /in namespace kube-system/,
    );
  });

  test('--verb without --resource is a usage error (exit 2)', async (t) => {
    const w = use(t);
    if (!w) return;
    const res = await doctor(w, ['--verb', 'get']);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /^error: --verb and --resource go together/m);
  });

  const cases: [context: string, link: string, message: RegExp, hint: RegExp][] = [
    ['broken-kubeconfig', 'kubeconfig', /eks-auth-not-installed is not on PATH/, /install it/],
    ['broken-credentials', 'credentials', /no-such-profile/, /./],
    ['broken-token', 'token', /over the 4096 bytes EKS accepts/, /shorter session token/],
    ['broken-sts', 'sts', /STS refused the token .*SignatureDoesNotMatch/, /signed/],
    [
      'broken-cluster-name',
      'cluster-name',
      /cluster "demo-typo", but there is no such cluster in us-east-1/,
      /real name/,
    ],
    [
      'broken-cluster-endpoint',
      'cluster-name',
      /endpoint is https:\/\/0123456789ABCDEF.*but the context's server is https:\/\/127\.0\.0\.1/,
      /./,
    ],
    ['broken-authentication', 'authentication', /could not reach the API server/, /certificate-authority-data/],
    [
      'broken-authorization',
      'authorization',
      /does not let you list pods in namespace default/,
      /RoleBinding|associate-access-policy/,
    ],
  ];
  for (const [context, link, message, hint] of cases) {
    test(`${context}: the ${link} link is named, with its fix`, async (t) => {
      const w = use(t);
      if (!w) return;
      const res = await doctor(w, ['--context', context, '--json']);
      const r = assertBroken(res, context, link);
      const step = r.steps[STEPS.indexOf(link)];
      assert.match(step?.message ?? '', message);
      assert.match(step?.hint ?? '', hint);
      // The text form names the same link and prints the fix on the ✗ line.
      const text = await doctor(w, ['--context', context]);
      assert.equal(text.code, 9);
      assert.match(text.stdout, new RegExp(`^✗ ${link}\\s.*fix: `, 'm'));
      assert.match(text.stdout, new RegExp(`^broken link: ${link}$`, 'm'));
    });
  }

  test('broken-mapping: 401 though STS accepts; explain gives the verdict and the near miss', async (t) => {
    const w = use(t);
    if (!w) return;
    const res = await doctor(w, ['--context', 'broken-mapping', '--aws-auth', w.awsAuthFile, '--json']);
    const r = assertBroken(res, 'broken-mapping', 'mapping');
    assert.equal(r.steps[6]?.status, 'failed');
    assert.match(r.steps[6]?.message ?? '', /401 Unauthorized/);
    const mapping = r.steps[7]?.message ?? '';
    assert.match(mapping, new RegExp(`arn:aws:iam::${ACCOUNT}:role/deploy is not mapped`));
    assert.match(mapping, /near miss: .*role\/team\/deploy/);
    // And the kube-api indeed refused carol as not mapped (not for a token problem).
    assert.ok(w.kube.outcomes.some((o) => o.reason === 'not-mapped' && o.arn === CAROL.arn));
  });

  test('broken-mapping without --aws-auth: the cluster will not show aws-auth to a 401 caller; mapping is still named, with the way on', async (t) => {
    const w = use(t, 'kubectl.1.33');
    if (!w) return;
    // explain reads aws-auth with `kubectl` from PATH, through the same context.
    const kubectlDir = mkdtempSync(join(work, 'kubectl-'));
    symlinkSync(kubectlPath(33), join(kubectlDir, 'kubectl'));
    const cli = [ensureBuilt(), 'doctor', '--kubeconfig', w.kubeconfig, '--context', 'broken-mapping', '--json'];
    const res = await runCommand(process.execPath, cli, {
      env: env(w, { PATH: `${kubectlDir}${delimiter}${env(w).PATH ?? ''}` }),
      timeoutMs: 120_000,
    });
    const r = assertBroken({ ...res, report: JSON.parse(res.stdout) as Report }, 'broken-mapping', 'mapping');
    assert.match(
      r.steps[7]?.message ?? '',
      /most likely not mapped .*explain could not read the mapping: kubectl may not read kube-system\/aws-auth/,
    );
    assert.match(r.steps[7]?.hint ?? '', /--aws-auth FILE/);
  });

  test('broken-clock: a clock 10 minutes slow (faketime) is named before STS is asked', async (t) => {
    const w = use(t, 'faketime');
    if (!w) return;
    const res = await doctor(w, ['--context', 'healthy', '--json'], { faketime: '-10m' });
    const r = assertBroken(res, 'healthy', 'clock');
    assert.match(r.steps[3]?.message ?? '', /clock is (9|10|11) minutes behind/);
    assert.match(r.steps[3]?.hint ?? '', /set-ntp/);
    // Two minutes is within the 5 that doctor allows.
    const near = await doctor(w, ['--context', 'healthy', '--json'], { faketime: '+2m' });
    assert.equal(near.code, 0, near.stdout);
    assert.match(near.report?.steps[3]?.message ?? '', /minutes ahead of STS \(within 5 minutes\)|seconds ahead/);
  });
});

describe('the kube-api peer, checked with a real kubectl', () => {
  // The wire format of the peer's SelfSubjectReview and SelfSubjectAccessReview, as kubectl reads them.
  async function kubectl(w: World, context: string, args: string[]): Promise<CommandResult> {
    return runCommand(kubectlPath(33), ['--kubeconfig', w.kubeconfig, '--context', context, ...args], {
      env: env(w),
      timeoutMs: 90_000,
    });
  }

  test('kubectl auth whoami shows the user aws-auth maps; auth can-i follows the RBAC bindings', async (t) => {
    const w = use(t, 'kubectl.1.33');
    if (!w) return;
    const who = await kubectl(w, 'healthy', ['auth', 'whoami', '-o', 'json']);
    assert.equal(who.code, 0, who.stderr);
    const userInfo = (JSON.parse(who.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status
      .userInfo;
    assert.equal(userInfo.username, 'alice');
    assert.deepEqual(userInfo.groups, ['devs', 'system:authenticated']);
    const yes = await kubectl(w, 'healthy', ['auth', 'can-i', 'list', 'pods']);
    assert.equal(yes.stdout.trim(), 'yes', yes.stderr);
    const no = await kubectl(w, 'broken-authorization', ['auth', 'can-i', 'list', 'pods']);
    assert.equal(no.stdout.trim(), 'no', no.stderr);
    const unmapped = await kubectl(w, 'broken-mapping', ['auth', 'whoami']);
    assert.notEqual(unmapped.code, 0);
    assert.match(unmapped.stderr, /Unauthorized|provide credentials/);
  });
});

describe('last error for GUI clients', () => {
  test('a failing token writes last-error.json (0600); doctor --last shows it; a success clears it', async (t) => {
    const w = use(t);
    if (!w) return;
    const cacheDir = join(work, 'last-error-cache');
    const run = (args: string[], profile: string) =>
      runCommand(process.execPath, [ensureBuilt(), ...args], {
        env: env(w, { KUBECACHEDIR: cacheDir, AWS_PROFILE: profile }),
        timeoutMs: 60_000,
      });
    const failed = await run(['token', '--cluster', 'demo'], 'no-such-profile');
    assert.equal(failed.code, 3, failed.stderr);
    const file = join(cacheDir, 'eks-auth', 'last-error.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(cacheDir, 'eks-auth')).mode & 0o777, 0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const errorLine = /^error: (.*)$/m.exec(failed.stderr)?.[1];
    const hintLine = /^hint: (.*)$/m.exec(failed.stderr)?.[1] ?? null;
    assert.equal(saved.error, errorLine);
    assert.equal(saved.hint, hintLine);
    assert.equal(saved.exitCode, 3);
    assert.equal(saved.cluster, 'demo');

    const last = await run(['doctor', '--last'], 'alice');
    assert.equal(last.code, 0, last.stderr);
    assert.ok(last.stdout.includes(`error: ${errorLine}`), last.stdout);
    const lastJson = await run(['doctor', '--last', '--json'], 'alice');
    assert.deepEqual(JSON.parse(lastJson.stdout), saved);

    const ok = await run(['token', '--cluster', 'demo'], 'alice');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(existsSync(file), false, 'a success must clear the last error');
    const none = await run(['doctor', '--last', '--json'], 'alice');
    assert.equal(none.stdout.trim(), 'null');
  });

  test('no secret reaches the file: a token-shaped value in the error is redacted', async (t) => {
    const w = use(t);
    if (!w) return;
    const cacheDir = join(work, 'last-error-redact');
    // A cluster name is echoed in errors: a pasted token there must not be kept.
    const pasted = `k8s-aws-v1.${Buffer.from('https://sts.amazonaws.com/?X-Amz-Signature=abc').toString('base64url')}\u0001`;
    const res = await runCommand(process.execPath, [ensureBuilt(), 'token', '--cluster', pasted], {
      env: env(w, { KUBECACHEDIR: cacheDir, AWS_PROFILE: 'alice' }),
      timeoutMs: 60_000,
    });
    assert.equal(res.code, 2, res.stderr);
    const text = readFileSync(join(cacheDir, 'eks-auth', 'last-error.json'), 'utf8');
    assert.ok(!text.includes(pasted.slice(0, 40)), text);
    assert.match(text, /k8s-aws-v1\.\[redacted\]/);
  });
});
