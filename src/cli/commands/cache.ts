/** `eks-auth cache list` and `eks-auth cache clean` for yargs. */
import type { Argv, CommandModule } from 'yargs';
import { cleanCache, listCache } from '../../usecases/cache';
import type { CacheDeps } from '../../usecases/cache';
import { createDeps, defaultStoreOptions } from '../deps';
import { runAction } from '../run';

interface CacheArgs {
  verbose?: boolean;
  json?: boolean;
  profile?: string;
  cluster?: string;
}

function cacheDeps(verbose: boolean): CacheDeps {
  const deps = createDeps({ verbose });
  return { ...deps, store: defaultStoreOptions(deps) };
}

const listCommand: CommandModule<object, CacheArgs> = {
  command: 'list',
  describe: 'List cached tokens and role sessions: key, kind, expiry, profile, cluster, role (never a secret)',
  builder: (yargs) =>
    yargs.option('json', { type: 'boolean', default: false, describe: 'Print JSON' }) as Argv<CacheArgs>,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, () => listCache({ json: argv.json === true }, cacheDeps(verbose)));
  },
};

const cleanCommand: CommandModule<object, CacheArgs> = {
  command: 'clean',
  describe: 'Remove cached entries: all of them, or those of a profile and/or a cluster',
  builder: (yargs) =>
    yargs
      .options({
        profile: { type: 'string', describe: 'Only entries made for this profile or for a profile chained through it' },
        cluster: { type: 'string', describe: 'Only tokens for this cluster' },
      })
      .example('$0 cache clean', 'Remove everything')
      .example('$0 cache clean --profile admin', 'Forget the sessions and tokens of profile admin') as Argv<CacheArgs>,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, () =>
      cleanCache(
        {
          ...(argv.profile !== undefined ? { profile: argv.profile } : {}),
          ...(argv.cluster !== undefined ? { cluster: argv.cluster } : {}),
        },
        cacheDeps(verbose),
      ),
    );
  },
};

/** `eks-auth cache <list|clean>`. */
export const cacheCommand: CommandModule<object, CacheArgs> = {
  command: 'cache',
  describe: 'Show or clear the token and role-session cache ($KUBECACHEDIR/eks-auth, default ~/.kube/cache/eks-auth)',
  builder: (yargs) =>
    yargs.command(listCommand).command(cleanCommand).demandCommand(1, 'cache needs list or clean') as Argv<CacheArgs>,
  handler: () => {},
};
