/** Runs `eks-auth token` from parsed flags: shared by the fast path (bin.ts) and the yargs command. */
import { getToken } from '../usecases/token';
import { cacheDisabledByEnv } from '../cache/dir';
import { openCache } from '../cache/store';
import type { CachePort, Deps } from '../ports';
import { createDeps } from './deps';
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

/**
 * `deps` with the on-disk cache unless --no-cache (`wanted` false) or EKS_AUTH_NO_CACHE turns it
 * off; shared with every command that resolves credentials (login, whoami, explain, kubeconfig).
 */
export function withCache(wanted: boolean, deps: Deps): Deps {
  const cache = cliCache(wanted, deps);
  return cache ? { ...deps, cache } : deps;
}

function cliCache(wanted: boolean, deps: Deps): CachePort | undefined {
  const fromEnv = cacheDisabledByEnv(deps.env);
  if (fromEnv.problem) deps.log.warn(fromEnv.problem);
  if (!wanted || fromEnv.disabled) {
    deps.log.verbose(`cache: off (${wanted ? 'EKS_AUTH_NO_CACHE' : '--no-cache'})`);
    return undefined;
  }
  return openCache(deps);
}
