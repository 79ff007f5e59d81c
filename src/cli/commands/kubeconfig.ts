/** `eks-auth kubeconfig` and `eks-auth kubeconfig migrate` for yargs. */
import type { Argv, CommandModule } from 'yargs';
import { kubeconfig } from '../../usecases/kubeconfig';
import { kubeconfigMigrate } from '../../usecases/kubeconfig-migrate';
import { EksAuthError, ExitCode } from '../../errors';
import { SESSION_CACHE_OPTION } from '../aws-options';
import { createDeps, lookupCluster, withCache } from '../deps';
import { runAction } from '../run';
import { invokedAsKubectlPlugin, runningExecutable } from '../self';

interface KubeconfigArgs {
  verbose?: boolean;
  cache?: boolean;
  cluster?: string;
  region?: string;
  profile?: string;
  'role-arn'?: string;
  'session-name'?: string;
  'external-id'?: string;
  alias?: string;
  'user-alias'?: string;
  kubeconfig?: string;
  'dry-run'?: boolean;
  switch?: boolean;
  server?: string;
  'certificate-authority'?: string;
  'ca-data'?: string;
  'absolute-command'?: boolean;
  'kubectl-plugin'?: boolean;
}

const KUBECTL_PLUGIN_OPTION = {
  type: 'boolean',
  default: invokedAsKubectlPlugin(),
  defaultDescription: 'true when run as `kubectl eks-auth`',
  describe: 'Write entries that run `kubectl eks-auth token …` (the kubectl plugin) instead of `eks-auth token …`',
} as const;

const migrateCommand: CommandModule<object, KubeconfigArgs> = {
  command: 'migrate',
  describe: 'Rewrite users that run `aws eks get-token` or `aws-iam-authenticator token` to run eks-auth',
  builder: (yargs) =>
    yargs
      .option('kubeconfig', {
        type: 'string',
        describe: 'The file to migrate (default: every KUBECONFIG file, else ~/.kube/config)',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Show what would change without writing' })
      .option('absolute-command', {
        type: 'boolean',
        default: false,
        describe: 'Write the absolute path of this eks-auth as the command',
      })
      .option('kubectl-plugin', KUBECTL_PLUGIN_OPTION)
      .example('$0 kubeconfig migrate --dry-run', 'Show the users that would change') as Argv<KubeconfigArgs>,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, async () => {
      const deps = createDeps({ verbose });
      return kubeconfigMigrate(
        {
          ...(argv.kubeconfig ? { kubeconfig: argv.kubeconfig } : {}),
          dryRun: argv['dry-run'] === true,
          ...launcher(argv),
        },
        deps,
      );
    });
  },
};

/** `eks-auth kubeconfig`, with `migrate` as its subcommand. */
export const kubeconfigCommand: CommandModule<object, KubeconfigArgs> = {
  command: 'kubeconfig',
  describe: 'Write or update the kubeconfig entries of an EKS cluster, with a user that runs eks-auth',
  builder: (yargs) =>
    yargs
      .command(migrateCommand)
      .options({
        cluster: { type: 'string', global: false, describe: 'EKS cluster name' },
        region: {
          type: 'string',
          global: false,
          describe: "The cluster's region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)",
        },
        profile: {
          type: 'string',
          global: false,
          describe: 'AWS profile for the lookup, written as AWS_PROFILE in the entry (default: AWS_PROFILE)',
        },
        'role-arn': { type: 'string', global: false, describe: 'Role the token assumes (also used for the lookup)' },
        'session-name': { type: 'string', global: false, describe: 'Role session name for --role-arn' },
        'external-id': { type: 'string', global: false, describe: 'External id for --role-arn' },
        alias: { type: 'string', global: false, describe: 'Name of the context and user (default: the cluster ARN)' },
        'user-alias': {
          type: 'string',
          global: false,
          describe: 'Name of the user (default: --alias, else the cluster ARN)',
        },
        kubeconfig: {
          type: 'string',
          global: false,
          describe:
            'The file to write (default: the KUBECONFIG file holding the cluster, else the first, else ~/.kube/config)',
        },
        'dry-run': {
          type: 'boolean',
          global: false,
          default: false,
          describe: 'Print the resulting kubeconfig without writing it',
        },
        switch: {
          type: 'boolean',
          global: false,
          default: true,
          describe: 'Set current-context (--no-switch leaves it)',
        },
        server: {
          type: 'string',
          global: false,
          describe: 'API server URL: skip DescribeCluster (needs a CA and the region)',
        },
        'certificate-authority': {
          type: 'string',
          global: false,
          conflicts: 'ca-data',
          describe: 'PEM file of the cluster CA, with --server (embedded as data)',
        },
        'ca-data': { type: 'string', global: false, describe: 'Base64 PEM of the cluster CA, with --server' },
        'absolute-command': {
          type: 'boolean',
          global: false,
          default: false,
          describe: 'Write the absolute path of this eks-auth as the command',
        },
        'kubectl-plugin': { ...KUBECTL_PLUGIN_OPTION, global: false },
        cache: { ...SESSION_CACHE_OPTION, group: undefined, global: false },
      })
      .example('$0 kubeconfig --cluster demo --region eu-west-1', 'Look the cluster up and add a context for it')
      .example(
        '$0 kubeconfig --cluster demo --region eu-west-1 --role-arn arn:aws:iam::111122223333:role/admin --alias demo-admin',
        'A second context that assumes a role',
      )
      .example(
        '$0 kubeconfig migrate',
        'Switch existing aws / aws-iam-authenticator users to eks-auth',
      ) as Argv<KubeconfigArgs>,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, async () => {
      if (!argv.cluster) {
        throw new EksAuthError(ExitCode.usage, 'kubeconfig needs --cluster NAME', {
          hint: 'eks-auth kubeconfig --cluster NAME --region REGION (or `eks-auth kubeconfig migrate` to convert existing users)',
        });
      }
      if ((argv['certificate-authority'] !== undefined || argv['ca-data'] !== undefined) && !argv.server) {
        throw new EksAuthError(ExitCode.usage, '--certificate-authority and --ca-data go with --server', {
          hint: 'pass --server URL too, or neither to look the cluster up with DescribeCluster',
        });
      }
      const deps = createDeps({ verbose });
      return kubeconfig(
        {
          cluster: argv.cluster,
          ...defined({
            region: argv.region,
            profile: argv.profile,
            roleArn: argv['role-arn'],
            sessionName: argv['session-name'],
            externalId: argv['external-id'],
            alias: argv.alias,
            userAlias: argv['user-alias'],
            kubeconfig: argv.kubeconfig,
            server: argv.server,
            certificateAuthorityFile: argv['certificate-authority'],
            caData: argv['ca-data'],
          }),
          ...launcher(argv),
          dryRun: argv['dry-run'] === true,
          switchContext: argv.switch !== false,
        },
        { ...deps, lookupCluster: (name, aws) => lookupCluster(name, aws, withCache(argv.cache !== false, deps)) },
      );
    });
  },
};

/**
 * The command of the entries: `eks-auth`; with --kubectl-plugin `kubectl eks-auth` (the default
 * when run as kubectl-eks_auth, which may be all that is on PATH, as after `kubectl krew install`);
 * with --absolute-command the running eks-auth by absolute path, which takes precedence.
 */
function launcher(argv: KubeconfigArgs): { absoluteCommand?: string; launchArgs?: string[] } {
  if (argv['absolute-command']) {
    const { command, launchArgs } = runningExecutable();
    return { absoluteCommand: command, ...(launchArgs.length > 0 ? { launchArgs } : {}) };
  }
  return argv['kubectl-plugin'] ? { absoluteCommand: 'kubectl', launchArgs: ['eks-auth'] } : {};
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}
