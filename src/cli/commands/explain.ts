/** `eks-auth explain` for yargs. */
import type { CommandModule } from 'yargs';
import {
  explain,
  formatExplainJson,
  formatExplainText,
  notMappedError,
  type AwsAuthSource,
  type ExplainIdentitySource,
} from '../../usecases/explain';
import { EksAuthError, ExitCode } from '../../errors';
import { kubectlFromPath } from '../../kube/kubectl';
import { createHttpsGet } from '../../token/verify';
import { verify } from '../../usecases/verify';
import { whoami } from '../../usecases/whoami';
import { awsYargsOptions, SESSION_CACHE_OPTION, type AwsArgs } from '../aws-options';
import { toAwsInput } from '../token-args';
import { openClusterApi } from '../cluster-api';
import { createDeps, verifierHttpSettings, withCache } from '../deps';
import { kubeconfigPaths, loadKubeconfigs } from '../../kube/kubeconfig-file';
import { writeStdout } from '../stdio';
import { reportError, runAction } from '../run';

interface ExplainArgs extends AwsArgs {
  cache?: boolean;
  cluster?: string;
  'aws-auth'?: string;
  'from-cluster'?: boolean;
  kubeconfig?: string;
  context?: string;
  arn?: string;
  token?: string;
  'sts-endpoint'?: string;
  'eks-api'?: boolean;
  json?: boolean;
  verbose?: boolean;
}

function awsAuthSource(argv: ExplainArgs): AwsAuthSource | undefined {
  if (argv['aws-auth'] && argv['from-cluster']) {
    throw new EksAuthError(ExitCode.usage, '--aws-auth and --from-cluster exclude each other', { reason: 'usage' });
  }
  if (argv['aws-auth']) return { kind: 'file', path: argv['aws-auth'] };
  if (argv['from-cluster']) {
    return {
      kind: 'cluster',
      ...(argv.kubeconfig ? { kubeconfig: argv.kubeconfig } : {}),
      ...(argv.context ? { context: argv.context } : {}),
    };
  }
  // With --cluster, the cluster's authentication mode decides whether aws-auth is needed at all.
  if (argv.cluster && argv['eks-api'] !== false) return undefined;
  throw new EksAuthError(
    ExitCode.usage,
    'say where the mappings are: --cluster NAME (access entries), --aws-auth FILE or --from-cluster',
    {
      reason: 'usage',
    },
  );
}

function identitySource(argv: ExplainArgs): ExplainIdentitySource {
  if (argv.arn && argv.token)
    throw new EksAuthError(ExitCode.usage, '--arn and --token exclude each other', { reason: 'usage' });
  if (argv.arn) return { kind: 'arn', arn: argv.arn };
  if (argv.token) {
    if (!argv.cluster) {
      throw new EksAuthError(ExitCode.usage, '--token needs --cluster: STS checks the token against the cluster id', {
        reason: 'usage',
      });
    }
    return {
      kind: 'token',
      token: argv.token,
      clusterId: argv.cluster,
      ...(argv['sts-endpoint'] ? { stsEndpoint: argv['sts-endpoint'] } : {}),
    };
  }
  // Neither: explain the identity eks-auth itself would sign as (the credential flags, as `token` takes them).
  return { kind: 'credentials', aws: toAwsInput(argv) };
}

export const explainCommand: CommandModule<object, ExplainArgs> = {
  command: 'explain',
  describe:
    "Apply a cluster's access entries and aws-auth to an identity: Kubernetes username, groups and policies, or why nothing matches",
  builder: (yargs) =>
    yargs
      .option('cluster', {
        type: 'string',
        alias: ['cluster-name', 'cluster-id', 'i'],
        describe:
          "The cluster: read its authentication mode and access entries from the EKS API (and check --token's cluster id)",
      })
      .option('eks-api', {
        type: 'boolean',
        default: true,
        describe: 'Read the cluster from the EKS API (--no-eks-api: aws-auth alone)',
      })
      .option('aws-auth', {
        type: 'string',
        describe: 'Read the ConfigMap from this file (manifest, kubectl -o yaml|json output, or bare data)',
      })
      .option('from-cluster', {
        type: 'boolean',
        describe: 'Read the ConfigMap with kubectl get configmap aws-auth -n kube-system',
      })
      .option('kubeconfig', { type: 'string', describe: 'kubeconfig for --from-cluster' })
      .option('context', { type: 'string', describe: 'kubeconfig context for --from-cluster' })
      .option('arn', {
        type: 'string',
        describe: 'The identity: an ARN from aws sts get-caller-identity, or an IAM role/user ARN',
      })
      .option('token', { type: 'string', describe: 'The identity behind this token (verified with STS for --cluster)' })
      .option('sts-endpoint', {
        type: 'string',
        describe: 'With --token: also accept a loopback STS, https://127.0.0.1:PORT (tests only)',
      })
      .option('json', { type: 'boolean', describe: 'Print {"username": …, "groups": […], …} as JSON' })
      .options(awsYargsOptions())
      .option('cache', SESSION_CACHE_OPTION)
      .example(
        '$0 explain --aws-auth aws-auth.yaml --arn arn:aws:sts::111122223333:assumed-role/dev/alice',
        'What does alice get?',
      )
      .example('$0 explain --from-cluster --profile dev', 'What does profile dev get on the current cluster?')
      .example(
        '$0 explain --cluster demo --region eu-west-1 --profile dev',
        "What do demo's access entries (and aws-auth) give profile dev?",
      ) as never,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, async () => {
      const deps = createDeps({ verbose });
      const awsAuth = awsAuthSource(argv);
      const identity = identitySource(argv);
      const cluster =
        argv.cluster && argv['eks-api'] !== false ? { name: argv.cluster, aws: toAwsInput(argv) } : undefined;
      const report = await explain(
        { ...(awsAuth ? { awsAuth } : {}), identity, ...(cluster ? { cluster } : {}) },
        {
          files: deps.files,
          kubectl: kubectlFromPath,
          log: deps.log,
          verify: (input) =>
            verify(input, { now: deps.now, log: deps.log, httpGet: createHttpsGet(verifierHttpSettings(deps)) }),
          whoami: (aws) => whoami(aws, withCache(argv.cache !== false, deps)),
          clusterApi: (aws) => openClusterApi(aws, withCache(argv.cache !== false, deps)),
          kubeconfigs: (explicit) =>
            loadKubeconfigs(kubeconfigPaths({ explicit, env: deps.env, homedir: deps.homedir })),
        },
      );
      const failure = notMappedError(report);
      if (!failure) return argv.json ? formatExplainJson(report) : formatExplainText(report);
      if (!argv.json) throw failure;
      writeStdout(`${formatExplainJson(report)}\n`);
      return reportError(failure, verbose);
    });
  },
};
