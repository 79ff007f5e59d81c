import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeEntry } from '../../../src/cache/entry';
import { listCacheFiles, openCache, pruneDirectory, type StoreOptions } from '../../../src/cache/store';
import type { CachePort, CredentialsCacheEntry, TokenCacheEntry } from '../../../src/ports';
import { FIXED_NOW, RecordingLogger } from '../../helpers/fake-deps';

const KEY = 'a'.repeat(64);
const OTHER_KEY = 'b'.repeat(64);
const UID = process.getuid?.();

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

let root: string;
let dir: string;
let log: RecordingLogger;

function open(overrides: Partial<StoreOptions> = {}): CachePort {
  return openCache(
    { log },
    {
      dir,
      uid: UID,
      lock: {
        now: () => FIXED_NOW.getTime(),
        sleep: async () => {},
        isAlive: () => true,
        pid: 1000,
        host: 'here',
        maxWaitMs: 10_000,
        pollMs: 15,
      },
      ...overrides,
    },
  );
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-auth-store-'));
  dir = join(root, 'kube', 'cache', 'eks-auth');
  log = new RecordingLogger();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('openCache on a real directory', () => {
  test('writes entries 0600 in a 0700 directory it creates, and reads them back', () => {
    const cache = open();
    cache.write(TOKEN_ENTRY);
    cache.write(CREDENTIALS_ENTRY);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, `${KEY}.json`)), 0o600);
    assert.equal(mode(join(dir, `${OTHER_KEY}.json`)), 0o600);
    assert.deepEqual(open().read(KEY), TOKEN_ENTRY);
    assert.deepEqual(open().read(OTHER_KEY), CREDENTIALS_ENTRY);
    assert.deepEqual(log.warnings, []);
  });

  test('a missing directory is a miss, not an error, and is not created by reading', () => {
    assert.equal(open().read(KEY), undefined);
    assert.throws(() => statSync(dir), { code: 'ENOENT' });
  });

  test('replaces an entry by rename: a new file, never rewritten in place, and no temp file left', () => {
    const cache = open();
    cache.write(TOKEN_ENTRY);
    const before = statSync(join(dir, `${KEY}.json`)).ino;
    cache.write({ ...TOKEN_ENTRY, token: 'k8s-aws-v1.bmV3' });
    assert.notEqual(statSync(join(dir, `${KEY}.json`)).ino, before);
    assert.deepEqual(readdirSync(dir), [`${KEY}.json`]);
    assert.equal((open().read(KEY) as TokenCacheEntry).token, 'k8s-aws-v1.bmV3');
  });

  test('a failed write leaves no temp file, warns once and turns the cache off for the run', () => {
    mkdirSync(join(dir, `${KEY}.json`), { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const cache = open();
    cache.write(TOKEN_ENTRY);
    cache.write(CREDENTIALS_ENTRY);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0] as string, /^not using the cache: cannot write .*\.json/);
    assert.equal(cache.isActive(), false);
    assert.deepEqual(readdirSync(dir), [`${KEY}.json`]);
  });

  const INVALID: [string, (valid: string) => string][] = [
    ['corrupt JSON', () => '{"version":1,"kind":"tok'],
    ['a file truncated to half its length', (valid) => valid.slice(0, Math.floor(valid.length / 2))],
    ['an empty file', () => ''],
    ['another entry version', (valid) => valid.replace('"version":1', '"version":2')],
    ['another key than its file name', (valid) => valid.replace(KEY, OTHER_KEY)],
    ['an unknown kind', (valid) => valid.replace('"kind":"token"', '"kind":"cookie"')],
    ['a token without the k8s-aws-v1. prefix', (valid) => valid.replace('k8s-aws-v1.', 'k8s-aws-v2.')],
    ['a date that does not parse', (valid) => valid.replace(/"expiresAt":"[^"]+"/, '"expiresAt":"soon"')],
    ['a JSON array', () => '[]'],
  ];
  for (const [what, mangle] of INVALID) {
    test(`${what} is a miss without a warning, and the next write replaces it`, () => {
      open().write(TOKEN_ENTRY);
      const file = join(dir, `${KEY}.json`);
      writeFileSync(file, mangle(readFileSync(file, 'utf8')), { mode: 0o600 });
      const cache = open();
      assert.equal(cache.read(KEY), undefined);
      assert.deepEqual(log.warnings, []);
      assert.equal(log.verboseLines.length, 1);
      cache.write(TOKEN_ENTRY);
      assert.deepEqual(open().read(KEY), TOKEN_ENTRY);
    });
  }

  test('a directory readable by group or others is refused with one warning; reads miss, writes and locks do nothing', async () => {
    open().write(TOKEN_ENTRY);
    chmodSync(dir, 0o755);
    const cache = open();
    assert.equal(cache.read(KEY), undefined);
    cache.write(CREDENTIALS_ENTRY);
    const release = await cache.lock(KEY);
    release();
    assert.deepEqual(log.warnings, [
      `not using the cache: ${dir} is accessible to group or others (mode 0755); run \`chmod 700 ${dir}\``,
    ]);
    assert.equal(cache.isActive(), false);
    assert.deepEqual(readdirSync(dir), [`${KEY}.json`]);
  });

  test('an entry file readable by others is refused with a warning that says how to fix it', () => {
    open().write(TOKEN_ENTRY);
    const file = join(dir, `${KEY}.json`);
    chmodSync(file, 0o644);
    const cache = open();
    assert.equal(cache.read(KEY), undefined);
    assert.deepEqual(log.warnings, [
      `not using the cache: ${file} is accessible to group or others (mode 0644); run \`chmod 600 ${file}\``,
    ]);
    assert.equal(cache.isActive(), false);
  });

  test('a directory owned by another user is refused', () => {
    open().write(TOKEN_ENTRY);
    const cache = open({ uid: (UID ?? 0) + 4242 });
    assert.equal(cache.read(KEY), undefined);
    assert.match(log.warnings[0] as string, /is owned by another user/);
  });

  test('an entry that is a symbolic link is refused, not followed', () => {
    open().write(CREDENTIALS_ENTRY);
    symlinkSync(join(dir, `${OTHER_KEY}.json`), join(dir, `${KEY}.json`));
    const cache = open();
    assert.equal(cache.read(KEY), undefined);
    assert.match(log.warnings[0] as string, /is a symbolic link/);
  });

  test('an entry path that is a directory is refused with a warning', () => {
    open().write(CREDENTIALS_ENTRY);
    mkdirSync(join(dir, `${KEY}.json`));
    const cache = open();
    assert.equal(cache.read(KEY), undefined);
    assert.deepEqual(log.warnings, [`not using the cache: ${join(dir, `${KEY}.json`)} is not a file`]);
  });

  test('a FIFO at the entry path is refused without being opened (opening one would block)', {
    skip: process.platform === 'win32' && 'no FIFOs',
  }, () => {
    open().write(CREDENTIALS_ENTRY);
    execFileSync('mkfifo', [join(dir, `${KEY}.json`)]);
    const cache = open();
    assert.equal(cache.read(KEY), undefined);
    assert.deepEqual(log.warnings, [`not using the cache: ${join(dir, `${KEY}.json`)} is not a file`]);
  });

  test('a key that is not 64 lower-case hex digits never reaches the file system', () => {
    const cache = open();
    for (const key of [
      '../escape',
      KEY.toUpperCase(),
      KEY.slice(1),
      `${KEY}0`,
      `${KEY.slice(1)}g`,
      `${KEY.slice(1)}/`,
    ]) {
      cache.write({ ...TOKEN_ENTRY, key });
      assert.equal(cache.read(key), undefined, key);
    }
    assert.throws(() => statSync(dir), { code: 'ENOENT' });
  });
});

describe('listing and pruning', () => {
  test('lists entries (parsed or with their problem), locks and temp files, and ignores foreign files', () => {
    const cache = open();
    cache.write(TOKEN_ENTRY);
    writeFileSync(join(dir, `${OTHER_KEY}.json`), 'garbage', { mode: 0o600 });
    writeFileSync(join(dir, `${KEY}.lock`), '{}', { mode: 0o600 });
    writeFileSync(join(dir, `.${KEY}.123.abcdef.tmp`), '', { mode: 0o600 });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const files = listCacheFiles(dir);
    assert.deepEqual(
      files.map((f) => [f.name, f.type, f.entry?.kind, f.problem]),
      [
        [`.${KEY}.123.abcdef.tmp`, 'temp', undefined, undefined],
        [`${KEY}.json`, 'entry', 'token', undefined],
        [`${KEY}.lock`, 'lock', undefined, undefined],
        [`${OTHER_KEY}.json`, 'entry', undefined, 'not valid JSON (corrupt or truncated)'],
      ],
    );
  });

  test('pruning removes expired and corrupt entries and keeps fresh ones and foreign files', () => {
    const cache = open();
    cache.write(TOKEN_ENTRY);
    const expiredKey = 'c'.repeat(64);
    cache.write({ ...TOKEN_ENTRY, key: expiredKey, expiresAt: new Date(FIXED_NOW.getTime() - 1) });
    writeFileSync(join(dir, `${OTHER_KEY}.json`), '{', { mode: 0o600 });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    pruneDirectory(dir, FIXED_NOW);
    assert.deepEqual(readdirSync(dir).sort(), [`${KEY}.json`, 'notes.txt']);
  });

  test('the first write of a run prunes expired entries', () => {
    const expiredKey = 'c'.repeat(64);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(dir, `${expiredKey}.json`),
      serializeEntry({ ...TOKEN_ENTRY, key: expiredKey, expiresAt: new Date(FIXED_NOW.getTime() - 1) }),
      { mode: 0o600 },
    );
    open().write(TOKEN_ENTRY);
    assert.deepEqual(readdirSync(dir), [`${KEY}.json`]);
  });
});
