/**
 * A hostile or broken cache directory: nothing in it may hang, spin or fill memory. FIFOs, links
 * to /dev/zero and oversized files at entry and lock paths; a full disk while a lock is written; a
 * symlinked cache directory, and one swapped for another after it was checked.
 */
import { defaultStoreOptions } from '../../../src/cli/deps';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { acquireLock, type LockOptions } from '../../../src/cache/lock';
import { listCacheFiles, openCache, type StoreOptions } from '../../../src/cache/store';
import { readRegularFile } from '../../../src/cache/file';
import { cleanCache, listCache } from '../../../src/usecases/cache';
import { getToken } from '../../../src/usecases/token';
import type { CachePort, TokenCacheEntry } from '../../../src/ports';
import { fakeDeps, FIXED_NOW, RecordingLogger } from '../../helpers/fake-deps';

const POSIX = process.platform !== 'win32';
const KEY = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const THIRD = 'c'.repeat(64);
const UID = process.getuid?.();
// A hang is the failure these tests look for: each must finish far inside this bound.
const NO_HANG = { timeout: 20_000 };

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-auth-hostile-'));
  dir = join(root, 'eks-auth');
  mkdirSync(dir, { mode: 0o700 });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function mkfifo(path: string): void {
  execFileSync('mkfifo', ['-m', '600', path]);
}

/** A clock that only moves when the lock sleeps. */
function lockOptions(overrides: Partial<LockOptions> = {}): LockOptions & { sleeps: number[] } {
  const clock = { t: FIXED_NOW.getTime() };
  const sleeps: number[] = [];
  return {
    now: () => clock.t,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    isAlive: () => true,
    pid: 1000,
    host: 'here',
    maxWaitMs: 10_000,
    pollMs: 15,
    ...overrides,
    sleeps,
  };
}

function tokenEntry(key: string): TokenCacheEntry {
  return {
    kind: 'token',
    key,
    createdAt: FIXED_NOW,
    expiresAt: new Date(FIXED_NOW.getTime() + 14 * 60_000),
    labels: { profile: 'dev', cluster: 'demo', region: 'us-east-1' },
    token: 'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20v',
  };
}

function openStore(log: RecordingLogger, at: string = dir, overrides: Partial<StoreOptions> = {}): CachePort {
  return openCache({ log }, { dir: at, uid: UID, lock: lockOptions(), ...overrides });
}

describe('lock paths holding something other than a lock file', { skip: !POSIX && 'POSIX file types' }, () => {
  const lockPath = () => join(dir, `${KEY}.lock`);

  test(
    'a dangling symlink is refused at once with a message that says how to remove it, never spun on',
    NO_HANG,
    async () => {
      symlinkSync(join(root, 'nowhere'), lockPath());
      const options = lockOptions();
      await assert.rejects(
        acquireLock(lockPath(), options),
        /is a symbolic link, not a lock file; remove it \(`eks-auth cache clean`\)/,
      );
      assert.equal(options.sleeps.length, 0);
      assert.equal(existsSync(join(root, 'nowhere')), false, 'the link was not followed to create its target');
    },
  );

  test('a FIFO is refused without being opened', NO_HANG, async () => {
    mkfifo(lockPath());
    await assert.rejects(acquireLock(lockPath(), lockOptions()), /is a FIFO, not a lock file/);
  });

  test('a link to /dev/zero is refused without being read', {
    ...NO_HANG,
    skip: !existsSync('/dev/zero') && 'no /dev/zero',
  }, async () => {
    symlinkSync('/dev/zero', lockPath());
    await assert.rejects(acquireLock(lockPath(), lockOptions()), /is a symbolic link/);
  });

  test('through the store: one warning, the cache off for the run, and the caller goes on', NO_HANG, async () => {
    symlinkSync(join(root, 'nowhere'), lockPath());
    const log = new RecordingLogger();
    const cache = openStore(log);
    const release = await cache.lock(KEY);
    release();
    assert.equal(cache.isActive(), false);
    assert.equal(log.warnings.length, 1);
    assert.match(
      log.warnings[0] as string,
      new RegExp(`not using the cache: cannot lock ${dir}/${KEY}\\.lock: .* is a symbolic link`),
    );
    assert.doesNotMatch(log.warnings[0] as string, /\/proc\/self\/fd/);
  });
});

describe('a full disk while a lock is written', { skip: !POSIX && 'ulimit' }, () => {
  test(
    'under `ulimit -f 0` no empty lock is left behind, so the next call takes the lock at once',
    NO_HANG,
    async () => {
      const lockPath = join(dir, `${KEY}.lock`);
      // A child process takes the lock with a file size limit of 0: its first byte written raises
      // SIGXFSZ (or EFBIG where ignored). Before, the lock was created empty and then never filled.
      const script = `require('./src/cache/lock').acquireLock(${JSON.stringify(lockPath)}, { now: Date.now, sleep: async () => {}, isAlive: () => true, pid: 4242, host: 'h', maxWaitMs: 10000, pollMs: 15 })`;
      const child = spawnSync('sh', ['-c', `ulimit -f 0; exec "${process.execPath}" --import tsx -e "$0"`, script], {
        cwd: process.cwd(),
        encoding: 'utf8',
      });
      assert.ok(
        child.status !== 0 || child.signal !== null,
        `the child could not write, so it must fail: ${child.stderr}`,
      );
      assert.equal(existsSync(lockPath), false, 'no lock file is left');
      const options = lockOptions();
      const held = await acquireLock(lockPath, options);
      assert.equal(options.sleeps.length, 0, 'nothing to wait for');
      held.release();
    },
  );

  test('a write that fails (EFBIG, as ENOSPC would) removes the temp file it made and creates no lock', NO_HANG, () => {
    const lockPath = join(dir, `${KEY}.lock`);
    // With SIGXFSZ ignored the write returns an error instead of killing the process.
    const script = `process.on('SIGXFSZ', () => {}); require('./src/cache/lock').acquireLock(${JSON.stringify(lockPath)}, { now: Date.now, sleep: async () => {}, isAlive: () => true, pid: 4242, host: 'h', maxWaitMs: 10000, pollMs: 15 }).then(() => process.exit(0), (err) => { console.error(err.code); process.exit(7); })`;
    const child = spawnSync('sh', ['-c', `ulimit -f 0; exec "${process.execPath}" --import tsx -e "$0"`, script], {
      cwd: process.cwd(),
      encoding: 'utf8',
    });
    assert.equal(child.status, 7, child.stderr);
    assert.match(child.stderr, /EFBIG/);
    assert.deepEqual(readdirSync(dir), [], 'neither a lock nor a temp file is left');
  });
});

describe('entry paths holding FIFOs, devices and huge files', { skip: !POSIX && 'POSIX file types' }, () => {
  function plant(): void {
    mkfifo(join(dir, `${OTHER}.json`));
    if (existsSync('/dev/zero')) symlinkSync('/dev/zero', join(dir, `${THIRD}.json`));
    // A sparse 2 GiB file: reading it whole would take 2 GiB of memory.
    const huge = join(dir, `${'d'.repeat(64)}.json`);
    writeFileSync(huge, '');
    truncateSync(huge, 2 ** 31);
  }

  test('listing reads none of them and says what each is', NO_HANG, () => {
    plant();
    const files = listCacheFiles(dir);
    const problems = Object.fromEntries(files.map((f) => [f.name.slice(0, 1), f.problem]));
    assert.equal(problems.b, 'is a FIFO');
    if (existsSync('/dev/zero')) assert.equal(problems.c, 'is a symbolic link');
    assert.equal(problems.d, `is ${2 ** 31} bytes, more than ${64 * 1024}`);
  });

  test('a cold write (which prunes the directory) returns, and keeps its own entry', NO_HANG, () => {
    plant();
    const log = new RecordingLogger();
    const cache = openStore(log);
    cache.write(tokenEntry(KEY));
    assert.equal(cache.read(KEY)?.kind, 'token');
    assert.deepEqual(log.warnings, []);
  });

  test('a huge file at the entry path itself is a miss, not a read of 2 GiB', NO_HANG, () => {
    const file = join(dir, `${KEY}.json`);
    writeFileSync(file, '', { mode: 0o600 });
    truncateSync(file, 2 ** 31);
    const cache = openStore(new RecordingLogger());
    assert.equal(cache.read(KEY), undefined);
  });

  test('a cold `token`, `cache list` and `cache clean` finish, and clean removes them all', NO_HANG, async () => {
    plant();
    const deps = withStore(
      fakeDeps({
        config:
          '[profile base]\naws_access_key_id = AKIAHOSTILE000000001\naws_secret_access_key = s\n[profile dev]\nrole_arn = arn:aws:iam::111111111111:role/dev\nsource_profile = base\n',
        env: { AWS_REGION: 'us-east-1', KUBECACHEDIR: root },
      }),
    );
    deps.cache = openCache(deps, deps.store);
    const out = await getToken({ clusterId: 'demo', output: 'token', profile: 'dev' }, deps);
    assert.match(out, /^k8s-aws-v1\./);
    const listed = JSON.parse(await listCache({ json: true }, deps)) as {
      entries: { key: string; kind: string; problem?: string }[];
    };
    assert.deepEqual(
      listed.entries.filter((e) => e.kind === 'invalid').map((e) => e.problem),
      [
        'is a FIFO',
        ...(existsSync('/dev/zero') ? ['is a symbolic link'] : []),
        `is ${2 ** 31} bytes, more than ${64 * 1024}`,
      ],
    );
    assert.match(await cleanCache({}, deps), /^removed \d+ entries/);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('`cache clean` warns about a directory at an entry path and removes the rest', NO_HANG, async () => {
    mkdirSync(join(dir, `${OTHER}.json`));
    writeFileSync(join(dir, `${THIRD}.json`), '{}', { mode: 0o600 });
    const deps = withStore(fakeDeps({ env: { KUBECACHEDIR: root } }));
    assert.match(await cleanCache({}, deps), /^removed 1 entry/);
    assert.equal(deps.log.warnings.length, 1);
    assert.match(deps.log.warnings[0] as string, new RegExp(`^cannot remove ${dir}/${OTHER}\\.json: `));
    assert.deepEqual(readdirSync(dir), [`${OTHER}.json`]);
  });
});

describe('the cache directory itself', { skip: !POSIX && 'symlinks and ownership' }, () => {
  test('a symlink at the directory is refused with one warning, as the README says: nothing read or written through it', () => {
    const real = join(root, 'elsewhere');
    mkdirSync(real, { mode: 0o700 });
    const linked = join(root, 'linked');
    symlinkSync(real, linked);
    const log = new RecordingLogger();
    openStore(log, real).write(tokenEntry(KEY));
    const cache = openStore(log, linked);
    assert.equal(cache.read(KEY), undefined, 'the entry behind the link is not served');
    cache.write(tokenEntry(OTHER));
    assert.deepEqual(readdirSync(real), [`${KEY}.json`]);
    assert.equal(log.warnings.length, 1);
    assert.match(
      log.warnings[0] as string,
      new RegExp(
        `not using the cache: ${linked} is a symbolic link; replace it with the directory itself, or set KUBECACHEDIR`,
      ),
    );
  });

  test('`cache list` warns about a symlinked directory, which `token` does not use', async () => {
    const real = join(root, 'elsewhere');
    mkdirSync(real, { mode: 0o700 });
    rmSync(dir, { recursive: true });
    symlinkSync(real, dir);
    const deps = withStore(fakeDeps({ env: { KUBECACHEDIR: root } }));
    await listCache({ json: true }, deps);
    assert.deepEqual(deps.log.warnings, [
      `${dir} is a symbolic link; replace it with the directory itself, or set KUBECACHEDIR; eks-auth token does not use this cache until that is fixed`,
    ]);
  });

  test('swapped for a link to another directory after it was checked, it is not written through', () => {
    const log = new RecordingLogger();
    const cache = openStore(log);
    cache.write(tokenEntry(KEY));
    // Someone with write access to the parent renames the checked directory away and puts a link
    // to a directory of theirs in its place.
    const moved = join(root, 'moved');
    renameSync(dir, moved);
    const theirs = join(root, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    symlinkSync(theirs, dir);
    cache.write(tokenEntry(OTHER));
    assert.deepEqual(readdirSync(theirs), [], 'no entry landed in the swapped-in directory');
    assert.equal(readRegularFile(join(theirs, `${OTHER}.json`), 1024).kind, 'missing');
    // Linux names files through the open directory, so the write landed where the check was made;
    // elsewhere the identity check turns the cache off.
    if (existsSync('/proc/self/fd')) assert.deepEqual(readdirSync(moved).sort(), [`${KEY}.json`, `${OTHER}.json`]);
    else assert.equal(cache.isActive(), false);
  });
});

/** The fake ports plus the real store options for them, as the cache commands take them. */
function withStore<D extends Parameters<typeof defaultStoreOptions>[0]>(
  deps: D,
): D & { store: ReturnType<typeof defaultStoreOptions> } {
  return Object.assign(deps, { store: defaultStoreOptions(deps) });
}
