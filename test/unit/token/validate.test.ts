import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveStsEndpoint } from '../../../src/aws/endpoint';
import { EksAuthError } from '../../../src/errors';
import { encodeToken } from '../../../src/token/encode';
import { presignGetCallerIdentity } from '../../../src/token/presign';
import { stsHostInfo, validateToken, type ValidateOptions } from '../../../src/token/validate';

// docs/reference.md §1, vector 2 (botocore): AKIDEXAMPLE, us-west-2, 20240102T030405Z, cluster demo.
const DATE = '20240102T030405Z';
const SIGNED_AT = new Date('2024-01-02T03:04:05Z');
const NOW = new Date('2024-01-02T03:05:00Z');
const SIG = '6807fffdad3d8e5407243c91f91caeb5cab5c5491413a9926ebc1a9456a2eb80';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLE/session+token=';

const toToken = (url: string): string => `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url')}`;
const at = (seconds: number): Date => new Date(SIGNED_AT.getTime() + seconds * 1000);

type Params = [string, string][];
const BASE: Params = [
  ['Action', 'GetCallerIdentity'],
  ['Version', '2011-06-15'],
  ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
  ['X-Amz-Credential', 'AKIDEXAMPLE%2F20240102%2Fus-west-2%2Fsts%2Faws4_request'],
  ['X-Amz-Date', DATE],
  ['X-Amz-Expires', '60'],
  ['X-Amz-SignedHeaders', 'host%3Bx-k8s-aws-id'],
  ['X-Amz-Signature', SIG],
];
function urlOf(params: Params, host = 'sts.us-west-2.amazonaws.com'): string {
  return `https://${host}/?${params.map(([k, v]) => `${k}=${v}`).join('&')}`;
}
const set = (key: string, value: string, params = BASE): Params => params.map(([k, v]) => [k, k === key ? value : v]);
const drop = (key: string, params = BASE): Params => params.filter(([k]) => k !== key);
const add = (key: string, value: string, params = BASE): Params => [...params, [key, value]];
const BASE_URL = urlOf(BASE);

/** The botocore-order token of docs/reference.md §1, vector 2, made by the project's presigner. */
function presigned(
  options: { region?: string; sessionToken?: string; signingDate?: Date; clusterId?: string } = {},
): string {
  return presignGetCallerIdentity({
    credentials: {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: SECRET,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    },
    endpoint: resolveStsEndpoint({ region: options.region ?? 'us-west-2' }),
    clusterId: options.clusterId ?? 'demo',
    signingDate: options.signingDate ?? SIGNED_AT,
  });
}

/** Asserts that validation fails the named check; returns the error. */
function rejected(
  token: string,
  reason: string,
  message?: RegExp,
  options: Partial<ValidateOptions> = {},
): EksAuthError {
  let caught: unknown;
  try {
    validateToken(token, { now: NOW, ...options });
  } catch (err) {
    caught = err;
  }
  assert.ok(
    caught instanceof EksAuthError,
    `expected rejection "${reason}", got ${caught === undefined ? 'acceptance' : String(caught)}`,
  );
  assert.equal(caught.reason, reason, caught.message);
  assert.equal(caught.exitCode, 6);
  assert.match(caught.message, new RegExp(`^token rejected by check "${reason}": `));
  if (message) assert.match(caught.message, message);
  return caught;
}

function rejects(token: string, reason: string, message?: RegExp, options: Partial<ValidateOptions> = {}): void {
  rejected(token, reason, message, options);
}

describe('aws-iam-authenticator TestVerifyTokenPreSTSValidations, case for case', () => {
  // pkg/token/token_test.go; each row: its input, its expected error text, our reason. Its URLs use
  // `now` as X-Amz-Date; here that is DATE, 55 s before NOW.
  test('4097 bytes: "token is too large"', () => rejects('\0'.repeat(4097), 'size', /larger than 4096 bytes/));
  test('k8s-aws-v2. prefix: "missing expected prefix"', () =>
    rejects('k8s-aws-v2.asdfasdfa', 'prefix', /k8s-aws-v1\./));
  test('k8s-aws-v1.decodingerror: "illegal base64 data"', () => rejects('k8s-aws-v1.decodingerror', 'base64'));
  test(':ab:cd.af:/asda: "missing protocol scheme"', () =>
    rejects(toToken(':ab:cd.af:/asda'), 'url', /missing protocol scheme/));
  test('http://: "unexpected scheme"', () => rejects(toToken('http://'), 'scheme', /unexpected scheme "http"/));
  test('https://google.com: unexpected hostname', () =>
    rejects(toToken('https://google.com'), 'host', /unexpected hostname "google\.com"/));
  test('https://sts.cn-north-1.amazonaws.com.cn/abc: "unexpected path"', () =>
    rejects(toToken('https://sts.cn-north-1.amazonaws.com.cn/abc'), 'path', /unexpected path "\/abc"/));
  test('https://sts.amazonaws.com/abc: "unexpected path"', () =>
    rejects(toToken('https://sts.amazonaws.com/abc'), 'path'));
  test('?NoInWhiteList=abc: "non-whitelisted query parameter"', () =>
    rejects(
      toToken('https://sts.amazonaws.com/?NoInWhiteList=abc'),
      'unknown-parameter',
      /non-whitelisted query parameter "NoInWhiteList"/,
    ));
  test('?action=get&action=post: "multiple values not supported"', () =>
    rejects(toToken('https://sts.amazonaws.com/?action=get&action=post'), 'multiple-values', /multiple values/));
  test('?action=NotGetCallerIdenity: "unexpected action parameter"', () =>
    rejects(
      toToken('https://sts.amazonaws.com/?action=NotGetCallerIdenity'),
      'action',
      /unexpected action "NotGetCallerIdenity"/,
    ));
  test('signed headers abc;x-k8s-aws-i;def: "client did not sign the x-k8s-aws-id header"', () =>
    rejects(
      toToken('https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=abc%3bx-k8s-aws-i%3bdef'),
      'cluster-id-not-signed',
      /did not sign the x-k8s-aws-id header/,
    ));
  test('x-amz-expires=9999999: "invalid X-Amz-Expires parameter"', () =>
    rejects(
      toToken(
        `https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=${DATE}&x-amz-expires=9999999`,
      ),
      'expires',
      /invalid X-Amz-Expires "9999999"/,
    ));
  test('x-amz-date=xxxxxxx: "error parsing X-Amz-Date parameter"', () =>
    rejects(
      toToken(
        'https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=xxxxxxx&x-amz-expires=60',
      ),
      'date-format',
      /error parsing X-Amz-Date "xxxxxxx"/,
    ));
  test('x-amz-date=19900422T010203Z: "X-Amz-Date parameter is expired"', () =>
    rejects(
      toToken(
        'https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=19900422T010203Z&x-amz-expires=60',
      ),
      'expired',
      /X-Amz-Date 19900422T010203Z is .* old/,
    ));
  test('x-amz-expires=60%gh: "malformed query parameter"', () =>
    rejects(
      toToken(
        `https://sts.sa-east-1.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=${DATE}&x-amz-expires=60%gh`,
      ),
      'query',
      /malformed query parameter/,
    ));
  for (const host of [
    'sts.us-east-2.amazonaws.com',
    'sts.ap-northeast-2.amazonaws.com',
    'sts.ca-central-1.amazonaws.com',
    'sts.eu-west-1.amazonaws.com',
    'sts.sa-east-1.amazonaws.com',
  ]) {
    test(`its accepted URL on ${host} passes every check it makes, then fails our first extra one (no Version)`, () =>
      rejects(
        toToken(
          `https://${host}/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=${DATE}&x-amz-expires=60`,
        ),
        'version',
      ));
  }
  test('a second x-amz-credential in another case: "duplicate query parameter found"', () =>
    rejects(
      toToken(
        `https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAAAAAAAAAAAAAAAAA%2F20220601%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=${DATE}&X-Amz-Expires=900&X-Amz-Security-Token=XXXXXXXXXXXXX&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&x-amz-credential=eve&X-Amz-Signature=999999999999999999`,
      ),
      'duplicate-key',
      /"x-amz-credential" appears again as "X-Amz-Credential"/,
    ));
});

describe('STS hosts (aws-iam-authenticator TestSTSEndpoints, host decides the partition)', () => {
  const accepted: [string, string, string][] = [
    ['sts.amazonaws.com', 'aws', 'us-east-1'],
    ['sts.us-east-1.amazonaws.com', 'aws', 'us-east-1'],
    ['sts.us-west-2.amazonaws.com', 'aws', 'us-west-2'],
    ['sts.eu-north-1.amazonaws.com', 'aws', 'eu-north-1'],
    ['sts-fips.us-west-2.amazonaws.com', 'aws', 'us-west-2'],
    ['sts.us-west-2.api.aws', 'aws', 'us-west-2'],
    ['sts.cn-north-1.amazonaws.com.cn', 'aws-cn', 'cn-north-1'],
    ['sts.cn-northwest-1.amazonaws.com.cn', 'aws-cn', 'cn-northwest-1'],
    ['sts.cn-north-1.api.amazonwebservices.com.cn', 'aws-cn', 'cn-north-1'],
    ['sts.us-gov-east-1.amazonaws.com', 'aws-us-gov', 'us-gov-east-1'],
    ['sts.us-iso-east-1.c2s.ic.gov', 'aws-iso', 'us-iso-east-1'],
    ['sts.us-isob-east-1.sc2s.sgov.gov', 'aws-iso-b', 'us-isob-east-1'],
    ['sts.eu-isoe-west-1.cloud.adc-e.uk', 'aws-iso-e', 'eu-isoe-west-1'],
    ['sts.us-isof-south-1.csp.hci.ic.gov', 'aws-iso-f', 'us-isof-south-1'],
    ['sts.eusc-de-east-1.amazonaws.eu', 'aws-eusc', 'eusc-de-east-1'],
  ];
  for (const [host, partition, region] of accepted) {
    test(`accepts ${host} (${partition}, scope ${region})`, () =>
      assert.deepEqual(stsHostInfo(host), { partition, signingRegion: region }));
  }
  const refused: [string, string][] = [
    ['sts.amazonaws.com.cn', 'no global host outside partition aws'],
    ['website.amazonaws.com', 'not STS'],
    ['sts.cn-north-1.api.aws', 'cross partition'],
    ['sts.us-iso-east-1.amazonaws.com.cn', 'cross partition'],
    ['sts.us-isob-east-1.amazonaws.com.cn', 'cross partition'],
    ['sts.cn-north-1.amazonaws.com', 'cn region on the aws suffix'],
    ['sts.us-west-2.amazonaws.com.cn', 'aws region on the cn suffix'],
    // Stricter than the authenticator, which lets the SDK fall back to the commercial format.
    ['sts.not-a-region.amazonaws.com', 'not a region name'],
    ['sts.default-region.amazonaws.com', 'not a region name'],
  ];
  for (const [host, why] of refused) {
    test(`refuses ${host}: ${why}`, () => {
      assert.equal(stsHostInfo(host), undefined);
      rejects(toToken(urlOf(BASE, host)), 'host');
    });
  }
});

describe('valid tokens', () => {
  test('accepts a token made by the presigner (docs/reference.md §1, vector 2) and rebuilds its URL byte for byte', () => {
    const url = presigned();
    assert.equal(url, BASE_URL); // the presigner reproduces the signature of docs/reference.md §1
    const v = validateToken(encodeToken(url), { now: NOW });
    assert.equal(v.url, url);
    assert.equal(v.host, 'sts.us-west-2.amazonaws.com');
    assert.equal(v.partition, 'aws');
    assert.equal(v.region, 'us-west-2');
    assert.equal(v.accessKeyId, 'AKIDEXAMPLE');
    assert.deepEqual(v.signedAt, SIGNED_AT);
    assert.deepEqual(v.expiresAt, at(900));
    assert.equal(v.hasSessionToken, false);
  });

  test("accepts aws-iam-authenticator's own vector (docs/reference.md §1, vector 1, Go SDK sorted order)", () => {
    const url =
      'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce';
    assert.equal(validateToken(toToken(url), { now: new Date('2023-04-28T00:10:00Z') }).url, url);
  });

  test('accepts a session-token token in botocore, Go SDK and smithy parameter orders, keeping each order', () => {
    const url = presigned({ sessionToken: SESSION_TOKEN });
    const params = new URL(url).search
      .slice(1)
      .split('&')
      .map((p) => p.split('=', 2) as [string, string]);
    const tokenParam = params.find(([k]) => k === 'X-Amz-Security-Token') as [string, string];
    const rest = params.filter(([k]) => k !== 'X-Amz-Security-Token');
    const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : 1));
    for (const order of [params, sorted, [tokenParam, ...rest]]) {
      const v = validateToken(toToken(urlOf(order)), { now: NOW });
      assert.equal(v.url, urlOf(order));
      assert.equal(v.hasSessionToken, true);
      assert.ok(v.secrets.includes(SESSION_TOKEN));
    }
  });

  test('accepts the global host when the scope is us-east-1', () => {
    const url = presignGetCallerIdentity({
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET },
      endpoint: resolveStsEndpoint({ region: 'us-west-2', stsRegionalEndpoints: 'legacy' }),
      clusterId: 'demo',
      signingDate: SIGNED_AT,
    });
    const v = validateToken(encodeToken(url), { now: NOW });
    assert.equal(v.host, 'sts.amazonaws.com');
    assert.equal(v.region, 'us-east-1');
  });

  for (const region of ['cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'eu-isoe-west-1']) {
    test(`accepts a presigned token for ${region}`, () => {
      assert.equal(validateToken(encodeToken(presigned({ region })), { now: NOW }).region, region);
    });
  }

  test('rebuilds a loosely encoded URL in canonical RFC 3986 form with the same keys and values', () => {
    const loose = urlOf(
      set('X-Amz-Credential', 'AKIDEXAMPLE/20240102/us-west-2/sts/aws4_request', set('Action', '%47etCallerIdentity')),
    );
    assert.equal(validateToken(toToken(loose), { now: NOW }).url, BASE_URL);
  });

  test('keeps the key spelling of the token, since SigV4 signs keys as sent', () => {
    const lower = urlOf(BASE.map(([k, v]) => [k.toLowerCase(), v]));
    assert.equal(validateToken(toToken(lower), { now: NOW }).url, lower);
  });

  test('is honoured until exactly 15 minutes after X-Amz-Date, and from up to 5 minutes before it', () => {
    validateToken(toToken(BASE_URL), { now: at(900) });
    rejects(toToken(BASE_URL), 'expired', /15m 1s old/, { now: at(901) });
    validateToken(toToken(BASE_URL), { now: at(-300) });
    rejects(toToken(BASE_URL), 'date-future', /5m 1s in the future/, { now: at(-301) });
    validateToken(toToken(BASE_URL), { now: at(-600), maxFutureSkewSeconds: 600 });
  });
});

describe('hostile tokens: CVE-2022-2385 family', () => {
  const variants: [string, string][] = [
    ['action', 'GetCallerIdentity'],
    ['ACTION', 'GetSessionToken'],
    ['x-amz-credential', 'EVE%2F20240102%2Fus-west-2%2Fsts%2Faws4_request'],
    ['x-amz-date', '20991231T000000Z'],
    ['X-AMZ-DATE', DATE],
    ['x-amz-signature', SIG],
    ['version', '2011-06-15'],
    ['x-amz-signedheaders', 'host'],
  ];
  for (const [key, value] of variants) {
    test(`rejects a case-variant duplicate ${key} (before any other check reads the query)`, () =>
      rejects(toToken(urlOf(add(key, value))), 'duplicate-key'));
  }

  test('rejects a case-variant duplicate even on a host that would be refused anyway: duplicates come first', () =>
    rejects(toToken(`https://evil.example/?Action=GetCallerIdentity&action=x`), 'duplicate-key'));

  test('rejects an X-Amz-Security-Token smuggled in another case next to the signed one', () => {
    const params = add('X-Amz-Security-Token', 'SIGNEDTOKEN');
    rejects(toToken(urlOf(add('x-amz-security-token', 'SMUGGLED', params))), 'duplicate-key');
  });

  test('rejects a percent-encoded spelling of a key that is already present as "multiple-values"', () =>
    rejects(toToken(urlOf(add('%41ction', 'GetCallerIdentity'))), 'multiple-values'));

  test('rejects x-k8s-aws-id as a query parameter: the cluster binding must be a signed header', () =>
    rejects(toToken(urlOf(add('x-k8s-aws-id', 'other'))), 'unknown-parameter', /must be a signed header/));

  test('rejects a key that lower-cases to a whitelisted one only through Unicode (Kelvin sign)', () =>
    rejects(toToken(urlOf(add('%E2%84%AA', 'x'))), 'unknown-parameter'));
});

describe('hostile tokens: host tricks', () => {
  const hosts: [string, string][] = [
    ['https://sts.amazonaws.com@evil.com/?', 'userinfo'],
    ['https://evil.com@sts.amazonaws.com/?', 'userinfo'],
    ['https://sts.amazonaws.com:443/?', 'explicit default port'],
    ['https://sts.amazonaws.com:8443/?', 'port'],
    ['https://sts.amazonaws.com./?', 'trailing dot'],
    ['https://STS.AMAZONAWS.COM/?', 'upper case'],
    ['https://\u0455ts.amazonaws.com/?', 'Cyrillic look-alike'],
    ['https://xn--ts-gmc.amazonaws.com/?', 'punycode'],
    ['https://%73ts.amazonaws.com/?', 'percent-encoded host'],
    ['https://sts.amazonaws.com\\@evil.com/?', 'backslash userinfo'],
    ['https://evil.com\\.sts.amazonaws.com/?', 'backslash'],
    ['https://sts.amazonaws.com.evil.com/?', 'suffix'],
    ['https://evilsts.amazonaws.com/?', 'prefix'],
    ['https://54.239.28.85/?', 'IP address'],
    ['https://[::1]/?', 'IPv6 literal'],
    ['https:sts.amazonaws.com/?', 'no //'],
    ['https:///sts.amazonaws.com/?', 'empty authority'],
  ];
  for (const [prefix, why] of hosts) {
    test(`rejects ${JSON.stringify(prefix)} (${why})`, () => {
      const err = rejected(toToken(`${prefix}${BASE_URL.split('?')[1] ?? ''}`), 'host');
      assert.doesNotMatch(err.message, /[^\x20-\x7e…]/, 'the message escapes non-ASCII');
    });
  }

  test('rejects HTTPS in capitals: the scheme must be exactly https', () =>
    rejects(toToken(BASE_URL.replace('https', 'HTTPS')), 'scheme'));

  test('--sts-endpoint adds exactly one host:port and nothing else', () => {
    const local = urlOf(
      set('X-Amz-Credential', 'AKIDEXAMPLE%2F20240102%2Fus-east-1%2Fsts%2Faws4_request'),
      '127.0.0.1:8443',
    );
    rejects(toToken(local), 'host');
    const v = validateToken(toToken(local), { now: NOW, extraHosts: ['127.0.0.1:8443'] });
    assert.equal(v.url, local);
    assert.equal(v.partition, undefined);
    rejects(toToken(local.replace('8443', '8444')), 'host', undefined, { extraHosts: ['127.0.0.1:8443'] });
    rejects(toToken(local.replace('127.0.0.1:8443', 'user@127.0.0.1:8443')), 'host', /userinfo/, {
      extraHosts: ['127.0.0.1:8443'],
    });
    rejects(
      toToken(
        urlOf(set('X-Amz-Credential', 'AKIDEXAMPLE%2F20240102%2Fnowhere%2Fsts%2Faws4_request'), '127.0.0.1:8443'),
      ),
      'credential-scope',
      undefined,
      {
        extraHosts: ['127.0.0.1:8443'],
      },
    );
  });
});

describe('hostile tokens: encoding, size and structure', () => {
  test('rejects padding, the +/ alphabet and a non-canonical final character', () => {
    const body = Buffer.from(BASE_URL).toString('base64url');
    rejects(`k8s-aws-v1.${Buffer.from(BASE_URL).toString('base64')}`, 'base64');
    rejects(`k8s-aws-v1.${body}==`, 'base64');
    // "ab" is YWI; YWJ decodes to the same bytes with stray low bits, which Node would accept.
    assert.notEqual(rejectsAny('k8s-aws-v1.YWI'), 'base64');
    rejects('k8s-aws-v1.YWJ', 'base64', /not canonical/);
  });

  test('accepts exactly 4096 bytes at the size check and refuses 4097', () => {
    const padded = (n: number) => `k8s-aws-v1.${'A'.repeat(n - 11)}`;
    assert.notEqual(rejectsAny(padded(4096)), 'size');
    rejects(padded(4097), 'size');
    rejects(toToken(urlOf(add('X-Amz-Security-Token', 'a'.repeat(3100)))), 'size');
  });

  const structural: [string, string, string][] = [
    ['a fragment', `${BASE_URL}#frag`, 'url'],
    ['a space', BASE_URL.replace('Action=', 'Action= '), 'url'],
    ['a NUL', BASE_URL.replace('Action=', 'Action=\0'), 'url'],
    ['a CR/LF header injection', BASE_URL.replace('Action=', 'Action=\r\nx-k8s-aws-id: other'), 'url'],
    ['a semicolon separator', BASE_URL.replace('&Version', ';Version'), 'query'],
    ['an empty parameter', BASE_URL.replace('&Version', '&&Version'), 'query'],
    [
      'raw non-ASCII in the query',
      BASE_URL.replace('Action=GetCallerIdentity', 'Action=GetCallerIdentit\u00ff'),
      'query',
    ],
    ['an overlong UTF-8 escape', BASE_URL.replace('Action=GetCallerIdentity', 'Action=%C0%AF'), 'query'],
    ['a NUL escape in Action', BASE_URL.replace('Action=GetCallerIdentity', 'Action=GetCallerIdentity%00'), 'action'],
    ['a + (space) in Action', BASE_URL.replace('Action=GetCallerIdentity', 'Action=GetCaller+Identity'), 'action'],
    ['path //', BASE_URL.replace('.com/?', '.com//?'), 'path'],
    ['path /%2F', BASE_URL.replace('.com/?', '.com/%2F?'), 'path'],
    ['path /.', BASE_URL.replace('.com/?', '.com/.?'), 'path'],
    ['no path', BASE_URL.replace('.com/?', '.com?'), 'path'],
  ];
  for (const [what, url, reason] of structural) {
    test(`rejects ${what} as "${reason}"`, () => rejects(toToken(url), reason));
  }

  test('decodes the URL as UTF-8 without throwing on invalid bytes', () => {
    const bad = Buffer.concat([Buffer.from('https://sts.amazonaws.com/?Action='), Buffer.from([0xff, 0xfe])]);
    rejects(`k8s-aws-v1.${bad.toString('base64url')}`, 'query');
  });
});

function rejectsAny(token: string): string | undefined {
  try {
    validateToken(token, { now: NOW });
    return undefined;
  } catch (err) {
    assert.ok(err instanceof EksAuthError);
    return err.reason;
  }
}

describe('hostile tokens: parameter values', () => {
  const cases: [string, Params, string][] = [
    ['X-Amz-Expires +60', set('X-Amz-Expires', '%2B60'), 'expires'],
    ['X-Amz-Expires 060', set('X-Amz-Expires', '060'), 'expires'],
    ['X-Amz-Expires -1', set('X-Amz-Expires', '-1'), 'expires'],
    ['X-Amz-Expires 901', set('X-Amz-Expires', '901'), 'expires'],
    ['no X-Amz-Expires', drop('X-Amz-Expires'), 'expires'],
    ['no X-Amz-Date', drop('X-Amz-Date'), 'date-missing'],
    ['X-Amz-Date 30 February', set('X-Amz-Date', '20240230T000000Z'), 'date-format'],
    ['X-Amz-Date without Z', set('X-Amz-Date', '20240102T030405'), 'date-format'],
    ['X-Amz-Date lower-case z', set('X-Amz-Date', '20240102T030405z'), 'date-format'],
    ['X-Amz-Date 25:00', set('X-Amz-Date', '20240102T250000Z'), 'date-format'],
    ['X-Amz-Date an hour ahead', set('X-Amz-Date', '20240102T040405Z'), 'date-future'],
    ['no Version', drop('Version'), 'version'],
    ['Version 2011-06-16', set('Version', '2011-06-16'), 'version'],
    ['SigV4a', set('X-Amz-Algorithm', 'AWS4-ECDSA-P256-SHA256'), 'algorithm'],
    ['no X-Amz-Algorithm', drop('X-Amz-Algorithm'), 'algorithm'],
    ['no X-Amz-Credential', drop('X-Amz-Credential'), 'credential'],
    [
      'a credential with six parts',
      set('X-Amz-Credential', 'AKID%2Fx%2F20240102%2Fus-west-2%2Fsts%2Faws4_request'),
      'credential',
    ],
    [
      'a credential without aws4_request',
      set('X-Amz-Credential', 'AKIDEXAMPLE%2F20240102%2Fus-west-2%2Fsts%2Faws4'),
      'credential',
    ],
    [
      'a credential scope of another day',
      set('X-Amz-Credential', 'AKIDEXAMPLE%2F20240101%2Fus-west-2%2Fsts%2Faws4_request'),
      'credential',
    ],
    [
      'an access key id with symbols',
      set('X-Amz-Credential', 'AKID-EXAMPLE%2F20240102%2Fus-west-2%2Fsts%2Faws4_request'),
      'credential',
    ],
    // aws-iam-authenticator's own test URLs carry an s3 scope; STS would refuse it.
    [
      'a credential scope for s3',
      set('X-Amz-Credential', 'AKIDEXAMPLE%2F20240102%2Fus-west-2%2Fs3%2Faws4_request'),
      'credential-scope',
    ],
    [
      'a credential scope for another region',
      set('X-Amz-Credential', 'AKIDEXAMPLE%2F20240102%2Fus-east-1%2Fsts%2Faws4_request'),
      'credential-scope',
    ],
    ['only x-k8s-aws-id signed', set('X-Amz-SignedHeaders', 'x-k8s-aws-id'), 'host-not-signed'],
    [
      'an extra signed header',
      set('X-Amz-SignedHeaders', 'host%3Bx-amz-content-sha256%3Bx-k8s-aws-id'),
      'signed-headers',
    ],
    ['signed headers in upper case', set('X-Amz-SignedHeaders', 'host%3BX-K8S-AWS-ID'), 'signed-headers'],
    ['signed headers unsorted', set('X-Amz-SignedHeaders', 'x-k8s-aws-id%3Bhost'), 'signed-headers'],
    ['no X-Amz-Signature', drop('X-Amz-Signature'), 'signature'],
    ['an upper-case signature', set('X-Amz-Signature', SIG.toUpperCase()), 'signature'],
    ['a short signature', set('X-Amz-Signature', SIG.slice(2)), 'signature'],
    ['an empty X-Amz-Security-Token', add('X-Amz-Security-Token', ''), 'security-token'],
  ];
  for (const [what, params, reason] of cases) {
    test(`rejects ${what} as "${reason}"`, () => rejects(toToken(urlOf(params)), reason));
  }

  test('never puts the signature, the session token or the token itself in a message', () => {
    const params = add('X-Amz-Security-Token', encodeURIComponent(SESSION_TOKEN));
    for (const p of [
      set('X-Amz-Expires', '901', params),
      set('X-Amz-Signature', `${SIG}00`, params),
      set('Version', 'x', params),
    ]) {
      const token = toToken(urlOf(p));
      const err = rejected(token, rejectsAny(token) ?? '');
      for (const secret of [SIG, SESSION_TOKEN, encodeURIComponent(SESSION_TOKEN), token])
        assert.ok(!err.message.includes(secret));
    }
  });
});

/** A recording fake of the STS GET. */
