/** Runs `eks-auth token` from parsed flags: shared by the fast path (bin.ts) and the yargs command. */
import { getToken } from '../usecases/token';
import { cacheDirectory } from '../cache/dir';
import { clearLastError, writeLastError } from '../cache/last-error';
import { isEksAuthError } from '../errors';
import type { Deps } from '../ports';
import { createDeps, withCache } from './deps';
import { runAction } from './run';
import { redact } from './stdio';
import { version } from './version';
import { tokenVerbose, toTokenOptions, withAuthenticatorEnv, type TokenArgs } from './token-args';

/**
 * `command` is how it was spelt: `token` also reads aws-iam-authenticator's environment
 * (DEFAULT_ROLE, …), `eks get-token` (the AWS CLI's spelling) does not.
 */
export function runToken(parsed: TokenArgs, command: 'token' | 'eks get-token'): Promise<void> {
  const args = command === 'token' ? withAuthenticatorEnv(parsed, process.env) : parsed;
  const verbose = tokenVerbose(args);
  return runAction(verbose, async () => {
    const deps = createDeps({ verbose });
    try {
      const options = toTokenOptions(args);
      const output = await getToken(
        {
          ...options,
          execInfo: process.env.KUBERNETES_EXEC_INFO,
        },
        withCache(args.cache !== false, deps),
      );
      // A success clears the failure an IDE may have hidden: one stat while there is none.
      clearLastError(cacheDirectory(deps.env, deps.homedir));
      return output;
    } catch (err) {
      recordFailure(err, args, deps);
      throw err;
    }
  });
}

/**
 * Keeps the failure for `eks-auth doctor --last`: GUI clients run kubectl without showing the
 * plugin's stderr. The lines are the ones stderr gets, through the same redaction.
 */
function recordFailure(err: unknown, args: TokenArgs, deps: Deps): void {
  const known = isEksAuthError(err);
  const message = known
    ? err.message
    : `unexpected failure: ${err instanceof Error ? err.message : String(err)} (eks-auth ${version()})`;
  const problem = writeLastError(
    cacheDirectory(deps.env, deps.homedir),
    {
      time: deps
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      command: 'token',
      cluster: typeof args.cluster === 'string' ? redact(args.cluster) : null,
      exitCode: known ? err.exitCode : 1,
      reason: known ? (err.reason ?? null) : null,
      error: redact(message),
      hint: known && err.hint ? redact(err.hint) : null,
    },
    process.getuid?.(),
  );
  if (problem) deps.log.verbose(`last error not kept: ${problem}`);
}
