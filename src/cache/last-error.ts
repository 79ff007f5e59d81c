/**
 * The last failure of `eks-auth token`, for users whose kubectl runs inside an IDE or GUI client
 * that hides the plugin's stderr: `last-error.json` in the cache directory ($KUBECACHEDIR/eks-auth),
 * written with the cache's rules (0700 directory owned by the user, 0600 file, temp file + rename,
 * never through a symlink), removed by the next success, shown by `eks-auth doctor --last`.
 *
 * It holds the `error:` and `hint:` lines the user would have seen: never a token or a secret.
 */
import { existsSync, lstatSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../util/is-record';
import { openDirectory, unsafeReason } from './dir';

export const LAST_ERROR_FILE = 'last-error.json';

/** What `doctor --last` shows. */
export interface LastError {
  /** When it failed, RFC 3339 UTC. */
  time: string;
  command: 'token';
  /** The cluster the token was for, when the command line named one. */
  cluster: string | null;
  exitCode: number;
  reason: string | null;
  /** The `error:` line, without the prefix. */
  error: string;
  /** The `hint:` line, without the prefix. */
  hint: string | null;
}

/** Writes the record atomically; returns why it could not (an unsafe directory, a failed write). */
export function writeLastError(dir: string, record: LastError, uid: number | undefined): string | undefined {
  const file = join(dir, LAST_ERROR_FILE);
  let temp: string | undefined;
  try {
    // Checked and named as the cache does (openDirectory): a symlinked or swapped directory is not written through.
    const opened = openDirectory(dir, uid, true);
    if (opened === 'missing') return `${dir} could not be created`;
    if (typeof opened === 'string') return opened;
    temp = join(
      opened.base,
      `.${LAST_ERROR_FILE}.${Date.now().toString(16)}.${Math.random().toString(16).slice(2, 10)}.tmp`,
    );
    // `wx` refuses a file (or planted symlink) already at the temp path; rename replaces a link, never follows it.
    writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, join(opened.base, LAST_ERROR_FILE));
    return undefined;
  } catch (err) {
    try {
      if (temp) unlinkSync(temp);
    } catch {
      // never created
    }
    return `cannot write ${file}: ${(err as Error).message}`;
  }
}

/**
 * Removes the record after a success. On the token hot path: one existence check (a stat, no
 * exception when absent) unless a failure left the file there.
 */
export function clearLastError(dir: string): void {
  const file = join(dir, LAST_ERROR_FILE);
  if (!existsSync(file)) return;
  try {
    unlinkSync(file);
  } catch {
    // gone already, or the directory is not ours to change: doctor --last then shows an old failure with its time
  }
}

/** The record, undefined when there is none, or why it cannot be trusted (`{problem}`). */
export function readLastError(dir: string, uid: number | undefined): LastError | undefined | { problem: string } {
  const file = join(dir, LAST_ERROR_FILE);
  const dirStat = lstatSync(dir, { throwIfNoEntry: false });
  if (dirStat === undefined) return undefined;
  const dirProblem = unsafeReason(dirStat, dir, uid, 'directory');
  if (dirProblem) return { problem: dirProblem };
  const stat = lstatSync(file, { throwIfNoEntry: false });
  if (stat === undefined) return undefined;
  const problem = stat.isSymbolicLink() ? `${file} is a symbolic link` : unsafeReason(stat, file, uid, 'file');
  if (problem) return { problem };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { problem: `${file} is not readable JSON: ${(err as Error).message}` };
  }
  if (
    !isRecord(value) ||
    typeof value.error !== 'string' ||
    typeof value.time !== 'string' ||
    typeof value.exitCode !== 'number'
  ) {
    return { problem: `${file} is not a last-error record` };
  }
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    time: value.time,
    command: 'token',
    cluster: text(value.cluster),
    exitCode: value.exitCode,
    reason: text(value.reason),
    error: value.error,
    hint: text(value.hint),
  };
}
