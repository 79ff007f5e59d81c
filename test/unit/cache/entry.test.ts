import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEntry, serializeEntry } from '../../../src/cache/entry';
import type { CacheEntry, CredentialsCacheEntry, TokenCacheEntry } from '../../../src/ports';
import { FIXED_NOW } from '../../helpers/fake-deps';

const KEY = 'a'.repeat(64);
const OTHER_KEY = 'b'.repeat(64);

const TOKEN_ENTRY: TokenCacheEntry = {
  kind: 'token',
  key: KEY,
  createdAt: FIXED_NOW,
  expiresAt: new Date(FIXED_NOW.getTime() + 14 * 60_000),
  labels: {
    profile: 'dev',
    profiles: ['base', 'dev'],
    cluster: 'demo',
    region: 'us-east-1',
    roleArn: 'arn:aws:iam::111122223333:role/dev',
  },
  token: 'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20v',
};

const CREDENTIALS_ENTRY: CredentialsCacheEntry = {
  kind: 'credentials',
  key: OTHER_KEY,
  createdAt: FIXED_NOW,
  expiresAt: new Date(FIXED_NOW.getTime() + 3600_000),
  labels: { profile: 'dev', roleArn: 'arn:aws:iam::111122223333:role/dev' },
  credentials: {
    accessKeyId: 'ASIASTORETEST0000001',
    secretAccessKey: 'store/secret+key',
    sessionToken: 'store-session-token',
    expiration: new Date(FIXED_NOW.getTime() + 3600_000),
  },
};

test('serializeEntry and parseEntry round-trip both kinds', () => {
  for (const entry of [TOKEN_ENTRY, CREDENTIALS_ENTRY] as CacheEntry[]) {
    assert.deepEqual(parseEntry(serializeEntry(entry), entry.key), entry);
  }
});

test('credentials without a secret key are malformed', () => {
  const text = serializeEntry(CREDENTIALS_ENTRY).replace(
    '"secretAccessKey":"store/secret+key"',
    '"secretAccessKey":""',
  );
  assert.equal(parseEntry(text, OTHER_KEY), 'the credentials are malformed');
});
