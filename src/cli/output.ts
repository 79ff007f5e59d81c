/**
 * Writes to stdout and stderr with fs.writeSync on the file descriptors. `process.stdout` and
 * `process.stderr` build a net.Socket (pipes) or tty.WriteStream (terminals) on first use, which
 * loads the stream and net modules: several milliseconds of a `eks-auth token` run, for one line.
 */
import { writeSync } from 'node:fs';

const STDOUT = 1;
const STDERR = 2;

let pause: Int32Array | undefined;

/** Writes all of `text` to `fd`, waiting out EAGAIN when the descriptor was left non-blocking by the parent. */
function writeAll(fd: number, text: string): void {
  let bytes = Buffer.from(text, 'utf8');
  while (bytes.length > 0) {
    let written: number;
    try {
      written = writeSync(fd, bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      pause ??= new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(pause, 0, 0, 1);
      continue;
    }
    bytes = bytes.subarray(written);
  }
}

/** Writes to stdout (the ExecCredential, command results). */
export function writeStdout(text: string): void {
  writeAll(STDOUT, text);
}

/** Writes to stderr as is; callers go through stderr.ts, which redacts. */
export function writeStderrRaw(text: string): void {
  try {
    writeAll(STDERR, text);
  } catch {
    // A closed stderr must not turn a message about one failure into a crash.
  }
}
