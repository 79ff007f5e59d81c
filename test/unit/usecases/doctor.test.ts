/**
 * The doctor use case with fakes at its ports: the order of the links, the stop at the first broken
 * one, the --json contract, and the small pure pieces (clock skew, endpoint comparison, resource
 * names, access-policy scopes). The whole chain against real peers is test/integration/doctor.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EksAuthError, ExitCode } from '../../../src/errors';
import type { KubeRequest } from '../../../src/kube/api-request';
import {
  doctor,
  DOCTOR_STEPS,
  explainedPolicies,
  explainVerdict,
  formatDoctorJson,
  formatDoctorText,
  normalizeServer,
  parseResource,
  scopeCovers,
  type DoctorDeps,
} from '../../../src/usecases/doctor';
import { explain, type ClusterApi } from '../../../src/usecases/explain';
import type { AccessEntry, AssociatedAccessPolicy, AuthenticationMode } from '../../../src/types';
import { FIXED_NOW, MemoryFiles, RecordingLogger } from '../../helpers/fake-deps';

const dir = mkdtempSync(join(tmpdir(), 'eks-auth-doctor-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ARN = 'arn:aws:iam::111122223333:user/alice';
const SERVER = 'https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com';

function kubeconfig(exec: Record<string, unknown>): string {
  const path = join(dir, `kubeconfig-${Math.random().toString(16).slice(2)}`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: SERVER } }],
      users: [{ name: 'u', user: { exec } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team' } }],
      'current-context': 'ctx',
    }),
  );
  return path;
}

const EXEC = {
  apiVersion: 'client.authentication.k8s.io/v1beta1',
  command: 'eks-auth',
  args: ['token', '--cluster', 'demo'],
};

/**
 * Fakes that let every link pass: env keys, an STS whose replay answers alice, a DescribeCluster
 * with the context's endpoint, an API server that authenticates and allows. `over` breaks one.
 */
function fakeDeps(over: Partial<DoctorDeps> = {}) {
  const requests: KubeRequest[] = [];
  const log = new RecordingLogger();
  const deps: DoctorDeps = {
    env: {
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'eu-west-1',
    },
    now: () => FIXED_NOW,
    homedir: '/home/tester',
    files: new MemoryFiles(),
    log,
    sts: () => Promise.reject(new Error('no STS call expected')),
    sdkSources: () => Promise.reject(new Error('no SDK source expected')),
    findCommand: (c) => `/usr/bin/${c}`,
    parseTokenArgs: (args) => ({ clusterId: args[args.indexOf('--cluster') + 1] ?? '' }),
    serverDate: async () => FIXED_NOW.toUTCString(),
    httpGet: async () => ({
      status: 200,
      body: JSON.stringify({
        GetCallerIdentityResponse: {
          GetCallerIdentityResult: { Account: '111122223333', Arn: ARN, UserId: 'AIDAALICE' },
        },
      }),
    }),
    describeCluster: async (name, aws) => ({
      name,
      arn: `arn:aws:eks:${aws.region}:111122223333:cluster/${name}`,
      status: 'ACTIVE',
      endpoint: `${SERVER.toLowerCase()}/`,
      isLocalCluster: false,
    }),
    kubeApi: async (req) => {
      requests.push(req);
      if (req.path.includes('selfsubjectreviews')) {
        return {
          status: 201,
          body: JSON.stringify({
            status: { userInfo: { username: 'alice', groups: ['devs', 'system:authenticated'] } },
          }),
        };
      }
      return { status: 201, body: JSON.stringify({ status: { allowed: true } }) };
    },
    explain: async () => ({
      mapped: false,
      message: 'no entry matches',
      nearMiss: 'mapUsers entry 1 names user/Alice2',
    }),
    ...over,
  };
  return { deps, requests, log };
}

describe('doctor use case', () => {
  test('every link holds: nine ok steps in order, SelfSubjectAccessReview for list pods in the context namespace', async () => {
    const { deps, requests } = fakeDeps();
    const report = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.status]),
      DOCTOR_STEPS.map((s) => [s, 'ok']),
    );
    assert.equal(report.ok, true);
    assert.equal(report.brokenLink, null);
    assert.equal(report.context, 'ctx');
    const review = requests.find((r) => r.path.endsWith('selfsubjectaccessreviews'));
    assert.ok(review, 'kubectl auth can-i reached the API server');
    assert.deepEqual((review.body as { spec: unknown }).spec, {
      resourceAttributes: { namespace: 'team', verb: 'list', group: '', resource: 'pods' },
    });
    // The bearer token went to the API server only, never into the report.
    assert.match(review?.token ?? '', /^k8s-aws-v1\./);
    assert.ok(!formatDoctorJson(report).includes('k8s-aws-v1.'));
  });

  test('an `aws --profile P eks get-token` entry resolves profile P, not the environment keys (the flag beats them)', async () => {
    const { deps } = fakeDeps();
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: 'aws',
      args: ['--profile', 'prod', '--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'demo'],
    };
    const report = await doctor({ kubeconfig: kubeconfig(exec) }, deps);
    // No AWS config defines prod: with the flag kept, credentials break on it; env keys would have passed.
    assert.equal(report.brokenLink, 'credentials');
    assert.match(report.steps[1]?.message ?? '', /prod/);
  });

  test('a v1 entry without interactiveMode breaks the kubeconfig link (kubectl refuses it)', async () => {
    const { deps } = fakeDeps();
    const report = await doctor(
      { kubeconfig: kubeconfig({ ...EXEC, apiVersion: 'client.authentication.k8s.io/v1' }) },
      deps,
    );
    assert.equal(report.brokenLink, 'kubeconfig');
    assert.match(report.steps[0]?.hint ?? '', /interactiveMode: IfAvailable/);
    assert.deepEqual(
      report.steps.slice(1).map((s) => s.status),
      Array(8).fill('skipped'),
    );
  });

  test('a skew of 6 minutes breaks the clock link; 4 minutes is ok', async () => {
    const behind = fakeDeps({ serverDate: async () => new Date(FIXED_NOW.getTime() + 6 * 60_000).toUTCString() });
    const r1 = await doctor({ kubeconfig: kubeconfig(EXEC) }, behind.deps);
    assert.equal(r1.brokenLink, 'clock');
    assert.match(r1.steps[3]?.message ?? '', /6 minutes behind/);
    const near = fakeDeps({ serverDate: async () => new Date(FIXED_NOW.getTime() - 4 * 60_000).toUTCString() });
    const r2 = await doctor({ kubeconfig: kubeconfig(EXEC) }, near.deps);
    assert.equal(r2.ok, true);
    assert.match(r2.steps[3]?.message ?? '', /4 minutes ahead/);
  });

  test('DescribeCluster AccessDenied is a warning, not a broken link', async () => {
    const { deps } = fakeDeps({
      describeCluster: async () => {
        throw new EksAuthError(ExitCode.credentials, 'EKS refused DescribeCluster', {
          reason: 'eks-access-denied',
          hint: 'needs eks:DescribeCluster',
        });
      },
    });
    const report = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.equal(report.ok, true);
    assert.equal(report.steps[5]?.status, 'warning');
  });

  test('401 with 1–6 holding: authentication fails, explain names the near miss, mapping is the broken link', async () => {
    const { deps } = fakeDeps({ kubeApi: async () => ({ status: 401, body: '{}' }) });
    const report = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.equal(report.brokenLink, 'mapping');
    assert.equal(report.steps[6]?.status, 'failed');
    assert.match(report.steps[7]?.message ?? '', /not mapped: no entry matches; near miss: mapUsers entry 1/);
    assert.equal(report.steps[8]?.status, 'skipped');
  });

  test('401 while explain finds the identity mapped: authentication stays the broken link, mapping warns', async () => {
    const { deps } = fakeDeps({
      kubeApi: async () => ({ status: 401, body: '{}' }),
      explain: async () => ({ mapped: true, message: 'mapUsers gives alice' }),
    });
    const report = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.equal(report.brokenLink, 'authentication');
    assert.equal(report.steps[7]?.status, 'warning');
  });

  test('access policies that apply in the namespace are listed with the authorization step', async () => {
    const { deps } = fakeDeps({
      accessPolicies: async () => [
        {
          policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
          accessScope: { type: 'namespace', namespaces: ['te*'] },
        },
        {
          policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
          accessScope: { type: 'namespace', namespaces: ['prod'] },
        },
      ],
    });
    const report = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.match(report.steps[8]?.message ?? '', /access policies in team: AmazonEKSViewPolicy$/);
  });

  test('a clock within a minute of STS agrees with it', async () => {
    const { deps } = fakeDeps({ serverDate: async () => new Date(FIXED_NOW.getTime() - 30_000).toUTCString() });
    const report = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.equal(report.steps[3]?.status, 'ok');
    assert.match(report.steps[3]?.message ?? '', /agrees with STS/);
  });

  test('a clock 20 minutes ahead breaks the clock link with the shared clock hint', async () => {
    const { deps } = fakeDeps({ serverDate: async () => new Date(FIXED_NOW.getTime() - 20 * 60_000).toUTCString() });
    const report = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.equal(report.brokenLink, 'clock');
    assert.match(report.steps[3]?.message ?? '', /clock is 20 minutes ahead of STS/);
    assert.match(report.steps[3]?.hint ?? '', /timedatectl set-ntp true/);
  });

  test('--verb without --resource is a usage error', async () => {
    const { deps } = fakeDeps();
    await assert.rejects(doctor({ verb: 'get' }, deps), (err: EksAuthError) => err.exitCode === ExitCode.usage);
  });

  test('the text form prints one line per link and the fix on the broken one', async () => {
    const { deps } = fakeDeps({ findCommand: () => undefined });
    const report = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    const lines = formatDoctorText(report).trim().split('\n');
    assert.equal(lines.length, 1 + 9 + 1);
    assert.match(lines[1] ?? '', /^✗ kubeconfig .*eks-auth is not on PATH.*fix: install it/);
    assert.equal(lines[10], 'broken link: kubeconfig');
  });
});

describe('doctor helpers', () => {
  test('normalizeServer: case, default port and trailing slash do not matter; the host does', () => {
    assert.equal(
      normalizeServer('https://ABC.gr7.us-east-1.eks.amazonaws.com/'),
      normalizeServer('https://abc.gr7.us-east-1.eks.amazonaws.com:443'),
    );
    assert.notEqual(
      normalizeServer('https://abc.gr7.us-east-1.eks.amazonaws.com'),
      normalizeServer('https://abd.gr7.us-east-1.eks.amazonaws.com'),
    );
  });

  test('parseResource reads resource.group/subresource as kubectl auth can-i does', () => {
    assert.deepEqual(parseResource('pods'), { resource: 'pods', group: '' });
    assert.deepEqual(parseResource('deployments.apps'), { resource: 'deployments', group: 'apps' });
    assert.deepEqual(parseResource('pods/log'), { resource: 'pods', group: '', subresource: 'log' });
    assert.deepEqual(parseResource('certificatesigningrequests.certificates.k8s.io/approval'), {
      resource: 'certificatesigningrequests',
      group: 'certificates.k8s.io',
      subresource: 'approval',
    });
  });

  test('scopeCovers: cluster scope covers all; namespace scope matches names with * wildcards', () => {
    assert.equal(scopeCovers({ type: 'cluster' }, 'anything'), true);
    assert.equal(scopeCovers({ type: 'namespace', namespaces: ['dev-*'] }, 'dev-a'), true);
    assert.equal(scopeCovers({ type: 'namespace', namespaces: ['dev-*'] }, 'prod'), false);
    assert.equal(scopeCovers({ type: 'namespace', namespaces: ['a.b'] }, 'aXb'), false);
  });
});

/** explain itself over a fake EKS API, reduced as the CLI reduces it for the mapping and authorization links. */
describe('doctor over explain with access entries', () => {
  const VIEW: AssociatedAccessPolicy = {
    policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
    accessScope: { type: 'namespace', namespaces: ['team'] },
  };
  const ADMIN: AssociatedAccessPolicy = {
    policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy',
    accessScope: { type: 'namespace', namespaces: ['prod'] },
  };

  function clusterApi(
    mode: AuthenticationMode,
    entries: Record<string, { entry: AccessEntry; policies: AssociatedAccessPolicy[] }>,
  ): () => Promise<ClusterApi> {
    return async () => ({
      eks: {
        describeCluster: async (name) => ({
          name,
          arn: `arn:aws:eks:eu-west-1:111122223333:cluster/${name}`,
          status: 'ACTIVE',
          isLocalCluster: false,
          authenticationMode: mode,
        }),
        listAccessEntries: async () => Object.keys(entries),
        describeAccessEntry: async (_c, arn) => entries[arn]?.entry as AccessEntry,
        listAssociatedAccessPolicies: async (_c, arn) => entries[arn]?.policies ?? [],
      },
      roleCreatedAt: async () => new Date('2024-01-01T00:00:00Z'),
      close: () => {},
    });
  }

  function runExplain(
    mode: AuthenticationMode,
    entries: Record<string, { entry: AccessEntry; policies: AssociatedAccessPolicy[] }>,
    arn: string,
  ) {
    const kubectlCalls: string[][] = [];
    const report = explain(
      {
        identity: { kind: 'arn', arn },
        cluster: { name: 'demo', aws: { region: 'eu-west-1' } },
        awsAuth: { kind: 'cluster', context: 'ctx' },
      },
      {
        files: new MemoryFiles(),
        kubectl: {
          run: async (args) => {
            kubectlCalls.push([...args]);
            return { exitCode: 1, stdout: '', stderr: 'error: You must be logged in to the server (Unauthorized)' };
          },
        },
        log: new RecordingLogger(),
        verify: async () => assert.fail('doctor passes an ARN'),
        whoami: async () => assert.fail('doctor passes an ARN'),
        clusterApi: clusterApi(mode, entries),
      },
    );
    return { report, kubectlCalls };
  }

  const aliceEntry = { principalArn: ARN, username: 'alice-entry', kubernetesGroups: ['devs'], type: 'STANDARD' };

  test('mode API, no entry for the caller: mapping is broken by the access entries alone, aws-auth never read', async () => {
    const other = 'arn:aws:iam::111122223333:user/bob';
    const { report, kubectlCalls } = runExplain(
      'API',
      { [other]: { entry: { principalArn: other, type: 'STANDARD' }, policies: [VIEW] } },
      ARN,
    );
    const verdict = explainVerdict(await report);
    assert.deepEqual(kubectlCalls, []);
    const { deps } = fakeDeps({ kubeApi: async () => ({ status: 401, body: '{}' }), explain: async () => verdict });
    const doc = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.equal(doc.brokenLink, 'mapping');
    assert.match(
      doc.steps[7]?.message ?? '',
      /is not mapped: .*access entries of cluster demo, authentication mode API/,
    );
  });

  test('an access entry maps the caller: the verdict names it and its policies reach the authorization step', async () => {
    const { report } = runExplain('API', { [ARN]: { entry: aliceEntry, policies: [VIEW, ADMIN] } }, ARN);
    const r = await report;
    const verdict = explainVerdict(r);
    assert.equal(verdict.mapped, true);
    assert.match(
      verdict.message,
      new RegExp(`the access entry ${ARN} of cluster demo gives username alice-entry, authentication mode API`),
    );
    assert.deepEqual(explainedPolicies(r), [
      { policyArn: VIEW.policyArn, accessScope: VIEW.accessScope },
      { policyArn: ADMIN.policyArn, accessScope: ADMIN.accessScope },
    ]);
    const { deps } = fakeDeps({ accessPolicies: async () => explainedPolicies(r) });
    const doc = await doctor({ kubeconfig: kubeconfig(EXEC) }, deps);
    assert.equal(doc.ok, true);
    // The context's namespace is team: VIEW is scoped to it, ADMIN to prod only.
    assert.match(doc.steps[8]?.message ?? '', /access policies in team: AmazonEKSViewPolicy$/);
  });

  test('mapped through aws-auth, not an access entry: no access policies apply', async () => {
    const r = await explain(
      {
        identity: { kind: 'arn', arn: ARN },
        cluster: { name: 'demo', aws: {} },
        awsAuth: { kind: 'file', path: 'aws-auth.yaml' },
      },
      {
        files: new MemoryFiles({ 'aws-auth.yaml': `mapUsers: |\n  - userarn: ${ARN}\n    username: alice\n` }),
        kubectl: { run: async () => assert.fail('a file was given') },
        log: new RecordingLogger(),
        verify: async () => assert.fail('doctor passes an ARN'),
        whoami: async () => assert.fail('doctor passes an ARN'),
        clusterApi: clusterApi('CONFIG_MAP', {}),
      },
    );
    assert.match(
      explainVerdict(r).message,
      /^mapUsers of aws-auth\.yaml gives username alice, authentication mode CONFIG_MAP$/,
    );
    assert.equal(explainedPolicies(r), undefined);
  });
});
