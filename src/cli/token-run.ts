/** Runs `eks-auth token` from parsed flags: shared by the fast path (bin.ts) and the yargs command. */
import { isatty } from 'node:tty';
import { getToken } from '../commands/token';
import { createDeps } from './deps';
import { runAction } from './run';
import { toTokenOptions, type TokenArgs } from './token-args';

export function runToken(args: TokenArgs): Promise<void> {
  const verbose = args.verbose === true;
  return runAction(verbose, async () => {
    const options = toTokenOptions(args);
    const deps = createDeps({ verbose });
    return getToken(
      { ...options, execInfo: process.env.KUBERNETES_EXEC_INFO, // isatty(0) rather than process.stdin, which builds a stream and costs milliseconds per call.
        stdinIsTerminal: isatty(0) },
      deps,
    );
  });
}
