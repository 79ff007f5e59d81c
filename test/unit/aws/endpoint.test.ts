import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  isValidRegionName,
  partitionOf,
  resolveStsEndpoint,
  simpleHttpOrigin,
  type StsEndpointSettings,
} from '../../../src/aws/endpoint';
import { EksAuthError, ExitCode } from '../../../src/errors';
import { LEGACY_GLOBAL_REGIONS, STS_ENDPOINT_TABLE } from '../../fixtures/sts-endpoint-table';

function describeSettings(s: StsEndpointSettings): string {
  const flags = [
    s.stsRegionalEndpoints && `sts_regional_endpoints=${s.stsRegionalEndpoints}`,
    s.useFipsEndpoint && 'fips',
    s.useDualstackEndpoint && 'dual-stack',
    s.endpointUrl && `endpoint ${s.endpointUrl}`,
  ].filter(Boolean);
  return `${s.region}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`;
}

describe('resolveStsEndpoint table (expected values from botocore, checked against the AWS CLI by the oracle test)', () => {
  for (const row of STS_ENDPOINT_TABLE) {
    test(`${describeSettings(row.settings)} → ${row.expected.host} signed for ${row.expected.signingRegion}`, () => {
      assert.deepEqual(resolveStsEndpoint(row.settings), row.expected);
    });
  }

  test('the table covers every legacy region and every partition', () => {
    const legacyRows = STS_ENDPOINT_TABLE.filter(
      (r) => r.settings.stsRegionalEndpoints === 'legacy' && r.expected.host === 'sts.amazonaws.com',
    );
    assert.deepEqual(new Set(legacyRows.map((r) => r.settings.region)), new Set(LEGACY_GLOBAL_REGIONS));
    assert.equal(LEGACY_GLOBAL_REGIONS.length, 16);
    const partitions = new Set(STS_ENDPOINT_TABLE.map((r) => r.expected.partition));
    assert.deepEqual([...partitions].sort(), [
      'aws',
      'aws-cn',
      'aws-eusc',
      'aws-iso',
      'aws-iso-b',
      'aws-iso-e',
      'aws-iso-f',
      'aws-us-gov',
    ]);
  });
});

describe('partitionOf', () => {
  // botocore data/partitions.json: `outputs` of the partition whose regionRegex (or explicit region list) matches.
  const rows: [string, string, string, string][] = [
    ['eu-central-2', 'aws', 'amazonaws.com', 'api.aws'],
    ['aws-global', 'aws', 'amazonaws.com', 'api.aws'],
    ['cn-northwest-1', 'aws-cn', 'amazonaws.com.cn', 'api.amazonwebservices.com.cn'],
    ['aws-cn-global', 'aws-cn', 'amazonaws.com.cn', 'api.amazonwebservices.com.cn'],
    ['us-gov-east-1', 'aws-us-gov', 'amazonaws.com', 'api.aws'],
    ['aws-us-gov-global', 'aws-us-gov', 'amazonaws.com', 'api.aws'],
    ['us-iso-west-1', 'aws-iso', 'c2s.ic.gov', 'api.aws.ic.gov'],
    ['aws-iso-global', 'aws-iso', 'c2s.ic.gov', 'api.aws.ic.gov'],
    ['us-isob-west-1', 'aws-iso-b', 'sc2s.sgov.gov', 'api.aws.scloud'],
    ['eu-isoe-west-1', 'aws-iso-e', 'cloud.adc-e.uk', 'api.cloud-aws.adc-e.uk'],
    ['us-isof-east-1', 'aws-iso-f', 'csp.hci.ic.gov', 'api.aws.hci.ic.gov'],
    ['aws-iso-f-global', 'aws-iso-f', 'csp.hci.ic.gov', 'api.aws.hci.ic.gov'],
    ['eusc-de-east-1', 'aws-eusc', 'amazonaws.eu', 'api.amazonwebservices.eu'],
    ['xx-new-9', 'aws', 'amazonaws.com', 'api.aws'],
    ['local', 'aws', 'amazonaws.com', 'api.aws'],
  ];
  for (const [region, name, dnsSuffix, dualStackDnsSuffix] of rows) {
    test(`puts ${region} in ${name}`, () => {
      assert.deepEqual(partitionOf(region), { name, dnsSuffix, dualStackDnsSuffix });
    });
  }
});

describe('region rules are matched by hand as the published patterns match them', () => {
  // botocore data/partitions.json regionRegex and explicit regions, in its order, copied verbatim,
  // and botocore utils.validate_region_name's pattern.
  const PARTITIONS_JSON: [name: string, regionRegex: RegExp, globalRegion?: string][] = [
    ['aws', /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/, 'aws-global'],
    ['aws-cn', /^cn-\w+-\d+$/, 'aws-cn-global'],
    ['aws-eusc', /^eusc-(de)-\w+-\d+$/],
    ['aws-iso', /^us-iso-\w+-\d+$/, 'aws-iso-global'],
    ['aws-iso-b', /^us-isob-\w+-\d+$/, 'aws-iso-b-global'],
    ['aws-iso-e', /^eu-isoe-\w+-\d+$/, 'aws-iso-e-global'],
    ['aws-iso-f', /^us-isof-\w+-\d+$/, 'aws-iso-f-global'],
    ['aws-us-gov', /^us-gov-\w+-\d+$/, 'aws-us-gov-global'],
  ];
  const VALID_REGION = /^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$/;
  const label = fc.constantFrom(
    'us',
    'eu',
    'ap',
    'cn',
    'eusc',
    'de',
    'iso',
    'isob',
    'isoe',
    'isof',
    'gov',
    'east',
    'west',
    'aws',
    'global',
    '1',
    '23',
    'x_y',
    'É',
    ' ',
    '',
    '-',
    '_',
    'A',
  );
  // Shaped like a real region (prefix labels, a word, a number), with the odd character mixed in.
  const prefix = fc.constantFrom(
    'us',
    'eu',
    'cn',
    'eusc-de',
    'us-iso',
    'us-isob',
    'eu-isoe',
    'us-isof',
    'us-gov',
    'eusc',
    'xx',
  );
  const word = fc.stringMatching(/^[a-zA-Z0-9_É -]{0,6}$/);
  const shaped = fc.tuple(prefix, word, word).map(([p, w, n]) => `${p}-${w}-${n}`);
  const region = fc.oneof(
    fc.array(label, { maxLength: 6 }).map((labels) => labels.join('-')),
    shaped,
    fc.string({ maxLength: 70 }),
  );

  test('partitionOf', () => {
    fc.assert(
      fc.property(region, (r) => {
        const expected = (PARTITIONS_JSON.find(([, , global]) => global === r) ??
          PARTITIONS_JSON.find(([, regex]) => regex.test(r)) ??
          (PARTITIONS_JSON[0] as (typeof PARTITIONS_JSON)[number]))[0];
        assert.equal(partitionOf(r).name, expected, r);
      }),
      { numRuns: 20_000 },
    );
  });

  test('isValidRegionName', () => {
    fc.assert(
      fc.property(fc.oneof(region, fc.stringMatching(/^[a-zA-Z0-9-]{0,66}$/)), (r) => {
        assert.equal(isValidRegionName(r), VALID_REGION.test(r), JSON.stringify(r));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('resolveStsEndpoint errors', () => {
  function configError(settings: StsEndpointSettings): EksAuthError {
    let caught: unknown;
    try {
      resolveStsEndpoint(settings);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof EksAuthError, `expected an EksAuthError, got ${String(caught)}`);
    assert.equal(caught.exitCode, ExitCode.config);
    assert.ok(caught.hint, 'has a hint');
    return caught;
  }

  // botocore validate_region_name rejects the same names ("Provided region_name … doesn't match a supported format").
  for (const region of [
    '',
    'us_west_2',
    '-us-west-2',
    'us-west-2-',
    '123',
    'us west',
    'sts.evil.com/x',
    'a'.repeat(64),
  ]) {
    test(`rejects the region name ${JSON.stringify(region)} as a config error`, () => {
      const err = configError({ region });
      assert.equal(err.reason, 'invalid-region');
      assert.match(err.message, /is not a valid AWS region name/);
    });
  }

  for (const endpointUrl of [
    '127.0.0.1:4566',
    'localhost:4566',
    'ftp://127.0.0.1',
    'https://127.0.0.1/sts',
    'https://127.0.0.1/?a=b',
    'not a url',
  ]) {
    test(`rejects the endpoint override ${JSON.stringify(endpointUrl)}, naming the variable`, () => {
      const err = configError({ region: 'us-west-2', endpointUrl });
      assert.equal(err.reason, 'invalid-endpoint-url');
      assert.match(err.message, /^AWS_ENDPOINT_URL_STS /);
      assert.match(err.hint ?? '', /AWS_ENDPOINT_URL_STS/);
    });
  }

  test('names the source the caller gives for the override', () => {
    const err = configError({
      region: 'us-west-2',
      endpointUrl: 'sts',
      endpointUrlSource: 'endpoint_url in [profile dev]',
    });
    assert.match(err.message, /^endpoint_url in \[profile dev\] "sts" is not a URL$/);
    assert.match(err.hint ?? '', /set endpoint_url in \[profile dev\] to an http\(s\) URL/);
  });

  for (const endpointUrl of ['https://user:hunter2secret@127.0.0.1:4566', 'user:hunter2secret@127.0.0.1:4566']) {
    test(`does not repeat the password of the override ${endpointUrl.replace('hunter2secret', '…')}`, () => {
      const err = configError({ region: 'us-west-2', endpointUrl });
      assert.match(err.message, /^AWS_ENDPOINT_URL_STS /);
      assert.doesNotMatch(`${err.message} ${err.hint}`, /hunter2secret/);
    });
  }
});

test('an endpoint override with a query is refused without quoting the query (it may carry anything)', () => {
  assert.throws(
    () =>
      resolveStsEndpoint({
        region: 'us-east-1',
        endpointUrl: 'https://sts.example.com/?X-Private=s3cr3t-value',
        endpointUrlSource: 'AWS_ENDPOINT_URL_STS',
      }),
    (err: EksAuthError) => {
      assert.equal(err.exitCode, ExitCode.config);
      assert.match(
        err.message,
        /^AWS_ENDPOINT_URL_STS \(https:\/\/sts\.example\.com\/…\) must not have a path, query or fragment$/,
      );
      assert.ok(!err.message.includes('s3cr3t'));
      return true;
    },
  );
});

describe('the hand-read endpoint override agrees with URL', () => {
  // Pieces that URL treats specially: IPv4 spellings, hex, punycode, upper case, dots, ports with
  // leading zeros or out of range, userinfo, paths, IPv6, whitespace that URL strips.
  const plainPiece = fc.constantFrom(
    'a',
    'z',
    'sts',
    'localhost',
    '0',
    '1',
    '9',
    '00',
    '010',
    '127',
    '255',
    '256',
    '4566',
    '0x',
    '0x7f',
    '0xg',
    'f',
    '-',
  );
  const oddPiece = fc.constantFrom(
    'xn--',
    'xn--nxasmq6b',
    'A',
    'STS',
    '.',
    '..',
    ':',
    '::1',
    '[::1]',
    '@',
    'user:pw@',
    '/',
    '//',
    '?',
    '#',
    '%41',
    ' ',
    '\t',
    'é',
    '_',
  );
  const piece = fc.oneof({ arbitrary: plainPiece, weight: 6 }, { arbitrary: oddPiece, weight: 1 });
  const scheme = fc.oneof(
    { arbitrary: fc.constantFrom('http://', 'https://'), weight: 6 },
    { arbitrary: fc.constantFrom('HTTP://', 'ftp://', 'http:/', ''), weight: 1 },
  );
  const free = fc.tuple(scheme, fc.array(piece, { maxLength: 8 })).map(([s, parts]) => s + parts.join(''));
  // Closer to what people set: labels joined by dots, a port, a slash, each drawn from the pieces.
  const label = fc.array(piece, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));
  const shaped = fc
    .tuple(
      scheme,
      fc.array(label, { minLength: 1, maxLength: 5 }),
      fc.option(fc.constantFrom('0', '80', '443', '4566', '08', '65535', '65536', '')),
      fc.boolean(),
    )
    .map(([s, labels, port, slash]) => `${s}${labels.join('.')}${port === null ? '' : `:${port}`}${slash ? '/' : ''}`);
  const override = fc.oneof(free, shaped);

  function viaUrl(text: string): { protocol: string; host: string } | undefined {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return undefined;
    }
    const plain =
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.username === '' &&
      url.password === '' &&
      url.pathname === '/' &&
      url.search === '' &&
      url.hash === '';
    return plain ? { protocol: url.protocol, host: url.host } : undefined;
  }

  test('whenever the fast path answers, URL accepts the override and gives the same scheme and host', () => {
    let answered = 0;
    fc.assert(
      fc.property(override, (text) => {
        const fast = simpleHttpOrigin(text);
        if (fast === undefined) return;
        answered += 1;
        assert.deepEqual(fast, viaUrl(text), text);
      }),
      { numRuns: 20_000 },
    );
    // The generator must reach the fast path often enough for the property to mean something.
    assert.ok(answered > 2000, `only ${answered} generated overrides took the fast path`);
  });

  test('the usual overrides take the fast path', () => {
    for (const [text, host] of [
      ['http://127.0.0.1:4566', '127.0.0.1:4566'],
      ['https://sts.us-east-1.amazonaws.com/', 'sts.us-east-1.amazonaws.com'],
      [
        'https://vpce-0123456789abcdef0-abcdefgh.sts.us-east-1.vpce.amazonaws.com',
        'vpce-0123456789abcdef0-abcdefgh.sts.us-east-1.vpce.amazonaws.com',
      ],
      ['https://localhost:443', 'localhost'],
      ['http://localhost:80/', 'localhost'],
    ] as const) {
      assert.equal(simpleHttpOrigin(text)?.host, host, text);
      assert.equal(viaUrl(text)?.host, host, text);
    }
  });

  test('other spellings go to URL, which normalises or refuses them', () => {
    for (const text of [
      'http://127.1',
      'http://0x7f.0.0.1',
      'http://LOCALHOST',
      'http://[::1]:4566',
      'http://a:080',
      'http://a:',
      'http://xn--nxasmq6b',
      'http://a.b.',
      'http://u@a',
    ]) {
      assert.equal(simpleHttpOrigin(text), undefined, text);
    }
    assert.equal(resolveStsEndpoint({ region: 'us-east-1', endpointUrl: 'http://127.1:4566' }).host, '127.0.0.1:4566');
    assert.equal(
      resolveStsEndpoint({ region: 'us-east-1', endpointUrl: 'HTTP://LocalHost:80' }).url,
      'http://localhost',
    );
  });
});
