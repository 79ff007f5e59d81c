/**
 * The cache entry format: one versioned JSON object per key, serialized, parsed and checked here. A corrupt,
 * truncated or foreign-version entry parses to the reason it is not one, which the store treats as a miss.
 */
import type { AwsCredentials, CacheEntry, CacheLabels } from '../ports';
import { isLowerHexDigit } from '../util/ascii';
import { isRecord } from '../util/is-record';

/** The entry format. A file of another version is a miss (and is replaced), never an error. */
const CACHE_VERSION = 1;

/** Why a file that is not JSON is no entry: `cache clean` removes such files. */
export const NOT_JSON = 'not valid JSON (corrupt or truncated)';

/** 64 lower-case hex digits (a SHA-256), checked by hand: a regular expression is compiled on every call. */
export function isKey(key: string): boolean {
  if (key.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    if (!isLowerHexDigit(key.charCodeAt(i))) return false;
  }
  return true;
}

/** The file's text for an entry. Dates as ISO strings; the credentials' own expiry kept apart from the entry's. */
export function serializeEntry(entry: CacheEntry): string {
  const base = {
    version: CACHE_VERSION,
    kind: entry.kind,
    key: entry.key,
    createdAt: entry.createdAt.toISOString(),
    expiresAt: entry.expiresAt.toISOString(),
    labels: entry.labels,
  };
  if (entry.kind === 'token') return `${JSON.stringify({ ...base, token: entry.token })}\n`;
  const c = entry.credentials;
  return `${JSON.stringify({
    ...base,
    credentials: {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
      ...(c.expiration ? { expiration: c.expiration.toISOString() } : {}),
    },
  })}\n`;
}

/** The entry in `text`, or why it is not one (corrupt, truncated, another version, another key). */
export function parseEntry(text: string, expectedKey?: string): CacheEntry | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
  if (!isRecord(raw)) return 'not a JSON object';
  const o = raw;
  if (o.version !== CACHE_VERSION) return `entry version ${JSON.stringify(o.version)}, not ${CACHE_VERSION}`;
  if (typeof o.key !== 'string' || !isKey(o.key)) return 'no valid key';
  if (expectedKey !== undefined && o.key !== expectedKey) return 'its key does not match its file name';
  const createdAt = dateOf(o.createdAt);
  const expiresAt = dateOf(o.expiresAt);
  if (!createdAt || !expiresAt) return 'createdAt or expiresAt is not a date';
  const labels = labelsOf(o.labels);
  if (!labels) return 'labels are malformed';
  const base = { key: o.key, createdAt, expiresAt, labels };
  if (o.kind === 'token') {
    if (typeof o.token !== 'string' || !/^k8s-aws-v1\.[A-Za-z0-9_-]+$/.test(o.token)) return 'the token is malformed';
    return { ...base, kind: 'token', token: o.token };
  }
  if (o.kind === 'credentials') {
    const credentials = credentialsOf(o.credentials);
    if (!credentials) return 'the credentials are malformed';
    return { ...base, kind: 'credentials', credentials };
  }
  return `unknown kind ${JSON.stringify(o.kind)}`;
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function labelsOf(value: unknown): CacheLabels | undefined {
  if (!isRecord(value)) return undefined;
  const out: CacheLabels = {};
  for (const [name, v] of Object.entries(value)) {
    if (name === 'profiles') {
      if (!Array.isArray(v) || !v.every((p) => typeof p === 'string')) return undefined;
      out.profiles = v as string[];
    } else if (name === 'profile' || name === 'cluster' || name === 'region' || name === 'roleArn') {
      if (typeof v !== 'string') return undefined;
      out[name] = v;
    }
  }
  return out;
}

function credentialsOf(value: unknown): AwsCredentials | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const c = value as Record<string, unknown>;
  if (
    typeof c.accessKeyId !== 'string' ||
    c.accessKeyId === '' ||
    typeof c.secretAccessKey !== 'string' ||
    c.secretAccessKey === ''
  )
    return undefined;
  const out: AwsCredentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
  if (c.sessionToken !== undefined) {
    if (typeof c.sessionToken !== 'string' || c.sessionToken === '') return undefined;
    out.sessionToken = c.sessionToken;
  }
  if (c.expiration !== undefined) {
    const expiration = dateOf(c.expiration);
    if (!expiration) return undefined;
    out.expiration = expiration;
  }
  return out;
}
