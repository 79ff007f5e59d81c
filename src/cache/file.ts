/**
 * Reading a file of the cache directory without trusting what sits at its path. A FIFO blocks an
 * open or a read until a writer comes (forever), a device or a link to /dev/zero never ends, and a
 * huge file fills memory. Only a regular file of at most `maxBytes` is read, through a descriptor
 * opened without following links or blocking, and checked to be the file that lstat saw.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';

// Both are 0 on Windows, where FIFOs and devices cannot appear in a directory anyway.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** An entry is about 2 KiB (a token, or credentials with a session token): 64 KiB is far beyond any. */
export const MAX_ENTRY_BYTES = 64 * 1024;
/** A lock holds one line of JSON (pid, host, time, nonce). */
export const MAX_LOCK_BYTES = 4 * 1024;

type FileRead =
  | { kind: 'text'; text: string; stat: Stats }
  | { kind: 'missing' }
  | { kind: 'refused'; problem: string };

/** What kind of thing a non-regular file is, for messages: `a symbolic link`, `a FIFO`, … */
function describeType(stat: Stats): string {
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The text of the regular file at `path`, `missing` when nothing is there, else why it was not read. */
export function readRegularFile(path: string, maxBytes: number): FileRead {
  const seen = lstatSync(path, { throwIfNoEntry: false });
  if (seen === undefined) return { kind: 'missing' };
  if (!seen.isFile()) return { kind: 'refused', problem: `${path} is ${describeType(seen)}` };
  if (seen.size > maxBytes) return { kind: 'refused', problem: `${path} is ${seen.size} bytes, more than ${maxBytes}` };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'refused', problem: `${path} is a symbolic link` };
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    // Replaced between the lstat and the open: judge only what is open now.
    if (!stat.isFile()) return { kind: 'refused', problem: `${path} is ${describeType(stat)}` };
    // One byte more than allowed tells a file that grew past the bound from one that fits exactly.
    const buffer = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(stat.size, 0)) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) return { kind: 'refused', problem: `${path} is more than ${maxBytes} bytes` };
      if (length === buffer.length) break;
    }
    return { kind: 'text', text: buffer.toString('utf8', 0, length), stat };
  } finally {
    closeSync(fd);
  }
}
