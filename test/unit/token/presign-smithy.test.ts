/**
 * Differential test: our hand-written presigner against @smithy/signature-v4 (the signer the AWS SDK
 * for JavaScript uses) on random inputs. The signature must be identical and the query parameters
 * the same set; only their order differs (smithy puts X-Amz-Security-Token first, we keep botocore's
 * order). This is the only file of the project that imports @smithy/signature-v4.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SignatureV4 } from '@smithy/signature-v4';
import { presignGetCallerIdentity } from '../../../src/token/presign';
import type { AwsCredentials, StsEndpoint } from '../../../src/ports';

type SmithyRequest = Parameters<SignatureV4['presign']>[0];

/** smithy's Checksum interface on node:crypto (HMAC when given a secret). */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key = typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret as ArrayBuffer);
    return createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : (data as Uint8Array));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.create();
  }
}

async function smithyPresign(
  credentials: AwsCredentials,
  endpoint: StsEndpoint,
  clusterId: string,
  signingDate: Date,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials, region: endpoint.signingRegion, service: 'sts', sha256: NodeSha256 });
  const [hostname, port] = endpoint.host.split(':');
  const request: SmithyRequest = {
    method: 'GET',
    protocol: 'https:',
    hostname: hostname as string,
    ...(port === undefined ? {} : { port: Number(port) }),
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: endpoint.host, 'x-k8s-aws-id': clusterId },
  };
  const signed = await signer.presign(request, {
    expiresIn: 60,
    signingDate,
    // Nothing else may be signed: the verifier sends only host and x-k8s-aws-id.
    signableHeaders: new Set(['host', 'x-k8s-aws-id']),
    unsignableHeaders: new Set(['user-agent', 'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request']),
  });
  assert.deepEqual(
    Object.keys(signed.headers).sort(),
    ['host', 'x-k8s-aws-id'],
    'smithy must sign exactly the two headers',
  );
  return Object.fromEntries(Object.entries(signed.query ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Decodes our query by hand: URLSearchParams would turn a literal `+` into a space and hide a bug. */
function queryOf(url: string, endpoint: StsEndpoint): Record<string, string> {
  const prefix = `${endpoint.url}/?`;
  assert.ok(url.startsWith(prefix), url);
  const entries = url
    .slice(prefix.length)
    .split('&')
    .map((pair) => {
      const [key, value, ...rest] = pair.split('=');
      assert.equal(rest.length, 0, `unencoded = in ${pair}`);
      assert.match(
        `${key}=${value}`,
        /^[A-Za-z0-9\-_.~%]+=[A-Za-z0-9\-_.~%]*$/,
        'only RFC 3986 unreserved characters and escapes',
      );
      return [decodeURIComponent(key as string), decodeURIComponent(value as string)] as const;
    });
  const query = Object.fromEntries(entries);
  assert.equal(Object.keys(query).length, entries.length, 'no duplicate keys');
  return query;
}

const REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-central-2',
  'ap-southeast-7',
  'mx-central-1',
  'cn-north-1',
  'cn-northwest-1',
  'us-gov-west-1',
  'us-iso-east-1',
  'us-isob-east-1',
  'eu-isoe-west-1',
  'us-isof-south-1',
  'eusc-de-east-1',
];

const regionArb = fc.oneof(fc.constantFrom(...REGIONS), fc.stringMatching(/^[a-z]{2,4}-[a-z]{3,9}-[1-9]$/));

const endpointArb: fc.Arbitrary<StsEndpoint> = fc
  .tuple(regionArb, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 65535 }))
  .map(([region, kind, port]) => {
    const host = kind === 0 ? `sts.${region}.amazonaws.com` : kind === 1 ? 'sts.amazonaws.com' : `127.0.0.1:${port}`;
    return { url: `https://${host}`, host, signingRegion: kind === 1 ? 'us-east-1' : region, region, partition: 'aws' };
  });

const credentialsArb: fc.Arbitrary<AwsCredentials> = fc.record(
  {
    accessKeyId: fc.stringMatching(/^(AKIA|ASIA)[A-Z2-7]{16}$/),
    secretAccessKey: fc.stringMatching(/^[A-Za-z0-9/+]{40}$/),
    sessionToken: fc.stringMatching(/^[A-Za-z0-9/+=]{16,1200}$/),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);

const clusterIdArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/), // EKS cluster names
  fc.uuid(), // cluster ids
  fc.string({ unit: 'grapheme', maxLength: 40 }), // unicode
  fc.string({
    unit: fc.constantFrom(' ', '\t', 'a', '/', '+', '=', '&', '%', ';', '?', '#', '!', "'", '(', '*', 'é', '☃', '𝄞'),
    maxLength: 30,
  }),
);

const dateArb = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2099-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});

test('signs exactly as @smithy/signature-v4 for random credentials, regions, hosts, cluster ids and dates', async () => {
  let withToken = 0;
  await fc.assert(
    fc.asyncProperty(
      credentialsArb,
      endpointArb,
      clusterIdArb,
      dateArb,
      async (credentials, endpoint, clusterId, signingDate) => {
        const ours = presignGetCallerIdentity({ credentials, endpoint, clusterId, signingDate });
        const theirs = await smithyPresign(credentials, endpoint, clusterId, signingDate);
        const query = queryOf(ours, endpoint);
        assert.equal(query['X-Amz-Signature'], theirs['X-Amz-Signature']);
        assert.deepEqual(query, theirs);
        if (credentials.sessionToken !== undefined) withToken++;
      },
    ),
    { numRuns: 400, seed: 20260101 },
  );
  // Guard against a generator that silently stopped producing session tokens.
  assert.ok(withToken > 100, `only ${withToken} runs had a session token`);
});

test('the differential harness notices a wrong signature (it can fail)', async () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const endpoint: StsEndpoint = {
    url: 'https://sts.us-west-2.amazonaws.com',
    host: 'sts.us-west-2.amazonaws.com',
    signingRegion: 'us-west-2',
    region: 'us-west-2',
    partition: 'aws',
  };
  const date = new Date('2024-01-02T03:04:05Z');
  const theirs = await smithyPresign(credentials, endpoint, 'demo', date);
  // docs/reference.md §1, vector 2: smithy reproduces it as well.
  assert.equal(theirs['X-Amz-Signature'], '6807fffdad3d8e5407243c91f91caeb5cab5c5491413a9926ebc1a9456a2eb80');
  const other = queryOf(
    presignGetCallerIdentity({ credentials, endpoint, clusterId: 'demo ', signingDate: date }),
    endpoint,
  );
  assert.equal(other['X-Amz-Signature'], theirs['X-Amz-Signature'], 'trailing space is trimmed by both');
  const wrong = queryOf(
    presignGetCallerIdentity({ credentials, endpoint, clusterId: 'demo2', signingDate: date }),
    endpoint,
  );
  assert.notEqual(wrong['X-Amz-Signature'], theirs['X-Amz-Signature']);
});
