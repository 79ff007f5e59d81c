/**
 * The EKS bearer token wire format: `k8s-aws-v1.` + base64url without padding of a presigned URL.
 * The EKS verifier rejects padding and the `+/` alphabet (aws-iam-authenticator pkg/token).
 */
import { EksAuthError, ExitCode } from '../errors';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** The server refuses larger tokens (aws-iam-authenticator maxTokenLenBytes). */
export const MAX_TOKEN_BYTES = 4096;

export function encodeToken(presignedUrl: string): string {
  return TOKEN_PREFIX + Buffer.from(presignedUrl, 'utf8').toString('base64url');
}

const STRICT_BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes a token to its URL string. Strict: prefix, unpadded base64url alphabet, canonical encoding.
 * Throws EksAuthError(tokenRejected) with reason `size`, `prefix` or `base64`.
 */
export function decodeToken(token: string): string {
  if (Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) {
    throw new EksAuthError(ExitCode.tokenRejected, `token is larger than ${MAX_TOKEN_BYTES} bytes`, {
      reason: 'size',
    });
  }
  if (!token.startsWith(TOKEN_PREFIX)) {
    throw new EksAuthError(ExitCode.tokenRejected, `token does not start with ${TOKEN_PREFIX}`, {
      reason: 'prefix',
    });
  }
  const body = token.slice(TOKEN_PREFIX.length);
  // Node's decoder is lenient (skips bad characters, accepts padding); check the alphabet and that
  // the encoding is canonical (a length of 1 mod 4 or stray low bits would not round-trip).
  if (!STRICT_BASE64URL.test(body) || body.length % 4 === 1) {
    throw new EksAuthError(ExitCode.tokenRejected, 'token is not unpadded base64url', { reason: 'base64' });
  }
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.toString('base64url') !== body) {
    throw new EksAuthError(ExitCode.tokenRejected, 'token is not canonical base64url', { reason: 'base64' });
  }
  return bytes.toString('utf8');
}
