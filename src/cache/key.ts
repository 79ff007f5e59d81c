/**
 * Cache keys: the SHA-256 of every input that changes what is cached, so two profiles, two
 * clusters, two endpoints or two source identities never share an entry (kubelogin keys its token
 * cache the same way). Secrets enter the material only as one-way fingerprints, and the material
 * itself is never written anywhere: only its hash names the file.
 */
import type { AwsCredentials } from '../ports';
import { sha256 as sha256Bytes, toHex } from '../sha256';

/** Bumped when the meaning of the material changes, so old entries simply stop matching. */
const KEY_SCHEME = 'eks-auth-cache-key-v1';

/** JSON with object keys sorted and undefined members dropped: equal inputs give equal text in any order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

// The plain-JavaScript SHA-256: node:crypto would cost the cache-hit path milliseconds to load.
function sha256(text: string): string {
  return toHex(sha256Bytes(text));
}

/** The key (64 hex digits) of an entry of this kind that depends on `material`. */
export function cacheKey(kind: 'token' | 'credentials', material: unknown): string {
  return sha256(`${KEY_SCHEME}\n${kind}\n${canonicalJson(material)}`);
}

/** A one-way fingerprint of credentials (key id, secret and session token) for key material. */
export function credentialsFingerprint(credentials: AwsCredentials): string {
  return sha256(`${credentials.accessKeyId}\n${credentials.secretAccessKey}\n${credentials.sessionToken ?? ''}`);
}

/** A fingerprint of a file's content, e.g. a web identity token that rotates. */
export function contentFingerprint(text: string): string {
  return sha256(text);
}
