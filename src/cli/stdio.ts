/**
 * The one writer to stdout and stderr, with fs.writeSync on the file descriptors. `process.stdout` and
 * `process.stderr` build a net.Socket (pipes) or tty.WriteStream (terminals) on first use, which
 * loads the stream and net modules: several milliseconds of a `eks-auth token` run, for one line.
 *
 * Defence in depth on stderr: every line passes through a redactor that removes bearer tokens and
 * any secret value registered during the run (secret keys, session tokens), so a message that
 * accidentally quotes one never leaks it.
 */
import { fstatSync, writeSync } from 'node:fs';
import { redactSecrets } from '../redact';

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

// C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates:
// what lets a hostile aws-auth, kubeconfig or profile move the cursor, retitle the terminal, or
// show text in another order than it is.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being looked for
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Shows control characters as `\uXXXX`. Inside a JSON string that is the same character again, so
 * JSON output read by a program is unchanged in meaning.
 */
function neutraliseControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

let stdoutIsTerminal: boolean | undefined;
let stdoutClosed = false;

/**
 * Writes to stdout (the ExecCredential, command results). Control characters are neutralised when
 * stdout is a terminal; a file or pipe gets the bytes as they are. When the reader has gone (EPIPE,
 * as with `eks-auth … | head -c1`), the output is dropped quietly and the exit code stays what the
 * command makes it: the reader chose to stop reading, nothing failed (ripgrep does the same). Node
 * ignores SIGPIPE, so there is no 141 exit unless we made one.
 */
export function writeStdout(text: string): void {
  if (stdoutClosed) return;
  CONTROL.lastIndex = 0;
  if (CONTROL.test(text)) {
    try {
      stdoutIsTerminal ??= fstatSync(STDOUT).isCharacterDevice();
    } catch {
      stdoutIsTerminal = false;
    }
    if (stdoutIsTerminal) text = neutraliseControls(text);
  }
  try {
    writeAll(STDOUT, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
    stdoutClosed = true;
  }
}

/** Writes to stderr as is; everything else goes through writeStderr, which redacts. */
function writeStderrRaw(text: string): void {
  try {
    writeAll(STDERR, text);
  } catch {
    // A closed stderr must not turn a message about one failure into a crash.
  }
}

const secrets = new Set<string>();
const TOKEN_PATTERN = /k8s-aws-v1\.[A-Za-z0-9_-]+/g;
// Presigned URLs carry the session token and signature in the query.
const SIGNED_QUERY_PATTERN = /(X-Amz-(?:Security-Token|Signature|Credential)=)[^&\s"']+/gi;

/**
 * Registers a value that must never appear on stderr (redactSecrets also removes its percent-encoded
 * form). Short values are ignored (false positives).
 */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < 8) return;
  secrets.add(value);
}

/** Removes tokens, presigned query credentials and every registered secret from a line of text. */
export function redact(text: string): string {
  return redactSecrets(
    text.replace(TOKEN_PATTERN, 'k8s-aws-v1.[redacted]').replace(SIGNED_QUERY_PATTERN, '$1[redacted]'),
    secrets,
  );
}

/** Writes a message to stderr, redacted, with control characters shown as `\uXXXX` (never sent to the terminal). */
export function writeStderr(text: string): void {
  writeStderrRaw(neutraliseControls(redact(text.endsWith('\n') ? text : `${text}\n`)));
}
