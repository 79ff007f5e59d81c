import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stsError } from '../../../src/aws/sts-client';
import { ExitCode } from '../../../src/errors';
import type { StsEndpoint } from '../../../src/ports';

const ENDPOINT: StsEndpoint = {
  url: 'https://sts.us-east-1.amazonaws.com',
  host: 'sts.us-east-1.amazonaws.com',
  signingRegion: 'us-east-1',
  region: 'us-east-1',
  partition: 'aws',
};

// Shapes of the errors @aws-sdk/client-sts throws (name, $metadata.httpStatusCode) and Node's socket errors (code).
test('maps STS and socket failures to the documented exit codes', () => {
  const rows: { err: object; exitCode: number; reason: string }[] = [
    {
      err: { name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } },
      exitCode: ExitCode.network,
      reason: 'sts-throttled',
    },
    {
      err: { name: 'InternalFailure', message: 'boom', $metadata: { httpStatusCode: 500 } },
      exitCode: ExitCode.network,
      reason: 'sts-unavailable',
    },
    {
      err: { name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' },
      exitCode: ExitCode.network,
      reason: 'sts-unreachable',
    },
    {
      err: { name: 'AccessDenied', message: 'not authorized', $metadata: { httpStatusCode: 403 } },
      exitCode: ExitCode.credentials,
      reason: 'sts-denied',
    },
    {
      err: { name: 'ExpiredToken', message: 'expired', $metadata: { httpStatusCode: 400 } },
      exitCode: ExitCode.credentials,
      reason: 'sts-denied',
    },
  ];
  for (const row of rows) {
    const mapped = stsError(row.err, ENDPOINT, 'AssumeRole');
    assert.equal(mapped.exitCode, row.exitCode, JSON.stringify(row.err));
    assert.equal(mapped.reason, row.reason, JSON.stringify(row.err));
  }
});

test('throttling that outlasts the retries says to retry, naming the call', () => {
  const mapped = stsError(
    { name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } },
    ENDPOINT,
    'AssumeRole',
  );
  assert.match(mapped.message, /kept throttling AssumeRole after retries/);
  assert.match(mapped.hint ?? '', /retry in a few seconds/);
});
