/** `eks-auth whoami`: the identity the cluster will see. */
import type { CommandModule } from 'yargs';
import { formatWhoami, whoami } from '../../usecases/whoami';
import { awsYargsOptions, SESSION_CACHE_OPTION, type AwsArgs } from '../aws-options';
import { toAwsInput } from '../token-args';
import { createDeps, withCache } from '../deps';
import { runAction } from '../run';

interface WhoamiArgs extends AwsArgs {
  cache?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export const whoamiCommand: CommandModule<object, WhoamiArgs> = {
  command: 'whoami',
  describe: 'Show the AWS identity eks-auth signs with, the ARN EKS maps, and where the credentials came from',
  builder: (yargs) =>
    yargs
      .options(awsYargsOptions())
      .option('cache', SESSION_CACHE_OPTION)
      .option('json', { type: 'boolean', describe: 'Print JSON' })
      .example('$0 whoami --profile dev', 'Which role will kubectl act as with profile dev?') as never,
  handler: (argv) =>
    runAction(argv.verbose === true, async () => {
      const deps = withCache(argv.cache !== false, createDeps({ verbose: argv.verbose === true }));
      // Warnings are part of the result here; printing them again from the resolver would repeat them.
      const quiet = { ...deps, log: { ...deps.log, warn: deps.log.verbose } };
      return formatWhoami(await whoami(toAwsInput(argv), quiet), argv.json === true);
    }),
};
