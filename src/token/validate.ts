/**
 * Token validation as the EKS side does it, and stricter. Pure: the token and the time in, either
 * the validated values (and the outgoing STS URL rebuilt from them alone) or an EksAuthError whose
 * `reason` names the failed check. The STS call itself is in verify.ts.
 *
 * The checks of aws-iam-authenticator's Verify run in its order (docs/reference.md §5); the ones it misses
 * (Version, algorithm, credential scope, signed headers, signature shape, dates in the future) run
 * after them. Case-variant duplicate query keys are rejected before anything reads the query
 * (CVE-2022-2385).
 */
import { hasAsciiControl } from '../util/ascii';
import { GLOBAL_HOST, partitionOf } from '../aws/endpoint';
import { EksAuthError, type ErrorReason, ExitCode } from '../errors';
import { decodeToken } from './encode';
// The signer's encoding and header list: the verifier must canonicalise exactly as it signs.
import { SIGNED_HEADERS, uriEncode } from './presign';

/** STS honours a presigned GetCallerIdentity URL for 15 minutes after X-Amz-Date, whatever X-Amz-Expires says. */
const PRESIGNED_URL_LIFETIME_SECONDS = 15 * 60;
/** How far in the future X-Amz-Date may be before the token is rejected (a client clock running fast). */
const DEFAULT_MAX_FUTURE_SKEW_SECONDS = 5 * 60;

const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const STS_API_VERSION = '2011-06-15';

// aws-iam-authenticator parameterWhitelist, lower-cased.
const ALLOWED_KEYS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

/** Options of validateToken. */
export interface ValidateOptions {
  now: Date;
  /**
   * Extra `host:port` origins accepted besides AWS STS hosts, for tests against a local STS
   * (`verify --sts-endpoint`). Nothing else widens the host list.
   */
  extraHosts?: readonly string[];
  maxFutureSkewSeconds?: number;
}

/** What a token says, once every check has passed. */
export interface ValidatedToken {
  /** The outgoing GET URL, rebuilt from the validated host and parameters only. */
  url: string;
  /** The STS host (`sts.us-west-2.amazonaws.com`, or an extra host:port). */
  host: string;
  /** The partition of an AWS STS host; undefined for an extra host. */
  partition: string | undefined;
  /** Region of the credential scope. */
  region: string;
  accessKeyId: string;
  signedAt: Date;
  /** signedAt + 15 minutes: when STS stops honouring the URL. */
  expiresAt: Date;
  hasSessionToken: boolean;
  /** Values that must never be printed (session token, signature), for scrubbing STS messages. */
  secrets: string[];
}

/** Builds the rejection for a failed check: exit code 6, `reason` = the check's stable name. */
export function tokenRejected(reason: ErrorReason, message: string, hint?: string): EksAuthError {
  return new EksAuthError(ExitCode.tokenRejected, `token rejected by check "${reason}": ${message}`, {
    reason,
    hint,
  });
}

/** Quotes untrusted text for a message: bounded length, non-printable and non-ASCII characters escaped. */
export function quote(text: string, max = 64): string {
  const escaped = text
    .slice(0, max)
    .replace(/[^\x20-\x7e]|["\\]/g, (c) =>
      c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return `"${escaped}${text.length > max ? '…' : ''}"`;
}

function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Percent-decodes like Go's url.QueryUnescape (`+` is a space); undefined when malformed. */
function queryUnescape(text: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return undefined;
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function rawQueryOf(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return '';
  const end = url.indexOf('#', start);
  return url.slice(start + 1, end < 0 ? undefined : end);
}

/**
 * CVE-2022-2385: a second, differently cased copy of a key (`X-Amz-Credential` and
 * `x-amz-credential`) made the verifier and STS read different values. Runs on the raw query before
 * anything else interprets it; exact repeats are left to the "multiple-values" check.
 */
function rejectCaseVariantDuplicates(url: string): void {
  const spellings = new Map<string, string>();
  for (const part of rawQueryOf(url).split(/[&;]/)) {
    if (part === '') continue;
    const rawKey = part.split('=', 1)[0] ?? '';
    const key = queryUnescape(rawKey) ?? rawKey;
    const lower = asciiLower(key);
    const seen = spellings.get(lower);
    if (seen !== undefined && seen !== key) {
      throw tokenRejected(
        'duplicate-key',
        `query parameter ${quote(key)} appears again as ${quote(seen)}; case-variant duplicates are how CVE-2022-2385 tokens smuggle a second value`,
      );
    }
    spellings.set(lower, key);
  }
}

interface StsHost {
  partition: string;
  /** Region the credential scope must name. */
  signingRegion: string;
}

const REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;
const STS_HOST = /^(?:sts|sts-fips)\.([a-z0-9-]+)\.([a-z0-9.-]+)$/;

/**
 * The partition and signing region of an AWS STS host, or undefined when the host is not exactly
 * one: lower-case ASCII, no port, no userinfo, no trailing dot, and the regional, FIPS or dual-stack
 * DNS suffix of the region's partition (the global host only in partition aws), as
 * aws-iam-authenticator's verifyHost accepts them.
 */
export function stsHostInfo(host: string): StsHost | undefined {
  if (host === GLOBAL_HOST) return { partition: 'aws', signingRegion: 'us-east-1' };
  const m = STS_HOST.exec(host);
  if (!m) return undefined;
  const [, region = '', suffix] = m;
  if (!REGION.test(region)) return undefined;
  const partition = partitionOf(region);
  if (suffix !== partition.dnsSuffix && suffix !== partition.dualStackDnsSuffix) return undefined;
  return { partition: partition.name, signingRegion: region };
}

interface ParsedUrl {
  host: string;
  rawQuery: string;
  /** Undefined for an extra (test) host. */
  sts: StsHost | undefined;
}

/** Go-like structure checks on the decoded URL, strict where Go would normalise. */
function parseUrl(url: string, extraHosts: readonly string[]): ParsedUrl {
  if (hasAsciiControl(url) || url.includes(' ')) {
    throw tokenRejected('url', 'the pre-signed URL contains whitespace or control characters');
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  if (!scheme) {
    throw tokenRejected('url', url.startsWith(':') ? 'missing protocol scheme' : 'the token does not hold a URL');
  }
  if (scheme[1] !== 'https') {
    throw tokenRejected('scheme', `unexpected scheme ${quote(scheme[1] ?? '')} in pre-signed URL (only https)`);
  }
  const rest = url.slice(scheme[0].length);
  if (!rest.startsWith('//')) throw tokenRejected('host', 'the pre-signed URL has no host');
  const afterSlashes = rest.slice(2);
  const hostEnd = afterSlashes.search(/[/?#]/);
  const host = hostEnd < 0 ? afterSlashes : afterSlashes.slice(0, hostEnd);
  const tail = hostEnd < 0 ? '' : afterSlashes.slice(hostEnd);

  let sts: StsHost | undefined;
  if (!extraHosts.includes(host)) {
    if (host.includes('@')) {
      throw tokenRejected(
        'host',
        `pre-signed URL host ${quote(host)} carries userinfo; the request would go to the host after "@"`,
      );
    }
    sts = stsHostInfo(host);
    if (!sts) {
      throw tokenRejected(
        'host',
        `unexpected hostname ${quote(host)} in pre-signed URL: not an AWS STS endpoint (exact lower-case sts[-fips].REGION.DOMAIN or sts.amazonaws.com, no port)`,
      );
    }
  }

  const pathEnd = tail.search(/[?#]/);
  const path = pathEnd < 0 ? tail : tail.slice(0, pathEnd);
  if (path !== '/') throw tokenRejected('path', `unexpected path ${quote(path)} in pre-signed URL (must be "/")`);
  const afterPath = tail.slice(path.length);
  if (afterPath.includes('#')) throw tokenRejected('url', 'the pre-signed URL has a fragment');
  return { host, rawQuery: afterPath.startsWith('?') ? afterPath.slice(1) : '', sts };
}

// Characters RFC 3986 allows in a query, minus the separators & and ; (Go rejects ;).
const QUERY_PART = /^[A-Za-z0-9\-._~%!$'()*+,=:@/?]*$/;

interface Param {
  key: string;
  value: string;
}

function parseQuery(rawQuery: string): Param[] {
  if (rawQuery === '') return [];
  const params: Param[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '' || !QUERY_PART.test(part)) {
      throw tokenRejected('query', 'malformed query parameter (empty, or a character a URL query cannot hold)');
    }
    const eq = part.indexOf('=');
    const key = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : part.slice(eq + 1));
    if (key === undefined || value === undefined) {
      throw tokenRejected('query', 'malformed query parameter (bad percent-encoding)');
    }
    params.push({ key, value });
  }
  return params;
}

/** Whitelist and one-value-each, in the order keys first appear; returns lower-case key → param. */
function indexParams(params: Param[]): Map<string, Param> {
  const byKey = new Map<string, Param>();
  for (const param of params) {
    const lower = asciiLower(param.key);
    if (!ALLOWED_KEYS.has(lower)) {
      if (lower === CLUSTER_ID_HEADER) {
        throw tokenRejected(
          'unknown-parameter',
          `${CLUSTER_ID_HEADER} is a query parameter; it must be a signed header, or the cluster binding is not signed`,
        );
      }
      throw tokenRejected('unknown-parameter', `non-whitelisted query parameter ${quote(param.key)}`);
    }
    if (byKey.has(lower)) {
      throw tokenRejected('multiple-values', `query parameter ${quote(param.key)} has multiple values`);
    }
    byKey.set(lower, param);
  }
  return byKey;
}

const DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses `yyyymmddTHHMMSSZ` strictly (a real calendar time), or undefined. */
function parseAmzDate(text: string): Date | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const roundTrip =
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s;
  return roundTrip ? date : undefined;
}

/** A duration for people: `45s`, `3m 20s`, `2h 5m`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h${m ? ` ${m}m` : ''}`;
}

// AWS access key ids are 16-128 upper-case alphanumerics; test keys (AKIDEXAMPLE) are shorter.
const ACCESS_KEY_ID = /^[A-Za-z0-9]{1,128}$/;

/**
 * Runs every check before the STS call and returns the validated token. Throws EksAuthError with
 * exit code 6 and a `reason` naming the failed check; messages never contain the token, the
 * signature or the session token.
 */
export function validateToken(token: string, options: ValidateOptions): ValidatedToken {
  const now = options.now;
  const extraHosts = options.extraHosts ?? [];
  const maxFutureSkew = options.maxFutureSkewSeconds ?? DEFAULT_MAX_FUTURE_SKEW_SECONDS;

  let url: string;
  try {
    url = decodeToken(token);
  } catch (err) {
    if (err instanceof EksAuthError && err.reason) {
      throw tokenRejected(
        err.reason,
        err.message,
        'a token is k8s-aws-v1. followed by unpadded base64url, at most 4096 bytes',
      );
    }
    throw err;
  }

  rejectCaseVariantDuplicates(url);

  // aws-iam-authenticator's checks, in its order.
  const { host, rawQuery, sts } = parseUrl(url, extraHosts);
  const params = indexParams(parseQuery(rawQuery));
  const get = (key: string): string | undefined => params.get(key)?.value;

  if (get('action') !== 'GetCallerIdentity') {
    throw tokenRejected(
      'action',
      `unexpected action ${quote(get('action') ?? '')} in pre-signed URL (must be GetCallerIdentity)`,
    );
  }
  const signedHeaders = get('x-amz-signedheaders') ?? '';
  if (!signedHeaders.split(';').some((h) => asciiLower(h) === CLUSTER_ID_HEADER)) {
    throw tokenRejected(
      'cluster-id-not-signed',
      `client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL`,
      'the token is not bound to a cluster; generate it with eks-auth token or aws eks get-token',
    );
  }
  const expires = get('x-amz-expires') ?? '';
  if (!/^(0|[1-9]\d{0,2})$/.test(expires) || Number(expires) > PRESIGNED_URL_LIFETIME_SECONDS) {
    throw tokenRejected('expires', `invalid X-Amz-Expires ${quote(expires)} in pre-signed URL (an integer 0-900)`);
  }
  const dateText = get('x-amz-date');
  if (dateText === undefined || dateText === '') {
    throw tokenRejected('date-missing', 'X-Amz-Date parameter must be present in pre-signed URL');
  }
  const signedAt = parseAmzDate(dateText);
  if (!signedAt) {
    throw tokenRejected('date-format', `error parsing X-Amz-Date ${quote(dateText)} (format yyyymmddTHHMMSSZ)`);
  }
  const expiresAt = new Date(signedAt.getTime() + PRESIGNED_URL_LIFETIME_SECONDS * 1000);
  const age = (now.getTime() - signedAt.getTime()) / 1000;
  if (now.getTime() > expiresAt.getTime()) {
    throw tokenRejected(
      'expired',
      `X-Amz-Date ${dateText} is ${formatDuration(age)} old; STS honours a pre-signed URL for 15 minutes`,
      "get a fresh token (kubectl does this by itself when the exec plugin reports the right expiry); check this machine's clock",
    );
  }

  // Checks aws-iam-authenticator misses; STS would refuse most of these, but later and less clearly.
  if (get('version') !== STS_API_VERSION) {
    throw tokenRejected('version', `Version ${quote(get('version') ?? '')} is not ${STS_API_VERSION}`);
  }
  if (get('x-amz-algorithm') !== ALGORITHM) {
    throw tokenRejected('algorithm', `X-Amz-Algorithm ${quote(get('x-amz-algorithm') ?? '')} is not ${ALGORITHM}`);
  }
  const credential = (get('x-amz-credential') ?? '').split('/');
  const [accessKeyId = '', scopeDate, region = '', service, terminator] = credential;
  if (credential.length !== 5 || !ACCESS_KEY_ID.test(accessKeyId) || terminator !== 'aws4_request') {
    throw tokenRejected('credential', 'X-Amz-Credential is not ACCESS_KEY_ID/yyyymmdd/REGION/sts/aws4_request');
  }
  if (scopeDate !== dateText.slice(0, 8)) {
    throw tokenRejected(
      'credential',
      `the credential scope date ${quote(scopeDate ?? '')} is not the day of X-Amz-Date`,
    );
  }
  if (service !== 'sts') {
    throw tokenRejected('credential-scope', `the credential scope names service ${quote(service ?? '')}, not sts`);
  }
  if (sts ? region !== sts.signingRegion : !REGION.test(region)) {
    throw tokenRejected(
      'credential-scope',
      `the credential scope region ${quote(region)} does not match host ${host}${sts ? ` (signed for ${sts.signingRegion})` : ''}`,
    );
  }
  if (signedHeaders !== SIGNED_HEADERS) {
    const names = signedHeaders.split(';');
    if (!names.includes('host')) {
      throw tokenRejected('host-not-signed', 'the host header is not signed');
    }
    throw tokenRejected(
      'signed-headers',
      `X-Amz-SignedHeaders ${quote(signedHeaders)} is not ${quote(SIGNED_HEADERS)}; a verifier can only replay those two headers`,
    );
  }
  const signature = get('x-amz-signature') ?? '';
  if (!/^[0-9a-f]{64}$/.test(signature)) {
    throw tokenRejected('signature', 'X-Amz-Signature is missing or not 64 lower-case hex digits');
  }
  const sessionToken = get('x-amz-security-token');
  if (sessionToken === '') {
    throw tokenRejected('security-token', 'X-Amz-Security-Token is present but empty');
  }
  if (signedAt.getTime() - now.getTime() > maxFutureSkew * 1000) {
    throw tokenRejected(
      'date-future',
      `X-Amz-Date ${dateText} is ${formatDuration(age)} in the future`,
      'the clock of the machine that made the token (or this one) is wrong; sync it with NTP',
    );
  }

  // CVE-2022-2385: the outgoing request is rebuilt from the validated values only.
  const query = [...params.values()].map((p) => `${uriEncode(p.key)}=${uriEncode(p.value)}`).join('&');
  return {
    url: `https://${host}/?${query}`,
    host,
    partition: sts?.partition,
    region,
    accessKeyId,
    signedAt,
    expiresAt,
    hasSessionToken: sessionToken !== undefined,
    secrets: [signature, ...(sessionToken === undefined ? [] : [sessionToken])],
  };
}
