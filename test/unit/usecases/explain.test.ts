import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { explain, formatExplainJson, formatExplainText, notMappedError } from '../../../src/usecases/explain';
import { EksAuthError } from '../../../src/errors';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'aws-auth');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const ALICE_ARN = 'arn:aws:iam::111122223333:user/ops/alice';

describe('explain use case', () => {
  const quiet = { warn: () => {}, verbose: () => {}, protect: () => {} };
  const files = { readText: (path: string) => (path === 'aws-auth.yaml' ? fixture('good.yaml') : undefined) };
  const noKubectl = { run: async () => assert.fail('kubectl must not run for --aws-auth') };
  const noLookups = {
    verify: async () => assert.fail('an ARN needs no token verification'),
    whoami: async () => assert.fail('an ARN needs no credentials'),
  };
  const kubectl = (exitCode: number, stdout: string, stderr = '') => {
    const calls: (readonly string[])[] = [];
    return {
      calls,
      run: async (args: readonly string[]) => {
        calls.push(args);
        return { exitCode, stdout, stderr };
      },
    };
  };

  test('explains a session of a role given with a path as the path-less role STS reports', async () => {
    const report = await explain(
      {
        awsAuth: { kind: 'file', path: 'aws-auth.yaml' },
        identity: { kind: 'arn', arn: 'arn:aws:iam::111122223333:role/team/Developer' },
      },
      { files, kubectl: noKubectl, log: quiet, ...noLookups },
    );
    assert.equal(report.canonicalArn, 'arn:aws:iam::111122223333:role/Developer');
    assert.ok(report.result.mapped);
    assert.match(report.notes.join('\n'), /STS drops the role path/);
    assert.deepEqual(JSON.parse(formatExplainJson(report)), {
      mapped: true,
      username: 'developer',
      groups: ['dev-team'],
      arn: 'arn:aws:iam::111122223333:role/team/Developer',
      canonicalArn: 'arn:aws:iam::111122223333:role/Developer',
      matchedBy: 'mapRoles',
      entry: { section: 'mapRoles', index: 1, line: 14, arn: 'arn:aws:iam::111122223333:role/Developer' },
      notes: [
        'sessions of this role reach EKS as arn:aws:iam::111122223333:role/Developer: STS drops the role path (aws-iam-authenticator#268)',
      ],
      // No --cluster: the EKS API was not read.
      authenticationMode: null,
      accessEntry: null,
      accessPolicies: [],
      warnings: [],
    });
  });

  test('turns a miss into exit 7 with the near-miss as hint', async () => {
    const report = await explain(
      {
        awsAuth: { kind: 'file', path: 'aws-auth.yaml' },
        identity: { kind: 'arn', arn: 'arn:aws:sts::999999999999:assumed-role/Developer/a' },
      },
      { files, kubectl: noKubectl, log: quiet, ...noLookups },
    );
    const err = notMappedError(report);
    assert.equal(err?.exitCode, 7);
    assert.equal(err?.reason, 'not-mapped');
    assert.match(err?.hint ?? '', /same name in account 111122223333, but this identity is in account 999999999999/);
    assert.match(formatExplainText(report), /^near miss: /m);
  });

  test('reads the ConfigMap with kubectl get -o json, passing --kubeconfig and --context', async () => {
    const k = kubectl(0, fixture('kubectl-get.json'));
    const report = await explain(
      { awsAuth: { kind: 'cluster', kubeconfig: '/k', context: 'c' }, identity: { kind: 'arn', arn: ALICE_ARN } },
      { files, kubectl: k, log: quiet, ...noLookups },
    );
    assert.deepEqual(k.calls, [
      [
        'get',
        'configmap',
        'aws-auth',
        '--namespace',
        'kube-system',
        '--output',
        'json',
        '--kubeconfig',
        '/k',
        '--context',
        'c',
      ],
    ]);
    assert.ok(report.result.mapped && report.result.username === 'alice');
    // Lines count within the section (alice is the first line of mapUsers), not in kubectl's JSON,
    // where everything sits on the line of its string.
    assert.equal(report.result.entry?.line, 1);
    assert.match(formatExplainText(report), /^matched: {3}mapUsers entry 1 \(kube-system\/aws-auth mapUsers line 1\)/m);
    const roles = await explain(
      { awsAuth: { kind: 'cluster' }, identity: { kind: 'arn', arn: 'arn:aws:iam::111122223333:role/Developr' } },
      { files, kubectl: kubectl(0, fixture('kubectl-get.json')), log: quiet, ...noLookups },
    );
    assert.match(!roles.result.mapped ? (roles.result.nearMiss?.message ?? '') : '', /mapRoles entry 1 \(line 1\)/);
  });

  const failures: [string, string, number, string][] = [
    ['no ConfigMap', 'Error from server (NotFound): configmaps "aws-auth" not found', 3, 'no-aws-auth'],
    ['no permission', 'Error from server (Forbidden): configmaps "aws-auth" is forbidden', 4, 'kubectl-denied'],
    ['no connection', 'Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout', 5, 'kubectl-network'],
    ['anything else', 'error: context "x" does not exist', 3, 'kubectl-failed'],
  ];
  for (const [what, stderr, exitCode, reason] of failures) {
    test(`maps a kubectl failure (${what}) to exit ${exitCode}`, async () => {
      await assert.rejects(
        explain(
          { awsAuth: { kind: 'cluster' }, identity: { kind: 'arn', arn: ALICE_ARN } },
          { files, kubectl: kubectl(1, '', stderr), log: quiet, ...noLookups },
        ),
        (e: unknown) => e instanceof EksAuthError && e.exitCode === exitCode && e.reason === reason,
      );
    });
  }

  test('a --aws-auth file that is not YAML is exit 3 naming the file and line, not "not mapped"', async () => {
    const broken = {
      readText: (path: string) =>
        path === 'broken.yaml' ? 'data:\n  mapRoles: |\n    - rolearn: x\n  bad: [unclosed\n' : undefined,
    };
    await assert.rejects(
      explain(
        { awsAuth: { kind: 'file', path: 'broken.yaml' }, identity: { kind: 'arn', arn: ALICE_ARN } },
        { files: broken, kubectl: noKubectl, log: quiet, ...noLookups },
      ),
      (e: unknown) => e instanceof EksAuthError && e.exitCode === 3 && /^broken\.yaml:\d+: YAML error/.test(e.message),
    );
  });

  test('explains the identity behind a token: verified for the given cluster through the injected verify', async () => {
    const seen: unknown[] = [];
    const verify = async (input: unknown) => {
      seen.push(input);
      return {
        arn: 'arn:aws:sts::111122223333:assumed-role/Developer/bob',
        accessKeyId: 'ASIAEXAMPLE',
        sessionName: 'bob',
      } as never;
    };
    const report = await explain(
      {
        awsAuth: { kind: 'file', path: 'aws-auth.yaml' },
        identity: { kind: 'token', token: 'k8s-aws-v1.x', clusterId: 'dev', stsEndpoint: 'https://127.0.0.1:1' },
      },
      { files, kubectl: noKubectl, log: quiet, ...noLookups, verify },
    );
    assert.deepEqual(seen, [{ token: 'k8s-aws-v1.x', clusterId: 'dev', stsEndpoint: 'https://127.0.0.1:1' }]);
    assert.equal(report.arn, 'arn:aws:sts::111122223333:assumed-role/Developer/bob');
    assert.ok(report.result.mapped && report.result.username === 'developer');
  });

  test('explains the identity the credential flags resolve to through the injected whoami', async () => {
    const seen: unknown[] = [];
    const whoami = async (input: unknown) => {
      seen.push(input);
      return { arn: ALICE_ARN, accessKeyId: 'AKIAEXAMPLE' } as never;
    };
    const report = await explain(
      { awsAuth: { kind: 'file', path: 'aws-auth.yaml' }, identity: { kind: 'credentials', aws: { profile: 'ops' } } },
      { files, kubectl: noKubectl, log: quiet, ...noLookups, whoami },
    );
    assert.deepEqual(seen, [{ profile: 'ops' }]);
    assert.equal(report.arn, ALICE_ARN);
    assert.ok(report.result.mapped && report.result.username === 'alice');
  });

  test('a missing --aws-auth file is exit 3', async () => {
    await assert.rejects(
      explain(
        { awsAuth: { kind: 'file', path: 'nope.yaml' }, identity: { kind: 'arn', arn: ALICE_ARN } },
        { files, kubectl: noKubectl, log: quiet, ...noLookups },
      ),
      (e: unknown) => e instanceof EksAuthError && e.exitCode === 3,
    );
  });
});
