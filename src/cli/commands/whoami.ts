/** `eks-auth whoami`: the identity the cluster will see. */
import type { CommandModule } from 'yargs';
import { createHttpsGet } from '../../token/verify';
import { explain } from '../../usecases/explain';
import { verify } from '../../usecases/verify';
import { formatWhoami, whoami, whoamiOnCluster } from '../../usecases/whoami';
import { openClusterApi } from '../cluster-api';
import { kubectlFromPath } from '../../kube/kubectl';
import { awsYargsOptions, SESSION_CACHE_OPTION, type AwsArgs } from '../aws-options';
import { toAwsInput } from '../token-args';
import { createDeps, withCache } from '../deps';
import { runAction } from '../run';

interface WhoamiArgs extends AwsArgs {
  cache?: boolean;
  cluster?: string;
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
      .option('cluster', {
        type: 'string',
        describe: "Also show the username, groups and access policies this cluster's access entries give (EKS API)",
      })
      .option('json', { type: 'boolean', describe: 'Print JSON' })
      .example('$0 whoami --profile dev', 'Which role will kubectl act as with profile dev?')
      .example('$0 whoami --profile dev --cluster demo', 'And what does cluster demo make of it?') as never,
  handler: (argv) =>
    runAction(argv.verbose === true, async () => {
      const deps = withCache(argv.cache !== false, createDeps({ verbose: argv.verbose === true }));
      // Warnings are part of the result here; printing them again from the resolver would repeat them.
      const quiet = { ...deps, log: { ...deps.log, warn: deps.log.verbose } };
      const result = await whoami(toAwsInput(argv), quiet);
      if (!argv.cluster) return formatWhoami(result, argv.json === true);
      const cluster = await whoamiOnCluster(result, { name: argv.cluster, aws: toAwsInput(argv) }, (input) =>
        explain(input, {
          files: deps.files,
          kubectl: kubectlFromPath,
          log: deps.log,
          verify: (v) => verify(v, { now: deps.now, log: deps.log, httpGet: createHttpsGet() }),
          whoami: (aws) => whoami(aws, quiet),
          clusterApi: (aws) => openClusterApi(aws, quiet),
        }),
      );
      return formatWhoami(result, argv.json === true, cluster);
    }),
};
