/**
 * explain with a cluster: which EKS calls it makes per authentication mode, how aws-auth is read or
 * ignored, and what a failing API turns into (a fake EKS port that records its calls).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessEntry, AssociatedAccessPolicy, AuthenticationMode } from '../../../src/types';
import { EksAuthError, ExitCode } from '../../../src/errors';
import {
  explain,
  formatExplainJson,
  formatExplainText,
  notMappedError,
  type ClusterApi,
  type ExplainDeps,
} from '../../../src/usecases/explain';

const A = '111122223333';
const DEV_SESSION = `arn:aws:sts::${A}:assumed-role/Dev/alice`;
const VIEW: AssociatedAccessPolicy = {
  policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
  accessScope: { type: 'cluster' },
};
const AWS_AUTH = `mapRoles: |\n  - rolearn: arn:aws:iam::${A}:role/Dev\n    username: from-aws-auth\n    groups: [aws-auth-team]\n`;

interface FakeCluster {
  mode?: AuthenticationMode;
  entries?: Record<string, { entry: AccessEntry; policies: AssociatedAccessPolicy[] }>;
  fail?: Partial<Record<string, Error>>;
  roleCreated?: Date | Error;
}

function fakeApi(cluster: FakeCluster) {
  const calls: string[] = [];
  let closed = 0;
  const step = (name: string) => {
    calls.push(name);
    const failure = cluster.fail?.[name];
    if (failure) throw failure;
  };
  const api: ClusterApi = {
    eks: {
      async describeCluster(name) {
        step('DescribeCluster');
        return {
          name,
          arn: `arn:aws:eks:eu-west-1:${A}:cluster/${name}`,
          status: 'ACTIVE',
          isLocalCluster: false,
          ...(cluster.mode ? { authenticationMode: cluster.mode } : {}),
        };
      },
      async listAccessEntries() {
        step('ListAccessEntries');
        return Object.keys(cluster.entries ?? {});
      },
      async describeAccessEntry(_c, arn) {
        step('DescribeAccessEntry');
        return (cluster.entries?.[arn] as { entry: AccessEntry } | undefined)?.entry as AccessEntry;
      },
      async listAssociatedAccessPolicies(_c, arn) {
        step('ListAssociatedAccessPolicies');
        return cluster.entries?.[arn]?.policies ?? [];
      },
    },
    async roleCreatedAt() {
      step('GetRole');
      if (cluster.roleCreated instanceof Error) throw cluster.roleCreated;
      return cluster.roleCreated ?? new Date('2024-01-01T00:00:00Z');
    },
    close: () => void closed++,
  };
  return { api, calls, closed: () => closed };
}

function deps(
  api: ClusterApi | (() => Promise<ClusterApi>),
  warnings: string[] = [],
  kubectlCalls: string[][] = [],
): ExplainDeps {
  return {
    files: { readText: (path) => (path === 'aws-auth.yaml' ? AWS_AUTH : undefined) },
    kubectl: {
      run: async (args) => {
        kubectlCalls.push([...args]);
        return {
          exitCode: 0,
          stdout: JSON.stringify({
            kind: 'ConfigMap',
            metadata: { name: 'aws-auth', namespace: 'kube-system' },
            data: { mapRoles: AWS_AUTH.split('|\n')[1]?.replace(/^ {2}/gm, '') },
          }),
          stderr: '',
        };
      },
    },
    log: { warn: (m) => warnings.push(m), verbose: () => {}, protect: () => {} },
    verify: async () => assert.fail('no token here'),
    whoami: async () => assert.fail('no credentials lookup here'),
    clusterApi: typeof api === 'function' ? api : async () => api,
  };
}

const devEntry = (extra: Partial<AccessEntry> = {}) => ({
  [`arn:aws:iam::${A}:role/team/Dev`]: {
    entry: {
      principalArn: `arn:aws:iam::${A}:role/team/Dev`,
      kubernetesGroups: ['entry-team'],
      username: 'entry-dev',
      type: 'STANDARD',
      createdAt: new Date('2025-01-01T00:00:00Z'),
      ...extra,
    },
    policies: [VIEW],
  },
});
const cluster = { name: 'demo', aws: {} };
const identity = { kind: 'arn' as const, arn: DEV_SESSION };

describe('explain with --cluster', () => {
  test('CONFIG_MAP: aws-auth only; the access-entry API is not called', async () => {
    const fake = fakeApi({ mode: 'CONFIG_MAP', entries: devEntry() });
    const report = await explain(
      { identity, cluster, awsAuth: { kind: 'file', path: 'aws-auth.yaml' } },
      deps(fake.api),
    );
    assert.deepEqual(fake.calls, ['DescribeCluster']);
    assert.equal(fake.closed(), 1);
    assert.ok(report.result.mapped && report.result.via === 'mapRoles' && report.result.username === 'from-aws-auth');
    assert.equal(JSON.parse(formatExplainJson(report)).authenticationMode, 'CONFIG_MAP');
  });

  test('CONFIG_MAP without an aws-auth source: a usage error that says so', async () => {
    const fake = fakeApi({ mode: 'CONFIG_MAP' });
    await assert.rejects(explain({ identity, cluster }, deps(fake.api)), (err: EksAuthError) => {
      assert.equal(err.exitCode, ExitCode.usage);
      assert.equal(err.reason, 'aws-auth-needed');
      assert.match(err.message, /cluster "demo" maps identities with aws-auth only \(authentication mode CONFIG_MAP\)/);
      return true;
    });
  });

  test('API: entries only; --aws-auth is reported as ignored with the entry that would have matched', async () => {
    const fake = fakeApi({ mode: 'API', entries: {} });
    const report = await explain(
      { identity, cluster, awsAuth: { kind: 'file', path: 'aws-auth.yaml' } },
      deps(fake.api),
    );
    assert.deepEqual(fake.calls, ['DescribeCluster', 'ListAccessEntries']);
    assert.equal(report.result.mapped, false);
    const json = JSON.parse(formatExplainJson(report));
    assert.deepEqual(
      [
        json.nearMiss.kind,
        json.nearMiss.section,
        json.nearMiss.line,
        json.matchedBy,
        json.accessEntry,
        json.authenticationMode,
      ],
      ['ignored-by-mode', 'mapRoles', 2, null, null, 'API'],
    );
    const err = notMappedError(report);
    assert.equal(err?.exitCode, ExitCode.notMapped);
    assert.match(
      err?.hint ?? '',
      /mapRoles entry 1 \(aws-auth\.yaml:2\) would map this identity \(username from-aws-auth\), but the cluster's authentication mode API ignores aws-auth/,
    );
  });

  test('API with --from-cluster: kubectl is not run (the cluster ignores aws-auth)', async () => {
    const fake = fakeApi({ mode: 'API', entries: devEntry() });
    const kubectlCalls: string[][] = [];
    const report = await explain({ identity, cluster, awsAuth: { kind: 'cluster' } }, deps(fake.api, [], kubectlCalls));
    assert.deepEqual(kubectlCalls, []);
    assert.ok(report.result.mapped && report.result.via === 'accessEntry');
  });

  test('API_AND_CONFIG_MAP: the entry wins; its entry, policies and the role check are read', async () => {
    const fake = fakeApi({ mode: 'API_AND_CONFIG_MAP', entries: devEntry() });
    const report = await explain(
      { identity, cluster, awsAuth: { kind: 'file', path: 'aws-auth.yaml' } },
      deps(fake.api),
    );
    assert.deepEqual(fake.calls.sort(), [
      'DescribeAccessEntry',
      'DescribeCluster',
      'GetRole',
      'ListAccessEntries',
      'ListAssociatedAccessPolicies',
    ]);
    const json = JSON.parse(formatExplainJson(report));
    assert.deepEqual(
      [json.matchedBy, json.username, json.groups, json.entry],
      ['accessEntry', 'entry-dev', ['entry-team'], null],
    );
    assert.equal(json.accessEntry.principalArn, `arn:aws:iam::${A}:role/team/Dev`);
    assert.equal(json.accessEntry.createdAt, '2025-01-01T00:00:00.000Z');
    assert.deepEqual(json.accessPolicies, [
      { policyArn: VIEW.policyArn, accessScope: { type: 'cluster', namespaces: [] } },
    ]);
    const text = formatExplainText(report);
    assert.match(text, /^cluster: +demo, authentication mode API_AND_CONFIG_MAP$/m);
    assert.match(
      text,
      /^matched: +access entry arn:aws:iam::111122223333:role\/team\/Dev \(type STANDARD, created 2025-01-01T00:00:00Z\)$/m,
    );
    assert.match(text, /^policy: +View on the whole cluster: read most objects/m);
    assert.match(text, /the access entry wins \(aws-auth would give username from-aws-auth\)/);
  });

  test('API_AND_CONFIG_MAP, no entry: aws-auth serves the rest', async () => {
    const fake = fakeApi({ mode: 'API_AND_CONFIG_MAP', entries: {} });
    const report = await explain(
      { identity, cluster, awsAuth: { kind: 'file', path: 'aws-auth.yaml' } },
      deps(fake.api),
    );
    assert.ok(report.result.mapped && report.result.via === 'mapRoles');
    assert.deepEqual(fake.calls, ['DescribeCluster', 'ListAccessEntries']);
  });

  test('the role is newer than its entry: not mapped (recreated); GetRole refused: mapped, with a note', async () => {
    const newer = fakeApi({ mode: 'API', entries: devEntry(), roleCreated: new Date('2025-06-01T00:00:00Z') });
    const r1 = await explain({ identity, cluster }, deps(newer.api));
    assert.equal(r1.result.mapped, false);
    assert.equal(JSON.parse(formatExplainJson(r1)).nearMiss.kind, 'recreated');
    const denied = fakeApi({
      mode: 'API',
      entries: devEntry(),
      roleCreated: new Error('iam:GetRole was refused (AccessDenied)'),
    });
    const r2 = await explain({ identity, cluster }, deps(denied.api));
    assert.equal(r2.result.mapped, true);
    assert.ok(
      r2.notes.includes(
        `could not check whether arn:aws:iam::${A}:role/team/Dev was created again after its access entry: iam:GetRole was refused (AccessDenied)`,
      ),
    );
  });

  test('an API that cannot be read: one warning naming the permission, then aws-auth alone', async () => {
    const denied = new EksAuthError(
      ExitCode.credentials,
      'EKS refused DescribeCluster for cluster "demo" in eu-west-1: AccessDeniedException: no',
      { reason: 'eks-access-denied' },
    );
    for (const [fail, permission] of [
      ['DescribeCluster', 'eks:DescribeCluster'],
      ['ListAccessEntries', 'eks:ListAccessEntries'],
    ] as const) {
      const fake = fakeApi({ mode: 'API_AND_CONFIG_MAP', entries: devEntry(), fail: { [fail]: denied } });
      const warnings: string[] = [];
      const report = await explain(
        { identity, cluster, awsAuth: { kind: 'file', path: 'aws-auth.yaml' } },
        deps(fake.api, warnings),
      );
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.ok(warnings[0]?.includes(`(the identity needs ${permission}); going on with aws-auth alone`), warnings[0]);
      assert.ok(report.result.mapped && report.result.via === 'mapRoles');
      assert.equal(fake.closed(), 1);
    }
    // No credentials at all: the port cannot even be made.
    const warnings: string[] = [];
    const noCredentials = async () => {
      throw new EksAuthError(ExitCode.credentials, 'no AWS credentials found', { reason: 'no-credentials' });
    };
    const report = await explain(
      { identity, cluster, awsAuth: { kind: 'file', path: 'aws-auth.yaml' } },
      deps(noCredentials, warnings),
    );
    assert.deepEqual(warnings, [
      'could not call the EKS API for cluster "demo": no AWS credentials found; going on with aws-auth alone',
    ]);
    assert.equal(report.cluster?.authenticationMode, null);
    assert.ok(report.result.mapped);
  });

  test('an entry that grants nothing: mapped (exit 0), with the problem in text and JSON', async () => {
    const fake = fakeApi({
      mode: 'API',
      entries: {
        [`arn:aws:iam::${A}:role/Dev`]: {
          entry: { principalArn: `arn:aws:iam::${A}:role/Dev`, kubernetesGroups: [], username: 'x' },
          policies: [],
        },
      },
    });
    const report = await explain({ identity, cluster }, deps(fake.api));
    assert.equal(notMappedError(report), undefined);
    assert.match(formatExplainText(report), /^problem: +the access entry for .* grants nothing/m);
    assert.equal(JSON.parse(formatExplainJson(report)).warnings.length, 1);
  });
});
