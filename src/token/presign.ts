/**
 * The SigV4 presigner for the one request an EKS token is: `GET /?Action=GetCallerIdentity` with the
 * signed header `x-k8s-aws-id`. Hand-written because it runs on every kubectl call, on the plain-JS
 * SHA-256 in sha256.ts (loading node:crypto alone costs ~3 ms of each start); pinned by known
 * answers, by @smithy/signature-v4 on random inputs and by `aws eks get-token`.
 */
import { hmacSha256, sha256, toHex } from '../sha256';
import type { AwsCredentials, StsEndpoint } from '../ports';
import { formatAmzDate } from '../util/utc';

/** What a presigned GetCallerIdentity URL depends on. */
export interface PresignInput {
  credentials: AwsCredentials;
  endpoint: StsEndpoint;
  /** The cluster name or id, signed as the `x-k8s-aws-id` header. */
  clusterId: string;
  signingDate: Date;
  /** X-Amz-Expires; 60 by default. STS honours the URL for 15 minutes whatever it says. */
  expiresSeconds?: number;
}

const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const SIGNED_HEADERS = 'host;x-k8s-aws-id';
// SigV4 limit for presigned URLs (one week).
const MAX_EXPIRES_SECONDS = 604_800;

/** Returns the presigned GetCallerIdentity URL (the string that encodeToken() wraps). */
export function presignGetCallerIdentity(input: PresignInput): string {
  const { credentials, endpoint, clusterId, signingDate } = input;
  const expires = input.expiresSeconds ?? 60;
  if (!Number.isInteger(expires) || expires < 0 || expires > MAX_EXPIRES_SECONDS) {
    throw new RangeError(`expiresSeconds must be an integer from 0 to ${MAX_EXPIRES_SECONDS}`);
  }
  const amzDate = formatAmzDate(signingDate);
  const shortDate = amzDate.slice(0, 8);
  const scope = `${shortDate}/${endpoint.signingRegion}/sts/aws4_request`;

  const algorithm = 'X-Amz-Algorithm=AWS4-HMAC-SHA256';
  const credential = `X-Amz-Credential=${uriEncode(`${credentials.accessKeyId}/${scope}`)}`;
  const date = `X-Amz-Date=${amzDate}`;
  const expiresParam = `X-Amz-Expires=${expires}`;
  const signedHeaders = `X-Amz-SignedHeaders=${uriEncode(SIGNED_HEADERS)}`;
  const token =
    credentials.sessionToken === undefined || credentials.sessionToken === ''
      ? undefined
      : `X-Amz-Security-Token=${uriEncode(credentials.sessionToken)}`;
  const head = `Action=GetCallerIdentity&Version=2011-06-15&${algorithm}&${credential}&${date}&${expiresParam}`;

  // The canonical query is sorted by key (Security-Token before SignedHeaders); the URL keeps
  // botocore's order so that the token is byte-identical to `aws eks get-token`'s.
  const canonicalQuery = token === undefined ? `${head}&${signedHeaders}` : `${head}&${token}&${signedHeaders}`;
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    `host:${endpoint.host}`,
    `x-k8s-aws-id:${canonicalHeaderValue(clusterId)}`,
    '',
    SIGNED_HEADERS,
    EMPTY_PAYLOAD_SHA256,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, toHex(sha256(canonicalRequest))].join('\n');
  const signature = toHex(
    hmacSha256(signingKey(credentials.secretAccessKey, shortDate, endpoint.signingRegion), stringToSign),
  );

  const query = token === undefined ? `${head}&${signedHeaders}` : `${head}&${signedHeaders}&${token}`;
  return `${endpoint.url}/?${query}&X-Amz-Signature=${signature}`;
}

function signingKey(secret: string, shortDate: string, region: string): Uint8Array {
  const kDate = hmacSha256(`AWS4${secret}`, shortDate);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, 'sts');
  return hmacSha256(kService, 'aws4_request');
}

/** RFC 3986: everything but `A-Z a-z 0-9 - _ . ~` is percent-encoded (encodeURIComponent leaves `!'()*`). */
export function uriEncode(value: string): string {
  const encoded = encodeURIComponent(value);
  // Key ids, scopes and session tokens never hold the five: the regular expression (compiled on
  // first use) runs only when one is there.
  const reserved =
    encoded.includes('!') ||
    encoded.includes("'") ||
    encoded.includes('(') ||
    encoded.includes(')') ||
    encoded.includes('*');
  return reserved ? encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : encoded;
}

// SigV4 canonical header value: line breaks become spaces, runs of spaces and tabs collapse to one,
// and the ends are trimmed (as @smithy/signature-v4 does; botocore agrees for these characters).
// A cluster name has none of them: skip the three regular expressions (compiled on first use).
function canonicalHeaderValue(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      return value
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, '');
    }
  }
  return value;
}
