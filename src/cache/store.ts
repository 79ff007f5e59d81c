/**
 * The cache on disk: one versioned JSON file per key (`<key>.json`, 0600) in a 0700 directory,
 * written atomically (a temp file in the same directory, then rename), so a reader sees the old
 * entry or the new one and never half of either. A corrupt, truncated or foreign-version entry is a
 * miss that the next write replaces; an unsafe directory or file turns the cache off for the run
 * with one warning. The port never throws at its caller: the cache can only make a call faster.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheEntry, CachePort, Deps } from '../ports';
import { writeFileAtomic } from '../util/write-file-atomic';
import { openDirectory, unsafeReason, type OpenDirectory } from './dir';
import { acquireLock, LockBusyError, uniqueSuffix, type LockOptions } from './lock';
import { isKey, NOT_JSON, parseEntry, serializeEntry } from './entry';
import { MAX_ENTRY_BYTES, readRegularFile } from './file';

const ENTRY_FILE = /^([0-9a-f]{64})\.json$/;
const LOCK_FILE = /^[0-9a-f]{64}\.lock$/;
const TEMP_FILE = /^\.[0-9a-f]{64}\.\d+\.[0-9a-f]+\.tmp$/;
// Not on Windows, where it does not exist: there a symlinked entry is merely followed.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** What the cache needs from the process; tests override any of it. */
export interface StoreOptions {
  dir: string;
  /** The user's uid, undefined where POSIX ownership does not exist (Windows). */
  uid: number | undefined;
  lock: LockOptions;
  /** Runs once before the first write or lock of a run (a miss), never on a hit. */
  beforeFirstWrite?: () => void;
}

/** The cache port over a directory. */
export function openCache(deps: Pick<Deps, 'log'>, options: StoreOptions): CachePort {
  const { dir, uid } = options;
  let active = true;
  let pruned = false;
  let writing = false;
  const firstWrite = (): void => {
    if (writing) return;
    writing = true;
    options.beforeFirstWrite?.();
  };

  const disable = (reason: string): void => {
    if (!active) return;
    active = false;
    deps.log.warn(`not using the cache: ${reason}`);
  };

  let opened: OpenDirectory | undefined;
  /** Whether the directory is there and safe; `create` makes it when missing. Opened and checked once per run. */
  const dirReady = (create: boolean): boolean => {
    if (!active) return false;
    if (opened) return true;
    try {
      const result = openDirectory(dir, uid, create);
      if (result === 'missing') return false;
      if (typeof result === 'string') {
        disable(result);
        return false;
      }
      opened = result;
    } catch (err) {
      disable(`cannot use ${dir}: ${(err as Error).message}`);
      return false;
    }
    return true;
  };

  // Names under the directory as it was opened (see openDirectory); messages show the real path.
  const under = (name: string) => join((opened as OpenDirectory).base, name);
  const fileOf = (key: string) => under(`${key}.json`);
  const shown = (key: string) => join(dir, `${key}.json`);

  return {
    isActive: () => active,

    read(key) {
      if (!isKey(key) || !dirReady(false)) return undefined;
      const file = fileOf(key);
      const name = shown(key);
      let text: string;
      try {
        // The file's type, owner and mode, then one read by path: a cache hit makes this call on
        // every kubectl command, and open, fstat, read and close cost it 0.2 ms more. Checking the
        // path before reading it is as safe as checking an open descriptor, because the directory
        // is the user's and closed to others (dirReady): nobody else can swap the file in between.
        const stat = lstatSync(file, { throwIfNoEntry: false });
        if (stat === undefined) return undefined;
        const problem = stat.isSymbolicLink() ? `${name} is a symbolic link` : unsafeReason(stat, name, uid, 'file');
        if (problem) {
          disable(problem);
          return undefined;
        }
        if (stat.size > MAX_ENTRY_BYTES) {
          deps.log.verbose(`cache: ignoring ${name}: ${stat.size} bytes, more than an entry ever is`);
          return undefined;
        }
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        disable(`cannot read ${name}: ${(err as Error).message}`);
        return undefined;
      }
      const parsed = parseEntry(text, key);
      if (typeof parsed === 'string') {
        deps.log.verbose(`cache: ignoring ${name}: ${parsed}`);
        return undefined;
      }
      return parsed;
    },

    write(entry) {
      if (!isKey(entry.key) || !dirReady(true)) return;
      firstWrite();
      const file = fileOf(entry.key);
      const temp = under(`.${entry.key}.${options.lock.pid}.${uniqueSuffix()}.tmp`);
      if (!(opened as OpenDirectory).stillThere()) {
        disable(`${dir} was replaced while in use`);
        return;
      }
      try {
        writeFileAtomic(file, serializeEntry(entry), { temp, fsync: false });
      } catch (err) {
        disable(`cannot write ${shown(entry.key)}: ${(err as Error).message}`);
        return;
      }
      if (!pruned) {
        pruned = true;
        pruneDirectory((opened as OpenDirectory).base, new Date(options.lock.now()));
      }
    },

    async lock(key, lockOptions = {}) {
      if (!isKey(key) || !dirReady(true)) return () => {};
      firstWrite();
      const base = (opened as OpenDirectory).base;
      // Messages name the directory the user knows, not /proc/self/fd/N.
      const plain = (message: string) => message.split(base).join(dir);
      try {
        const held = await acquireLock(
          under(`${key}.lock`),
          {
            ...options.lock,
            onBreak: (reason) => deps.log.verbose(`cache: broke the lock of ${key.slice(0, 12)}: ${reason}`),
          },
          lockOptions,
        );
        return () => {
          try {
            held.release();
          } catch (err) {
            deps.log.verbose(
              `cache: could not release the lock of ${key.slice(0, 12)}: ${plain((err as Error).message)}`,
            );
          }
        };
      } catch (err) {
        if (err instanceof LockBusyError) {
          // Its holder is alive and still at work: go on without the lock (at worst one more STS call).
          deps.log.verbose(`cache: going on without the lock of ${key.slice(0, 12)}: ${plain(err.message)}`);
          return () => {};
        }
        disable(`cannot lock ${join(dir, `${key}.lock`)}: ${plain((err as Error).message)}`);
        return () => {};
      }
    },
  };
}

/** One file of the cache directory, as `cache list` and `cache clean` see it. */
export interface CacheFile {
  name: string;
  path: string;
  type: 'entry' | 'lock' | 'temp';
  /** Entries only: the parsed entry, or why it could not be read. */
  entry?: CacheEntry;
  problem?: string;
}

/** Every file of ours in the directory (entries parsed); other files are left alone. Empty when it does not exist. */
export function listCacheFiles(dir: string): CacheFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: CacheFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const entryName = ENTRY_FILE.exec(name);
    if (entryName) {
      let parsed: CacheEntry | string;
      try {
        // Never a plain read: a FIFO here would block, a link to /dev/zero never end.
        const read = readRegularFile(path, MAX_ENTRY_BYTES);
        if (read.kind === 'missing') continue;
        parsed = read.kind === 'text' ? parseEntry(read.text, entryName[1]) : read.problem.slice(path.length + 1);
      } catch (err) {
        parsed = `cannot read it: ${(err as Error).message}`;
      }
      files.push(
        typeof parsed === 'string'
          ? { name, path, type: 'entry', problem: parsed }
          : { name, path, type: 'entry', entry: parsed },
      );
    } else if (LOCK_FILE.test(name)) {
      files.push({ name, path, type: 'lock' });
    } else if (TEMP_FILE.test(name)) {
      files.push({ name, path, type: 'temp' });
    }
  }
  return files;
}

/** Removes a file; false when it was already gone. */
export function removeCacheFile(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or the directory is unusable: the caller reports that
  }
}

/** A temp file this old was left by a writer that crashed before its rename. */
const STALE_TEMP_MS = 60 * 60_000;

/**
 * Removes what no one will read again: expired or corrupt entries and temp files of crashed
 * writers. Runs once per process, after its first write (a miss, which already waited for STS),
 * so the hit path never pays for it. Entries of another version are left to that version.
 */
export function pruneDirectory(dir: string, now: Date): void {
  try {
    for (const file of listCacheFiles(dir)) {
      if (file.type === 'entry') {
        const expired = file.entry !== undefined && file.entry.expiresAt.getTime() <= now.getTime();
        if (expired || file.problem === NOT_JSON) removeQuietly(file.path);
      } else if (file.type === 'temp' && now.getTime() - mtimeOf(file.path) > STALE_TEMP_MS) {
        removeQuietly(file.path);
      }
    }
  } catch {
    // pruning is housekeeping: never a reason to fail the call
  }
}

function mtimeOf(path: string): number {
  try {
    const fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW);
    try {
      return fstatSync(fd).mtimeMs;
    } finally {
      closeSync(fd);
    }
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
