/**
 * Runs a profile's `credential_process` and reads its answer, as botocore's ProcessProvider does
 * (botocore/credentials.py): the command's stdout is the JSON document (Version 1, AccessKeyId,
 * SecretAccessKey, SessionToken, Expiration); a non-zero exit is a failure whose stderr explains it.
 * The command runs through the shell, as the SDK's fromProcess (child_process.exec) ran it before.
 */
import { spawn } from 'node:child_process';
import type { AwsCredentials } from '../ports';

/** The answer is a few hundred bytes; anything beyond this is not one. */
const MAX_STDOUT_BYTES = 1024 * 1024;
/** Of stderr only the end is kept, and of that the last lines are shown. */
const STDERR_TAIL_BYTES = 8 * 1024;
const STDERR_TAIL_LINES = 5;
const STDERR_LINE_CHARS = 300;

/** A failed command: its exit status (or signal) and the last lines of its stderr, never its stdout. */
export class CredentialProcessError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly signal: string | null,
    /** The last lines of its stderr, control characters replaced; may hold secrets: print through the redactor. */
    readonly stderrTail: string[],
  ) {
    super(message);
    this.name = 'CredentialProcessError';
  }
}

/** Runs `command` and returns the credentials it prints. */
export function runCredentialProcess(command: string, now: () => Date = () => new Date()): Promise<AwsCredentials> {
  return new Promise((resolve, reject) => {
    // stdin is inherited, as botocore does (its Popen passes no stdin): a command that reads stdin
    // then sees what eks-auth was given. kubectl gives a plugin /dev/null unless the exec entry is
    // interactive and it runs in a terminal, when it passes the terminal on, so the command can
    // prompt exactly when someone can answer. A pipe that nobody writes to (the SDK's exec) made
    // such a command wait forever. stdout stays ours: it carries the ExecCredential to kubectl.
    const child = spawn(command, { shell: true, stdio: ['inherit', 'pipe', 'pipe'], windowsHide: true });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let tooLong = false;
    let stderr = Buffer.alloc(0);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) tooLong = true;
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
    });
    child.on('error', (err) =>
      reject(new CredentialProcessError(`could not start it: ${err.message}`, null, null, [])),
    );
    child.on('close', (status, signal) => {
      const tail = lastLines(stderr.toString('utf8'));
      if (status !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with status ${status}`;
        reject(new CredentialProcessError(`it ${how}`, status, signal, tail));
        return;
      }
      if (tooLong) {
        reject(new CredentialProcessError(`it printed more than ${MAX_STDOUT_BYTES} bytes`, status, signal, tail));
        return;
      }
      try {
        resolve(parseProcessOutput(Buffer.concat(stdout).toString('utf8'), now()));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** The last lines of a stderr text, each cut to a readable length, control characters (terminal escapes) shown as `?`. */
function lastLines(text: string): string[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return lines.slice(-STDERR_TAIL_LINES).map((line) => {
    let clean = '';
    for (const ch of line) {
      const c = ch.codePointAt(0) as number;
      clean += c < 0x20 || (c >= 0x7f && c < 0xa0) ? '?' : ch;
    }
    return clean.length > STDERR_LINE_CHARS ? `${clean.slice(0, STDERR_LINE_CHARS)}…` : clean;
  });
}

/**
 * The credentials in the command's stdout, checked as botocore and the SDK check them. Messages
 * name the field, never the output (it holds the secret key).
 */
function parseProcessOutput(text: string, now: Date): AwsCredentials {
  const fail = (what: string) => new CredentialProcessError(what, 0, null, []);
  let data: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text.trim()) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    data = parsed as Record<string, unknown>;
  } catch {
    throw fail('it did not print a JSON object');
  }
  if (data.Version !== 1) throw fail(`it printed Version ${JSON.stringify(data.Version) ?? 'undefined'}, not 1`);
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = data;
  if (
    typeof AccessKeyId !== 'string' ||
    AccessKeyId === '' ||
    typeof SecretAccessKey !== 'string' ||
    SecretAccessKey === ''
  ) {
    throw fail('its answer lacks AccessKeyId or SecretAccessKey');
  }
  const credentials: AwsCredentials = { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey };
  if (typeof SessionToken === 'string' && SessionToken !== '') credentials.sessionToken = SessionToken;
  if (Expiration !== undefined && Expiration !== null && Expiration !== '') {
    const expiration = typeof Expiration === 'string' ? new Date(Expiration) : new Date(Number.NaN);
    if (Number.isNaN(expiration.getTime())) throw fail('its Expiration is not an ISO 8601 time');
    if (expiration.getTime() <= now.getTime())
      throw fail(`it returned credentials that expired at ${expiration.toISOString()}`);
    credentials.expiration = expiration;
  }
  return credentials;
}
