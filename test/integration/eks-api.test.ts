/**
 * The local EKS API peer (test/peers/eks-api.ts) checked against the AWS CLI (botocore: its own
 * shapes, paginator and SigV4 signer), then the EKS port (@aws-sdk/client-eks) read through it:
 * paging, the access-entry shapes and the errors mapped to exit codes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEksPort } from '../../src/aws/eks-client';
import { EksAuthError, ExitCode } from '../../src/errors';
import { startEksApi, type EksApi, type PeerCluster } from '../peers/eks-api';
import { cleanAwsEnv, makeTlsCert, peersAvailable, requirePeer, runCommand } from '../peers/peers';

// The AWS documentation's example keys: nothing here is a real credential.
const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const REGION = 'eu-west-1';
const A = '111122223333';
const VIEW = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
const EDIT = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy';

const clusters = (): PeerCluster[] => [
  {
    name: 'demo',
    mode: 'API_AND_CONFIG_MAP',
    entries: [
      {
        principalArn: `arn:aws:iam::${A}:role/team/Dev`,
        kubernetesGroups: ['dev-team'],
        createdAt: new Date('2025-02-03T04:05:06Z'),
        policies: [
          { policyArn: VIEW, accessScope: { type: 'cluster' } },
          { policyArn: EDIT, accessScope: { type: 'namespace', namespaces: ['dev', 'test-*'] } },
          {
            policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSSecretReaderPolicy',
            accessScope: { type: 'namespace', namespaces: ['vault'] },
          },
        ],
      },
      { principalArn: `arn:aws:iam::${A}:user/bob`, username: 'bob' },
      { principalArn: `arn:aws:iam::${A}:role/Node`, type: 'EC2_LINUX' },
      { principalArn: `arn:aws:iam::${A}:role/A` },
      { principalArn: `arn:aws:iam::${A}:role/B` },
    ],
  },
  { name: 'legacy', mode: 'CONFIG_MAP' },
];

describe('the EKS API peer, as the AWS CLI sees it', () => {
  let api: EksApi | undefined;
  let dir = '';
  before(async () => {
    if (!peersAvailable(['aws', 'openssl'])) return;
    dir = mkdtempSync(join(tmpdir(), 'eks-auth-eks-api-test-'));
    api = await startEksApi({ region: REGION, clusters: clusters(), keys: { [AKID]: SECRET }, tls: makeTlsCert(dir) });
  });
  after(async () => {
    await api?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const aws = (args: string[], secret = SECRET) =>
    runCommand('aws', ['eks', ...args, '--endpoint-url', (api as EksApi).url, '--region', REGION, '--output', 'json'], {
      env: cleanAwsEnv({
        caFile: (api as EksApi).caFile,
        env: { AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: secret },
      }),
    });

  test('describe-cluster: accessConfig.authenticationMode', async (t) => {
    if (!requirePeer(t, 'aws', 'openssl')) return;
    const r = await aws(['describe-cluster', '--name', 'demo']);
    assert.equal(r.code, 0, r.stderr);
    const cluster = JSON.parse(r.stdout).cluster;
    assert.equal(cluster.accessConfig.authenticationMode, 'API_AND_CONFIG_MAP');
    assert.equal(cluster.arn, `arn:aws:eks:${REGION}:${A}:cluster/demo`);
  });

  test('list-access-entries pages with nextToken (botocore paginator, --page-size 2)', async (t) => {
    if (!requirePeer(t, 'aws', 'openssl')) return;
    const before = api?.calls.length ?? 0;
    const r = await aws(['list-access-entries', '--cluster-name', 'demo', '--page-size', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).accessEntries,
      clusters()[0]?.entries?.map((e) => e.principalArn),
    );
    const calls = (api as EksApi).calls.slice(before);
    assert.deepEqual(
      calls.map((c) => [c.operation, c.query.maxResults, c.query.nextToken !== undefined]),
      [
        ['ListAccessEntries', '2', false],
        ['ListAccessEntries', '2', true],
        ['ListAccessEntries', '2', true],
      ],
    );
  });

  test('describe-access-entry: the path-carrying principal ARN as one encoded segment, the default username, epoch timestamps', async (t) => {
    if (!requirePeer(t, 'aws', 'openssl')) return;
    const r = await aws([
      'describe-access-entry',
      '--cluster-name',
      'demo',
      '--principal-arn',
      `arn:aws:iam::${A}:role/team/Dev`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout).accessEntry;
    assert.equal(e.principalArn, `arn:aws:iam::${A}:role/team/Dev`);
    assert.equal(e.username, `arn:aws:sts::${A}:assumed-role/Dev/{{SessionName}}`);
    assert.deepEqual(e.kubernetesGroups, ['dev-team']);
    assert.equal(e.type, 'STANDARD');
    // AWS CLI v1 (cli_timestamp_format none) prints the wire value: epoch seconds, as EKS sends them.
    assert.equal(Number(e.createdAt), Date.parse('2025-02-03T04:05:06Z') / 1000);
  });

  test('list-associated-access-policies pages and keeps the scopes', async (t) => {
    if (!requirePeer(t, 'aws', 'openssl')) return;
    const r = await aws([
      'list-associated-access-policies',
      '--cluster-name',
      'demo',
      '--principal-arn',
      `arn:aws:iam::${A}:role/team/Dev`,
      '--page-size',
      '1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.principalArn, `arn:aws:iam::${A}:role/team/Dev`);
    assert.deepEqual(
      out.associatedAccessPolicies.map((p: { policyArn: string; accessScope: unknown }) => [
        p.policyArn.split('/').pop(),
        p.accessScope,
      ]),
      [
        ['AmazonEKSViewPolicy', { type: 'cluster', namespaces: [] }],
        ['AmazonEKSEditPolicy', { type: 'namespace', namespaces: ['dev', 'test-*'] }],
        ['AmazonEKSSecretReaderPolicy', { type: 'namespace', namespaces: ['vault'] }],
      ],
    );
  });

  test('errors: ResourceNotFoundException, InvalidRequestException on CONFIG_MAP, a wrong secret', async (t) => {
    if (!requirePeer(t, 'aws', 'openssl')) return;
    const missing = await aws([
      'describe-access-entry',
      '--cluster-name',
      'demo',
      '--principal-arn',
      `arn:aws:iam::${A}:role/Nobody`,
    ]);
    assert.notEqual(missing.code, 0);
    assert.match(
      missing.stderr,
      /\(ResourceNotFoundException\) when calling the DescribeAccessEntry operation: The specified principalArn could not be found/,
    );
    const cluster = await aws(['describe-cluster', '--name', 'nope']);
    assert.match(
      cluster.stderr,
      /\(ResourceNotFoundException\) when calling the DescribeCluster operation: No cluster found for name: nope\./,
    );
    const legacy = await aws(['list-access-entries', '--cluster-name', 'legacy']);
    assert.match(
      legacy.stderr,
      /\(InvalidRequestException\) when calling the ListAccessEntries operation: The cluster's authentication mode must be set/,
    );
    const forged = await aws(['describe-cluster', '--name', 'demo'], `${SECRET.slice(0, -1)}X`);
    assert.match(
      forged.stderr,
      /\(InvalidSignatureException\) when calling the DescribeCluster operation: The request signature we calculated does not match/,
    );
  });
});

describe('the EKS port through the peer', () => {
  let api: EksApi | undefined;
  before(async () => {
    api = await startEksApi({ region: REGION, clusters: clusters(), keys: { [AKID]: SECRET }, http: true });
  });
  after(() => api?.stop());
  const port = (pageSize?: number) =>
    createEksPort({
      region: REGION,
      credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
      endpoint: (api as EksApi).url,
      ...(pageSize ? { pageSize } : {}),
    });

  test('reads the mode, every entry over three pages, an entry and its policies over three pages', async () => {
    const eks = port(2);
    try {
      const start = (api as EksApi).calls.length;
      assert.equal((await eks.describeCluster('demo')).authenticationMode, 'API_AND_CONFIG_MAP');
      assert.equal((await eks.describeCluster('legacy')).authenticationMode, 'CONFIG_MAP');
      assert.deepEqual(
        await eks.listAccessEntries('demo'),
        clusters()[0]?.entries?.map((e) => e.principalArn),
      );
      const entry = await eks.describeAccessEntry('demo', `arn:aws:iam::${A}:role/team/Dev`);
      assert.deepEqual(entry.createdAt, new Date('2025-02-03T04:05:06Z'));
      assert.equal(entry.username, `arn:aws:sts::${A}:assumed-role/Dev/{{SessionName}}`);
      const onePerPage = port(1);
      const policies = await onePerPage
        .listAssociatedAccessPolicies('demo', `arn:aws:iam::${A}:role/team/Dev`)
        .finally(() => onePerPage.close());
      assert.deepEqual(
        policies.map((p) => p.accessScope),
        [
          { type: 'cluster', namespaces: [] },
          { type: 'namespace', namespaces: ['dev', 'test-*'] },
          { type: 'namespace', namespaces: ['vault'] },
        ],
      );
      const calls = (api as EksApi).calls.slice(start).map((c) => c.operation);
      assert.deepEqual(calls.filter((c) => c === 'ListAccessEntries').length, 3);
      assert.deepEqual(calls.filter((c) => c === 'ListAssociatedAccessPolicies').length, 3);
      assert.ok(
        (api as EksApi).calls.every((c) => c.akid === AKID),
        'every call was signed and checked',
      );
    } finally {
      eks.close();
    }
  });

  async function failure(run: () => Promise<unknown>): Promise<EksAuthError> {
    const err = await run().then(
      () => assert.fail('the call succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof EksAuthError, String(err));
    return err;
  }

  test('errors: no entry, CONFIG_MAP, access denied naming the permission', async () => {
    const eks = port();
    try {
      const none = await failure(() => eks.describeAccessEntry('demo', `arn:aws:iam::${A}:role/Nobody`));
      assert.equal(none.reason, 'access-entry-not-found');
      assert.equal(none.exitCode, ExitCode.config);
      const legacy = await failure(() => eks.listAccessEntries('legacy'));
      assert.equal(legacy.reason, 'eks-invalid-request');
      api?.deny('ListAccessEntries', 1);
      const denied = await failure(() => eks.listAccessEntries('demo'));
      assert.equal(denied.reason, 'eks-access-denied');
      assert.equal(denied.exitCode, ExitCode.credentials);
      assert.match(denied.hint ?? '', /eks:ListAccessEntries/);
      const cluster = await failure(() => eks.describeCluster('nope'));
      assert.equal(cluster.reason, 'cluster-not-found');
    } finally {
      eks.close();
    }
  });
});
