/**
 * Writing a file so that a reader sees the old text or the new one, never half of either: a new temp
 * file (0600, never through an existing file or symlink) in the same directory, then rename.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface WriteFileAtomicOptions {
  /** The temp file, in the directory of `path`; the caller names it so that its cleaners recognise it. */
  temp: string;
  /**
   * Flush the file before the rename, and the directory after it (best effort: not every platform
   * can), so that the new text survives a crash. A cache that can be rebuilt skips both.
   */
  fsync: boolean;
}

/** Writes `text` to `path` atomically with mode 0600; on failure removes the temp file and throws. */
export function writeFileAtomic(path: string, text: string, options: WriteFileAtomicOptions): void {
  const { temp } = options;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeFileSync(fd, text);
      if (options.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // The write's own error is the one to report.
    }
    throw err;
  }
  if (!options.fsync) return;
  try {
    // Makes the rename itself durable; not possible on every platform.
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // The data is written; only durability across a crash is weaker.
  }
}
