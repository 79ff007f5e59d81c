/** The last-error file of `token`: written 0600 in a 0700 directory, atomically, never through a symlink; read back with the cache's checks; cleared. */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
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
import { after, test } from 'node:test';
import {
  clearLastError,
  LAST_ERROR_FILE,
  readLastError,
  writeLastError,
  type LastError,
} from '../../../src/cache/last-error';

const root = mkdtempSync(join(tmpdir(), 'eks-auth-last-error-'));
after(() => rmSync(root, { recursive: true, force: true }));
const uid = process.getuid?.();
const RECORD: LastError = {
  time: '2026-01-01T00:00:00Z',
  command: 'token',
  cluster: 'demo',
  exitCode: 3,
  reason: 'profile-not-found',
  error: 'profile "dev" not found',
  hint: 'add [profile dev] to ~/.aws/config',
};
let n = 0;
const fresh = () => join(root, `case-${n++}`, 'eks-auth');

test('writes 0600 in a new 0700 directory, reads back the same record, leaves no temp file', () => {
  const dir = fresh();
  assert.equal(writeLastError(dir, RECORD, uid), undefined);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, LAST_ERROR_FILE)).mode & 0o777, 0o600);
  assert.deepEqual(readLastError(dir, uid), RECORD);
  assert.deepEqual(readdirSync(dir), [LAST_ERROR_FILE]);
});

test('clear removes it; clearing when absent is a no-op; a missing directory reads as none', () => {
  const dir = fresh();
  writeLastError(dir, RECORD, uid);
  clearLastError(dir);
  assert.equal(existsSync(join(dir, LAST_ERROR_FILE)), false);
  clearLastError(dir);
  assert.equal(readLastError(dir, uid), undefined);
  assert.equal(readLastError(join(root, 'never-made'), uid), undefined);
});

test('a symlink planted at the file is replaced, not followed, and its target is untouched', () => {
  const dir = fresh();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = join(root, `victim-${n}`);
  writeFileSync(target, 'keep me');
  symlinkSync(target, join(dir, LAST_ERROR_FILE));
  assert.equal(writeLastError(dir, RECORD, uid), undefined);
  assert.equal(readFileSync(target, 'utf8'), 'keep me');
  assert.deepEqual(readLastError(dir, uid), RECORD);
});

test('a directory open to others is refused for writing and reading, as the cache refuses it', {
  skip: uid === undefined,
}, () => {
  const dir = fresh();
  writeLastError(dir, RECORD, uid);
  chmodSync(dir, 0o755);
  assert.match(writeLastError(dir, RECORD, uid) ?? '', /accessible to group or others/);
  const read = readLastError(dir, uid);
  assert.ok(read !== undefined && 'problem' in read && /accessible to group or others/.test(read.problem));
});

test('a symlink read is refused; a file that is not a record is reported, not shown', () => {
  const dir = fresh();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const elsewhere = join(root, `elsewhere-${n}.json`);
  writeFileSync(elsewhere, JSON.stringify(RECORD), { mode: 0o600 });
  symlinkSync(elsewhere, join(dir, LAST_ERROR_FILE));
  const viaLink = readLastError(dir, uid);
  assert.ok(viaLink !== undefined && 'problem' in viaLink && /symbolic link/.test(viaLink.problem));
  rmSync(join(dir, LAST_ERROR_FILE));
  writeFileSync(join(dir, LAST_ERROR_FILE), '{"hello":1}', { mode: 0o600 });
  const junk = readLastError(dir, uid);
  assert.ok(junk !== undefined && 'problem' in junk && /not a last-error record/.test(junk.problem));
});
