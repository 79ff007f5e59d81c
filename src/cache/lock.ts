/**
 * Per-key lock files beside the cache entries (`<key>.lock`), as kubelogin does: the first of N
 * concurrent cold calls creates the lock (O_EXCL) and does the STS work; the others poll until it
 * is gone, then read the fresh entry. A lock whose holder died, or that is older than the wait
 * bound, is broken, so a crashed holder costs at most the bound and never blocks for good.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

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

/** Creates the lock at `path`, waiting for (or breaking) another holder's; throws only on I/O errors other than EEXIST. */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const started = options.now();
  for (;;) {
    const content = JSON.stringify({ pid: options.pid, host: options.host, at: options.now(), nonce: uniqueSuffix() } satisfies LockContent);
    if (tryCreate(path, content)) return { release: () => removeIf(path, content) };
    const held = readHolder(path);
    if (held === undefined) continue; // released between our attempt and the read: try again at once
    const stale = staleReason(held.content, options, started);
    if (stale) {
      removeIf(path, held.text);
      options.onBreak?.(stale);
      continue;
    }
    await options.sleep(options.pollMs + Math.floor(Math.random() * options.pollMs));
  }
}

/** Why the holder's lock may be broken, or undefined while it must be waited for. */
function staleReason(content: LockContent | undefined, options: LockOptions, started: number): string | undefined {
  const now = options.now();
  if (content && content.host === options.host && content.pid !== options.pid && !options.isAlive(content.pid)) {
    return `its holder (pid ${content.pid}) has exited`;
  }
  if (content && now - content.at >= options.maxWaitMs) return `it is ${Math.round((now - content.at) / 1000)} s old`;
  // An unreadable lock (its holder died between create and write) or a clock that disagrees with
  // the holder's (another host on a shared home) still cannot hold us longer than the bound.
  if (now - started >= options.maxWaitMs) return `it was still held after ${options.maxWaitMs / 1000} s`;
  return undefined;
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): { text: string; content: LockContent | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { text, content: parseContent(text) };
}

function parseContent(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.at === 'number' && typeof value.nonce === 'string') {
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
  try {
    if (readFileSync(path, 'utf8') === expected) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A suffix that tells this attempt's lock or temp file from any other's; not a secret, so no node:crypto. */
export function uniqueSuffix(): string {
  return Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
}
