/**
 * The AWS CLI as an independent oracle: `aws eks get-token` (AWS CLI v1, botocore) under a frozen
 * clock must produce, byte for byte, the token we build from the same inputs with
 * resolveStsEndpoint + presignGetCallerIdentity + encodeToken. It also re-derives every row of the
 * endpoint table that test/unit/aws/endpoint.test.ts checks our resolver against.
 *
 * Peers: `aws` and `faketime` (Debian package faketime). Missing peers skip the test outside CI and
 * fail it under CI=true. No network is used: get-token only signs, it never calls STS.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { resolveStsEndpoint, type StsEndpointSettings } from '../../src/aws/endpoint';
import type { AwsCredentials } from '../../src/ports';
import { decodeToken, encodeToken } from '../../src/token/encode';
import { presignGetCallerIdentity } from '../../src/token/presign';
import { STS_ENDPOINT_TABLE, awsCliRefuses } from '../fixtures/sts-endpoint-table';

const execFileAsync = promisify(execFile);

// Without `@`, libfaketime freezes the clock at this instant (with `@` it would start a clock that
// runs, and a slow start could move X-Amz-Date by a second). TZ=UTC below makes it UTC.
const FROZEN = '2026-01-01 00:00:00';
const SIGNING_DATE = new Date('2026-01-01T00:00:00Z');
// awscli/customizations/eks/get_token.py: expirationTimestamp = now + TOKEN_EXPIRATION_MINS (14).
const EXPECTED_EXPIRATION = '2026-01-01T00:14:00Z';
const PARALLELISM = 2;

function missingPeers(): string[] {
  const missing: string[] = [];
  if (spawnSync('aws', ['--version'], { stdio: 'ignore' }).status !== 0) missing.push('aws (AWS CLI)');
  if (spawnSync('faketime', ['-f', FROZEN, 'true'], { stdio: 'ignore' }).status !== 0)
    missing.push('faketime (apt-get install faketime)');
  return missing;
}

const missing = missingPeers();
const skip =
  missing.length > 0 && process.env.CI !== 'true'
    ? `peer missing: ${missing.join(', ')}; install it to run this test`
    : false;

interface OracleCase {
  credentials: AwsCredentials;
  settings: StsEndpointSettings;
  clusterName: string;
}

interface CliToken {
  url: string;
  token: string;
  expirationTimestamp: string;
}

let workDir = '';

/** A spawn environment built from nothing: no user config, CA bundle or stray AWS_* variable leaks in. */
function cliEnv(c: OracleCase): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: workDir,
    TZ: 'UTC',
    AWS_CONFIG_FILE: join(workDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: c.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.credentials.secretAccessKey,
  };
  if (c.credentials.sessionToken !== undefined) env.AWS_SESSION_TOKEN = c.credentials.sessionToken;
  if (c.settings.stsRegionalEndpoints !== undefined) env.AWS_STS_REGIONAL_ENDPOINTS = c.settings.stsRegionalEndpoints;
  if (c.settings.useFipsEndpoint) env.AWS_USE_FIPS_ENDPOINT = 'true';
  if (c.settings.useDualstackEndpoint) env.AWS_USE_DUALSTACK_ENDPOINT = 'true';
  if (c.settings.endpointUrl !== undefined) env.AWS_ENDPOINT_URL_STS = c.settings.endpointUrl;
  return env;
}

async function cliGetToken(c: OracleCase): Promise<CliToken> {
  const args = [
    '-f',
    FROZEN,
    'aws',
    'eks',
    'get-token',
    '--cluster-name',
    c.clusterName,
    '--region',
    c.settings.region,
    '--output',
    'json',
  ];
  const { stdout } = await execFileAsync('faketime', args, { env: cliEnv(c), cwd: workDir, timeout: 60_000 });
  const out = JSON.parse(stdout) as { kind: string; status: { token: string; expirationTimestamp: string } };
  assert.equal(out.kind, 'ExecCredential');
  return {
    url: decodeToken(out.status.token),
    token: out.status.token,
    expirationTimestamp: out.status.expirationTimestamp,
  };
}

/** For settings the AWS CLI refuses (see the fixture): it must still refuse them, else the note is stale. */
async function assertCliRefuses(c: OracleCase): Promise<void> {
  await assert.rejects(cliGetToken(c), (err: Error & { stderr?: string }) => {
    assert.match(
      err.stderr ?? '',
      /Unable to construct a modeled endpoint with the following variant\(s\) \['dualstack'/,
    );
    return true;
  });
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function credentialRegion(url: string): string | undefined {
  return new URL(url).searchParams.get('X-Amz-Credential')?.split('/')[2];
}

const REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-2',
  'sa-east-1',
  'ap-east-1',
  'me-central-1',
  'il-central-1',
  'aws-global',
  'cn-north-1',
  'cn-northwest-1',
  'us-gov-west-1',
  'us-gov-east-1',
  'us-iso-east-1',
  'us-isob-east-1',
  'eu-isoe-west-1',
  'us-isof-south-1',
  'eusc-de-east-1',
];

const percent = (p: number): fc.Arbitrary<boolean> => fc.integer({ min: 0, max: 99 }).map((n) => n < p);

const caseArb: fc.Arbitrary<OracleCase> = fc.record({
  credentials: fc.record(
    {
      accessKeyId: fc.stringMatching(/^(AKIA|ASIA)[A-Z2-7]{16}$/),
      secretAccessKey: fc.stringMatching(/^[A-Za-z0-9/+]{40}$/),
      sessionToken: fc.stringMatching(/^[A-Za-z0-9/+=]{20,800}$/),
    },
    { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
  ),
  settings: fc
    .record({
      region: fc.constantFrom(...REGIONS),
      legacy: percent(35),
      fips: percent(25),
      dualStack: percent(25),
      override: percent(20),
      port: fc.integer({ min: 1024, max: 65535 }),
    })
    .map(
      ({ region, legacy, fips, dualStack, override, port }): StsEndpointSettings => ({
        region,
        ...(legacy ? { stsRegionalEndpoints: 'legacy' as const } : {}),
        ...(fips ? { useFipsEndpoint: true } : {}),
        ...(dualStack ? { useDualstackEndpoint: true } : {}),
        ...(override ? { endpointUrl: `https://127.0.0.1:${port}` } : {}),
      }),
    ),
  clusterName: fc.oneof(
    { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constantFrom(' spaced  name ', 'ünïcödé-☃', 'a/b+c=d&e;f', "it's(*)!") },
  ),
});

// Fixed seed: the same 25 cases on every run, so a failure reproduces.
const CASES = fc.sample(caseArb, { seed: 20260101, numRuns: 25 });

describe('aws eks get-token as oracle (frozen clock)', { skip }, () => {
  before(() => {
    assert.deepEqual(missing, [], `required peers are missing under CI: ${missing.join(', ')}`);
    workDir = mkdtempSync(join(tmpdir(), 'eks-auth-oracle-'));
    writeFileSync(join(workDir, 'config'), '');
    writeFileSync(join(workDir, 'credentials'), '');
  });
  after(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test('the random cases cover session tokens, legacy, FIPS, dual-stack, overrides and every partition', () => {
    const count = (p: (c: OracleCase) => boolean): number => CASES.filter(p).length;
    assert.ok(count((c) => c.credentials.sessionToken !== undefined) >= 5);
    assert.ok(count((c) => c.settings.stsRegionalEndpoints === 'legacy') >= 3);
    assert.ok(count((c) => c.settings.useFipsEndpoint === true) >= 3);
    assert.ok(count((c) => c.settings.useDualstackEndpoint === true) >= 3);
    assert.ok(count((c) => c.settings.endpointUrl !== undefined) >= 2);
    const partitions = new Set(CASES.map((c) => resolveStsEndpoint(c.settings).partition));
    assert.ok(partitions.size >= 5, `partitions: ${[...partitions].join(', ')}`);
  });

  test(`produces the same token as aws eks get-token for ${CASES.length} random cases`, async () => {
    const results = await mapLimited(CASES, PARALLELISM, async (c) => {
      if (!awsCliRefuses(c.settings)) return { c, cli: await cliGetToken(c) };
      await assertCliRefuses(c);
      return undefined;
    });
    const compared = results.filter((r) => r !== undefined);
    assert.ok(compared.length >= 20, `only ${compared.length} cases compared`);
    for (const { c, cli } of compared) {
      const ours = presignGetCallerIdentity({
        credentials: c.credentials,
        endpoint: resolveStsEndpoint(c.settings),
        clusterId: c.clusterName,
        signingDate: SIGNING_DATE,
      });
      const label = `${JSON.stringify(c.settings)} cluster ${JSON.stringify(c.clusterName)}`;
      assert.equal(ours, cli.url, label);
      assert.equal(encodeToken(ours), cli.token, label);
      // Peers advertise expiry = signing time + 14 minutes; the token itself is honoured for 15.
      assert.equal(cli.expirationTimestamp, EXPECTED_EXPIRATION, label);
      assert.equal(
        new Date(SIGNING_DATE.getTime() + 14 * 60_000).toISOString().replace('.000Z', 'Z'),
        cli.expirationTimestamp,
      );
    }
  });

  test(`agrees with every row of the endpoint table (${STS_ENDPOINT_TABLE.length} rows)`, async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    const rows = await mapLimited(STS_ENDPOINT_TABLE, PARALLELISM, async (row) => {
      const c = { credentials, settings: row.settings, clusterName: 'demo' };
      if (!awsCliRefuses(row.settings)) return { row, cli: await cliGetToken(c) };
      await assertCliRefuses(c);
      return undefined;
    });
    for (const { row, cli } of rows.filter((r) => r !== undefined)) {
      const label = JSON.stringify(row.settings);
      const cliUrl = new URL(cli.url);
      // origin and host normalise case and a default port: botocore keeps them in its URL text but
      // signs the normalised host, which the signature comparison below confirms.
      assert.equal(cliUrl.origin, row.expected.url, label);
      assert.equal(cliUrl.host, row.expected.host, label);
      assert.equal(credentialRegion(cli.url), row.expected.signingRegion, label);
      const ours = new URL(
        presignGetCallerIdentity({ credentials, endpoint: row.expected, clusterId: 'demo', signingDate: SIGNING_DATE }),
      );
      assert.equal(ours.searchParams.get('X-Amz-Signature'), cliUrl.searchParams.get('X-Amz-Signature'), label);
    }
  });
});
