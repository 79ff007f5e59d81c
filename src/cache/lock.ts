/**
 * Per-key lock files beside the cache entries (`<key>.lock`), as kubelogin does: the first of N
 * concurrent cold calls creates the lock (a hard link to a written temp file, so it is never empty)
 * and does the STS work; the others poll until it is gone, then read the fresh entry. A lock whose
 * holder died, or that is older than the wait bound, is broken, so a crashed holder costs at most
 * the bound and never blocks for good. Anything at a lock path that is not a regular file is never
 * opened or followed: taking the lock fails with a message that says how to remove it.
 */
import { closeSync, linkSync, openSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MAX_LOCK_BYTES, readRegularFile } from './file';

/** How a lock is held. Defaults are the real process; tests inject a clock, a sleep and a pid check. */
export interface LockOptions {
  /** Milliseconds since the epoch. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Whether a process of this host is alive. */
  isAlive: (pid: number) => boolean;
  pid: number;
  host: string;
  /** The longest a caller waits for another holder, and the age at which a lock counts as stale. */
  maxWaitMs: number;
  /** Pause between attempts. */
  pollMs: number;
  /** Told why a lock was broken (verbose). */
  onBreak?: (reason: string) => void;
}

/** Ten seconds covers a role chain of three AssumeRole calls with the SDK's retries on a slow network. */
export const LOCK_WAIT_MS = 10_000;
/**
 * How long a call waits for a live holder that is asking for an MFA code: time for a person to
 * unlock a phone and type. Past it, an interactive call asks itself and a non-interactive one fails
 * with the `eks-auth login` hint.
 */
export const MFA_LOCK_WAIT_MS = 2 * 60_000;
export const LOCK_POLL_MS = 15;

interface LockContent {
  pid: number;
  host: string;
  /** Milliseconds since the epoch, by the holder's clock. */
  at: number;
  nonce: string;
}

/** A held lock. `release` removes the file only if it is still this holder's (another may have broken it). */
export interface HeldLock {
  release(): void;
}

/** Why a lock could not be taken in time: its holder is alive and still working (or still at an MFA prompt). */
export class LockBusyError extends Error {
  constructor(
    path: string,
    readonly holderPid: number | undefined,
    waitedMs: number,
  ) {
    super(
      `${path} is still held${holderPid === undefined ? '' : ` by pid ${holderPid}`} after ${Math.round(waitedMs / 1000)} s`,
    );
    this.name = 'LockBusyError';
  }
}

/** How long to wait for a live holder. */
interface AcquireOptions {
  /**
   * Wait up to this long while the holder is alive and its lock is kept fresh, instead of breaking
   * it after `maxWaitMs`. For steps that wait for a person (an MFA prompt): a second prompt, or a
   * second AssumeRole with a code already used, is worse than waiting.
   */
  patientMs?: number;
}

/**
 * Creates the lock at `path`, waiting for (or breaking) another holder's. Throws LockBusyError when
 * a patient wait runs out, and an Error for anything at the path that is not a lock file (a link, a
 * FIFO, a device: never opened, never followed) or an I/O error other than EEXIST.
 */
export async function acquireLock(path: string, options: LockOptions, acquire: AcquireOptions = {}): Promise<HeldLock> {
  const started = options.now();
  let vanished = 0;
  // When the holder last showed it is alive, as this waiter saw it: its lock's mtime changed.
  let lastSign = started;
  let lastTouch: number | undefined;
  for (;;) {
    const content = JSON.stringify({
      pid: options.pid,
      host: options.host,
      at: options.now(),
      nonce: uniqueSuffix(),
    } satisfies LockContent);
    if (tryCreate(path, content, options.pid)) return hold(path, content, options);
    const held = readHolder(path);
    if (held.kind === 'refused')
      throw new Error(`${held.problem}, not a lock file; remove it (\`eks-auth cache clean\`)`);
    const waited = options.now() - started;
    if (held.kind === 'missing') {
      // Released between our attempt and the read: try again, at once the first time, then after a
      // pause, so a path that keeps "existing" for create and "missing" for read cannot spin.
      vanished++;
      if (waited >= options.maxWaitMs)
        throw new Error(`${path} could not be created or read for ${Math.round(waited / 1000)} s`);
      if (vanished > 1) await options.sleep(options.pollMs);
      continue;
    }
    if (lastTouch !== undefined && held.touchedAt !== lastTouch) lastSign = options.now();
    lastTouch = held.touchedAt;
    const stale = staleReason(
      held.content,
      options,
      waited,
      acquire.patientMs === undefined ? undefined : { patientMs: acquire.patientMs, lastSign },
    );
    if (stale === 'busy') throw new LockBusyError(path, held.content?.pid, waited);
    if (stale) {
      removeIf(path, held.text);
      options.onBreak?.(stale);
      continue;
    }
    await options.sleep(options.pollMs + Math.floor(Math.random() * options.pollMs));
  }
}

/** Why the holder's lock may be broken, `busy` when a patient wait ran out, undefined while it must be waited for. */
function staleReason(
  content: LockContent | undefined,
  options: LockOptions,
  waited: number,
  patience: { patientMs: number; lastSign: number } | undefined,
): string | 'busy' | undefined {
  const now = options.now();
  const here = content !== undefined && content.host === options.host && content.pid !== options.pid;
  if (here && !options.isAlive(content.pid)) return `its holder (pid ${content.pid}) has exited`;
  if (here && patience) {
    // A live holder renews its lock (hold below) while it works or waits for a person: wait for
    // it, however old its lock, until it stops renewing (suspended, hung) or patience runs out.
    if (now - patience.lastSign >= options.maxWaitMs)
      return `its holder (pid ${content.pid}) has not renewed it for ${Math.round((now - patience.lastSign) / 1000)} s`;
    return waited >= patience.patientMs ? 'busy' : undefined;
  }
  if (content && now - content.at >= options.maxWaitMs) return `it is ${Math.round((now - content.at) / 1000)} s old`;
  // An unreadable lock (its holder died between create and write) or a clock that disagrees with
  // the holder's (another host on a shared home) still cannot hold us longer than the bound.
  if (waited >= options.maxWaitMs) return `it was still held after ${options.maxWaitMs / 1000} s`;
  return undefined;
}

/**
 * A held lock: its mtime is renewed every quarter of the wait bound, so that waiters see a live
 * holder (one waiting at an MFA prompt for minutes) and never break its lock; one that stopped
 * (killed, suspended) is broken once the bound has passed since it was last renewed.
 */
function hold(path: string, content: string, options: LockOptions): HeldLock {
  const timer = setInterval(
    () => {
      try {
        const current = readRegularFile(path, MAX_LOCK_BYTES);
        // Waiters look only for a change of mtime, so the clock used here does not matter.
        if (current.kind === 'text' && current.text === content)
          utimesSync(path, current.stat.atime, new Date(current.stat.mtimeMs + 1000));
      } catch {
        // a lock that cannot be renewed is at worst broken by a waiter: one extra STS call
      }
    },
    Math.max(1, Math.floor(options.maxWaitMs / 4)),
  );
  timer.unref();
  return {
    release: () => {
      clearInterval(timer);
      removeIf(path, content);
    },
  };
}

/**
 * Creates the lock with its content in one step: the content goes to a temp file that is then
 * hard-linked to the lock path (EEXIST when held). A lock therefore never exists empty: a full
 * disk, or a process killed while writing (SIGXFSZ under `ulimit -f`), leaves at most a temp file,
 * which `cache clean` and pruning remove, and never a lock that makes every later call wait.
 */
function tryCreate(path: string, content: string, pid: number): boolean {
  const temp = join(dirname(path), `.${basename(path, '.lock')}.${pid}.${uniqueSuffix()}.tmp`);
  try {
    writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    unlinkQuietly(temp);
    throw err;
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links (some FUSE and SMB mounts): create in place instead.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS')
      return createInPlace(path, content);
    throw err;
  } finally {
    unlinkQuietly(temp);
  }
}

/** O_EXCL create and write; a failed or short write removes the file it created. */
function createInPlace(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    const written = writeSync(fd, content);
    if (written !== Buffer.byteLength(content))
      throw new Error(`short write to ${path} (${written} bytes): is the disk full?`);
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(path);
    throw err;
  }
  closeSync(fd);
  return true;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

type Holder =
  | { kind: 'text'; text: string; content: LockContent | undefined; touchedAt: number }
  | { kind: 'missing' }
  | { kind: 'refused'; problem: string };

function readHolder(path: string): Holder {
  const read = readRegularFile(path, MAX_LOCK_BYTES);
  if (read.kind !== 'text') return read;
  return { kind: 'text', text: read.text, content: parseContent(read.text), touchedAt: read.stat.mtimeMs };
}

function parseContent(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    if (
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.at === 'number' &&
      typeof value.nonce === 'string'
    ) {
      return value as LockContent;
    }
  } catch {
    // torn or foreign content: treated as unknown
  }
  return undefined;
}

/**
 * Removes the lock only while it still holds `expected`. Between the check and the unlink another
 * process could take the lock; losing that race costs one extra STS call, never a wrong answer.
 */
function removeIf(path: string, expected: string): void {
  const current = readRegularFile(path, MAX_LOCK_BYTES);
  if (current.kind !== 'text' || current.text !== expected) return;
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A suffix that tells this attempt's lock or temp file from any other's; not a secret, so no node:crypto. */
export function uniqueSuffix(): string {
  return Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, '0');
}
