/** Runs `eks-auth token` from parsed flags: shared by the fast path (bin.ts) and the yargs command. */
import { getToken } from '../usecases/token';
import { createDeps, withCache } from './deps';
import { runAction } from './run';
import { toTokenOptions, type TokenArgs } from './token-args';

export function runToken(args: TokenArgs): Promise<void> {
  const verbose = args.verbose === true;
  return runAction(verbose, async () => {
    const options = toTokenOptions(args);
    return getToken(
      {
        ...options,
        execInfo: process.env.KUBERNETES_EXEC_INFO,
        // Asked only on a cache miss: node:tty loads node:net and the streams, milliseconds a call.
        // isatty(0) rather than process.stdin, which would also build a stream.
        stdinIsTerminal: () => (require('node:tty') as typeof import('node:tty')).isatty(0),
      },
      withCache(args.cache !== false, createDeps({ verbose })),
    );
  });
}
