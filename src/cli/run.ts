/**
 * The top-level handler shared by every command: runs a use case, prints `error:`/`hint:` lines on
 * failure (the cause chain and stack only with --verbose) and sets the documented exit code.
 */
import { ExitCode, isEksAuthError, type ExitCodeValue } from '../errors';
import { writeStderr, writeStdout } from './stdio';
import { version } from './version';

/** Prints an error the way every command does and returns its exit code. */
export function reportError(err: unknown, verbose: boolean): ExitCodeValue {
  if (isEksAuthError(err)) {
    writeStderr(`error: ${err.message}`);
    if (err.hint) writeStderr(`hint: ${err.hint}`);
    if (verbose) printCauses(err);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  writeStderr(`error: unexpected failure: ${message}`);
  writeStderr(
    `hint: this is a bug in eks-auth ${version()}; please report it with the output of the same command run with --verbose`,
  );
  if (verbose && err instanceof Error && err.stack) writeStderr(err.stack);
  return ExitCode.internal;
}

function printCauses(err: Error): void {
  let cause: unknown = err.cause;
  for (let depth = 0; cause !== undefined && depth < 10; depth++) {
    if (cause instanceof Error) {
      writeStderr(`cause: ${cause.name}: ${cause.message}`);
      if (!isEksAuthError(cause) && cause.stack) writeStderr(cause.stack);
      cause = cause.cause;
    } else {
      writeStderr(`cause: ${String(cause)}`);
      break;
    }
  }
}

/**
 * Runs `action`, writes its result (if a string) to stdout, and sets process.exitCode.
 * `action` may return a number to choose a non-zero exit code itself (e.g. `verify` on rejection
 * after printing its own --json result).
 */
export async function runAction(verbose: boolean, action: () => Promise<string | number | undefined>): Promise<void> {
  try {
    const result = await action();
    if (typeof result === 'string') writeStdout(result.endsWith('\n') ? result : `${result}\n`);
    else if (typeof result === 'number') process.exitCode = result;
  } catch (err) {
    process.exitCode = reportError(err, verbose);
  }
}
