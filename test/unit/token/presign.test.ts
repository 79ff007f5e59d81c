import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { presignGetCallerIdentity, uriEncode, type PresignInput } from '../../../src/token/presign';
import fc from 'fast-check';
import type { AwsCredentials, StsEndpoint } from '../../../src/ports';

function endpoint(host: string, signingRegion: string, scheme = 'https'): StsEndpoint {
  return { url: `${scheme}://${host}`, host, signingRegion, region: signingRegion, partition: 'aws' };
}

const EXAMPLE: AwsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const DATE_2024 = new Date('2024-01-02T03:04:05Z');

function presign(overrides: Partial<PresignInput>): URL {
  return new URL(
    presignGetCallerIdentity({
      credentials: EXAMPLE,
      endpoint: endpoint('sts.us-west-2.amazonaws.com', 'us-west-2'),
      clusterId: 'demo',
      signingDate: DATE_2024,
      ...overrides,
    }),
  );
}

function signatureOf(url: URL): string | null {
  return url.searchParams.get('X-Amz-Signature');
}

// docs/reference.md §1 known-answer vectors, each reproduced with botocore's SigV4 presigner.
const VECTORS = [
  {
    name: "aws-iam-authenticator's own unit-test vector",
    credentials: { accessKeyId: 'ASIAR2TG44V6AS3ZZE7C', secretAccessKey: '4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q' },
    endpoint: endpoint('sts.us-west-2.amazonaws.com', 'us-west-2'),
    signingDate: new Date('2023-04-28T00:00:00Z'),
    clusterId: 'test-cluster',
    signature: 'e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce',
  },
  {
    name: 'AKIDEXAMPLE in us-west-2 without a session token',
    credentials: EXAMPLE,
    endpoint: endpoint('sts.us-west-2.amazonaws.com', 'us-west-2'),
    signingDate: DATE_2024,
    clusterId: 'demo',
    signature: '6807fffdad3d8e5407243c91f91caeb5cab5c5491413a9926ebc1a9456a2eb80',
  },
  {
    name: 'AKIDEXAMPLE in us-east-1 with a session token',
    credentials: { ...EXAMPLE, sessionToken: 'SESSIONTOKEN' },
    endpoint: endpoint('sts.us-east-1.amazonaws.com', 'us-east-1'),
    signingDate: DATE_2024,
    clusterId: 'demo',
    signature: 'cd63ee4dd7dc48398dec142cc49f6fa4f0b5e0b5fce51c464e613ff18df07c87',
  },
];

/** The vector at index i of the table above. */
function vector(i: number): (typeof VECTORS)[number] {
  const v = VECTORS[i];
  assert.ok(v, `no vector ${i}`);
  return v;
}

describe('presignGetCallerIdentity known answers', () => {
  for (const v of VECTORS) {
    test(`signs the known-answer vector: ${v.name}`, () => {
      const url = new URL(presignGetCallerIdentity(v));
      assert.equal(signatureOf(url), v.signature);
    });
  }

  test('emits the aws-iam-authenticator vector as the exact URL in botocore order', () => {
    // The same inputs through `aws eks get-token` (AWS CLI 1.45.11, botocore 1.43.11) under
    // `faketime -f '@2023-04-28 00:00:00'`; aws-iam-authenticator expects the same parameters sorted.
    const v = vector(0);
    assert.equal(
      presignGetCallerIdentity(v),
      'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15' +
        '&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2Fus-west-2%2Fsts%2Faws4_request' +
        '&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id' +
        '&X-Amz-Signature=e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce',
    );
  });

  test('puts X-Amz-Security-Token between SignedHeaders and Signature, as botocore does', () => {
    const v = vector(2);
    const keys = [...new URL(presignGetCallerIdentity(v)).searchParams.keys()];
    assert.deepEqual(keys, [
      'Action',
      'Version',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Security-Token',
      'X-Amz-Signature',
    ]);
  });

  test('signs x-k8s-aws-id as a header and never sends it as a query parameter', () => {
    const url = presign({ clusterId: 'demo' });
    assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host;x-k8s-aws-id');
    assert.equal(
      [...url.searchParams.keys()].some((k) => k.toLowerCase() === 'x-k8s-aws-id'),
      false,
    );
    assert.notEqual(signatureOf(url), signatureOf(presign({ clusterId: 'demo2' })));
  });
});

describe('presignGetCallerIdentity encoding', () => {
  // Expected signatures in this block come from `aws eks get-token` (AWS CLI 1.45.11, botocore
  // 1.43.11) under `faketime -f '@2024-01-02 03:04:05'` with AKIDEXAMPLE in the environment.

  test('percent-encodes a session token with / + = and the characters encodeURIComponent leaves', () => {
    const url = presignGetCallerIdentity({
      credentials: { ...EXAMPLE, sessionToken: "FwoGZXIvYXdzE/+==!'()*~._-" },
      endpoint: endpoint('sts.us-east-1.amazonaws.com', 'us-east-1'),
      clusterId: 'demo',
      signingDate: DATE_2024,
    });
    assert.ok(url.includes('&X-Amz-Security-Token=FwoGZXIvYXdzE%2F%2B%3D%3D%21%27%28%29%2A~._-&'), url);
    assert.equal(signatureOf(new URL(url)), '6f1c99ce7c5e4974243c3f5af7b6a8f3a85fc62f310a6a290f4973c32bb9b7d8');
  });

  test('signs a cluster id with URL-special characters verbatim', () => {
    const url = presign({ clusterId: 'prod/eu;cluster&x=1?#%' });
    assert.equal(signatureOf(url), 'f73ca534d1753d859da125d8c5313d826b137a47dc102da9a0ac23e626a78c2e');
  });

  test('signs a non-ASCII cluster id as UTF-8 and trims and collapses its spaces', () => {
    // aws eks get-token under faketime -f '@2026-01-01 00:00:00', region eu-west-1, session token a/b+c=d.
    const url = presignGetCallerIdentity({
      credentials: { ...EXAMPLE, sessionToken: 'a/b+c=d' },
      endpoint: endpoint('sts.eu-west-1.amazonaws.com', 'eu-west-1'),
      clusterId: ' my  cluster ☃ ',
      signingDate: new Date('2026-01-01T00:00:00Z'),
    });
    assert.ok(url.includes('&X-Amz-Security-Token=a%2Fb%2Bc%3Dd&'), url);
    assert.equal(signatureOf(new URL(url)), '03c37b8106b1e2a36272975c2d8d7fe1e93dcd887104577aada1bdde53d06f62');
  });

  test('treats a tab in the cluster id as a space, as SigV4 canonical headers require', () => {
    const expected = 'e8b4cf16bccb6635c36727ccf08900e7c38ec5dcb2a519cb2840a1c63c4efa95';
    assert.equal(signatureOf(presign({ clusterId: 'a\tb' })), expected);
    assert.equal(signatureOf(presign({ clusterId: 'a b' })), expected);
    assert.equal(signatureOf(presign({ clusterId: '  a \t  b ' })), expected);
    assert.notEqual(signatureOf(presign({ clusterId: 'ab' })), expected);
  });

  test('leaves out X-Amz-Security-Token for an empty session token', () => {
    const url = presign({ credentials: { ...EXAMPLE, sessionToken: '' } });
    assert.equal(url.searchParams.has('X-Amz-Security-Token'), false);
    assert.equal(signatureOf(url), vector(1).signature);
  });
});

describe('presignGetCallerIdentity endpoints and clock', () => {
  test('signs host with its port for an endpoint on a non-default port', () => {
    // aws eks get-token with AWS_ENDPOINT_URL_STS=https://127.0.0.1:4566, faketime '@2024-01-02 03:04:05'.
    const url = presignGetCallerIdentity({
      credentials: EXAMPLE,
      endpoint: endpoint('127.0.0.1:4566', 'us-west-2'),
      clusterId: 'demo',
      signingDate: DATE_2024,
    });
    assert.ok(url.startsWith('https://127.0.0.1:4566/?Action=GetCallerIdentity&'), url);
    assert.equal(signatureOf(new URL(url)), '83bee461b4c98028f5592053bed1a486f1a1aa12dded3b7c1b63481b7a47311e');
    assert.notEqual(
      signatureOf(presign({ endpoint: endpoint('127.0.0.1:4567', 'us-west-2') })),
      signatureOf(new URL(url)),
    );
  });

  test('keeps an http endpoint as given (local test servers)', () => {
    const url = presignGetCallerIdentity({
      credentials: EXAMPLE,
      endpoint: endpoint('127.0.0.1:4566', 'us-west-2', 'http'),
      clusterId: 'demo',
      signingDate: DATE_2024,
    });
    assert.ok(url.startsWith('http://127.0.0.1:4566/?Action='), url);
  });

  test('puts the signing region, not the configured region, in the credential scope', () => {
    const global: StsEndpoint = {
      url: 'https://sts.amazonaws.com',
      host: 'sts.amazonaws.com',
      signingRegion: 'us-east-1',
      region: 'eu-west-1',
      partition: 'aws',
    };
    const url = presign({ endpoint: global });
    assert.equal(url.searchParams.get('X-Amz-Credential'), 'AKIDEXAMPLE/20240102/us-east-1/sts/aws4_request');
  });

  test('drops the milliseconds of the signing date', () => {
    const url = presign({ signingDate: new Date('2024-01-02T03:04:05.999Z') });
    assert.equal(url.searchParams.get('X-Amz-Date'), '20240102T030405Z');
    assert.equal(signatureOf(url), vector(1).signature);
  });

  test('signs a chosen X-Amz-Expires and refuses one SigV4 does not allow', () => {
    const url = presign({ expiresSeconds: 900 });
    assert.equal(url.searchParams.get('X-Amz-Expires'), '900');
    assert.notEqual(signatureOf(url), vector(1).signature);
    assert.throws(() => presign({ expiresSeconds: 1.5 }), RangeError);
    assert.throws(() => presign({ expiresSeconds: -1 }), RangeError);
    assert.throws(() => presign({ expiresSeconds: 604_801 }), RangeError);
  });
});

test('presign.ts imports nothing at run time but the plain-JS SHA-256 and UTC formatter (it is on every kubectl call)', () => {
  const source = readFileSync(join(__dirname, '../../../src/token/presign.ts'), 'utf8');
  const runtimeImports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
  assert.deepEqual(runtimeImports, ['../sha256', '../util/utc']);
  for (const leaf of ['sha256.ts', 'util/utc.ts']) {
    assert.doesNotMatch(readFileSync(join(__dirname, '../../../src', leaf), 'utf8'), /^import\s+(?!type\b)/m);
  }
  assert.doesNotMatch(source, /\brequire\(|\bimport\(/);
});

describe('uriEncode', () => {
  // RFC 3986 section 2.3: only ALPHA, DIGIT and - . _ ~ stay as they are; SigV4 encodes everything else.
  test('encodes the five characters encodeURIComponent leaves', () => {
    assert.equal(uriEncode("a!b'c(d)e*f"), 'a%21b%27c%28d%29e%2Af');
    assert.equal(
      uriEncode('AKIDEXAMPLE/20240102/us-east-1/sts/aws4_request'),
      'AKIDEXAMPLE%2F20240102%2Fus-east-1%2Fsts%2Faws4_request',
    );
  });

  test('leaves exactly the unreserved characters, on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        const encoded = uriEncode(value);
        // Unreserved characters only, outside the escapes, and decoding gives the input back.
        assert.match(encoded.replace(/%[0-9A-F]{2}/g, ''), /^[A-Za-z0-9\-._~]*$/);
        assert.equal(decodeURIComponent(encoded), value);
      }),
      { numRuns: 2000 },
    );
  });
});
