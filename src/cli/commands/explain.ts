/** `eks-auth explain` for yargs. */
import { execFile } from 'node:child_process';
import type { CommandModule } from 'yargs';
import {
  explain,
  formatExplainJson,
  formatExplainText,
  notMappedError,
  type AwsAuthSource,
  type ExplainIdentitySource,
  type KubectlPort,
} from '../../usecases/explain';
import { EksAuthError, ExitCode } from '../../errors';
import { createHttpsGet } from '../../token/replay';
import { verify } from '../../usecases/verify';
import { whoami } from '../../usecases/whoami';
import { awsYargsOptions, SESSION_CACHE_OPTION, type AwsArgs } from '../aws-options';
import { toAwsInput } from '../token-args';
import { createDeps, withCache } from '../deps';
import { kubeconfigPaths, loadKubeconfigs } from '../../kube/kubeconfig-file';
import { writeStdout } from '../output';
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
  json?: boolean;
  verbose?: boolean;
}

/** kubectl from PATH, with the user's environment (KUBECONFIG, exec plugins). */
export const kubectlFromPath: KubectlPort = {
  run: (args) =>
    new Promise((resolve, reject) => {
      execFile('kubectl', [...args], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new EksAuthError(ExitCode.config, 'kubectl is not on PATH; --from-cluster runs kubectl get configmap aws-auth', {
              reason: 'no-kubectl',
              hint: 'install kubectl, or save the ConfigMap elsewhere and pass it with --aws-auth FILE',
            }),
          );
          return;
        }
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ exitCode: code, stdout, stderr });
      });
    }),
};

function awsAuthSource(argv: ExplainArgs): AwsAuthSource {
  if (argv['aws-auth'] && argv['from-cluster']) {
    throw new EksAuthError(ExitCode.usage, '--aws-auth and --from-cluster exclude each other', { reason: 'usage' });
  }
  if (argv['aws-auth']) return { kind: 'file', path: argv['aws-auth'] };
  if (argv['from-cluster']) {
    return { kind: 'cluster', ...(argv.kubeconfig ? { kubeconfig: argv.kubeconfig } : {}), ...(argv.context ? { context: argv.context } : {}) };
  }
  throw new EksAuthError(ExitCode.usage, 'say where the aws-auth ConfigMap is: --aws-auth FILE or --from-cluster', { reason: 'usage' });
}

function identitySource(argv: ExplainArgs): ExplainIdentitySource {
  if (argv.arn && argv.token) throw new EksAuthError(ExitCode.usage, '--arn and --token exclude each other', { reason: 'usage' });
  if (argv.arn) return { kind: 'arn', arn: argv.arn };
  if (argv.token) {
    if (!argv.cluster) {
      throw new EksAuthError(ExitCode.usage, '--token needs --cluster: STS checks the token against the cluster id', { reason: 'usage' });
    }
    return { kind: 'token', token: argv.token, clusterId: argv.cluster, ...(argv['sts-endpoint'] ? { stsEndpoint: argv['sts-endpoint'] } : {}) };
  }
  // Neither: explain the identity eks-auth itself would sign as (the credential flags, as `token` takes them).
  return { kind: 'credentials', aws: toAwsInput(argv) };
}

export const explainCommand: CommandModule<object, ExplainArgs> = {
  command: 'explain',
  describe: 'Apply the aws-auth ConfigMap to an identity: Kubernetes username and groups, or why nothing matches',
  builder: (yargs) =>
    yargs
      .option('cluster', { type: 'string', alias: ['cluster-name', 'cluster-id', 'i'], describe: 'The cluster name or id (needed with --token)' })
      .option('aws-auth', { type: 'string', describe: 'Read the ConfigMap from this file (manifest, kubectl -o yaml|json output, or bare data)' })
      .option('from-cluster', { type: 'boolean', describe: 'Read the ConfigMap with kubectl get configmap aws-auth -n kube-system' })
      .option('kubeconfig', { type: 'string', describe: 'kubeconfig for --from-cluster' })
      .option('context', { type: 'string', describe: 'kubeconfig context for --from-cluster' })
      .option('arn', { type: 'string', describe: 'The identity: an ARN from aws sts get-caller-identity, or an IAM role/user ARN' })
      .option('token', { type: 'string', describe: 'The identity behind this token (verified with STS for --cluster)' })
      .option('sts-endpoint', { type: 'string', describe: 'With --token: also accept a loopback STS, https://127.0.0.1:PORT (tests only)' })
      .option('json', { type: 'boolean', describe: 'Print {"username": …, "groups": […], …} as JSON' })
      .options(awsYargsOptions())
      .option('cache', SESSION_CACHE_OPTION)
      .example('$0 explain --aws-auth aws-auth.yaml --arn arn:aws:sts::111122223333:assumed-role/dev/alice', 'What does alice get?')
      .example('$0 explain --from-cluster --profile dev', 'What does profile dev get on the current cluster?') as never,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, async () => {
      const deps = createDeps({ verbose });
      const awsAuth = awsAuthSource(argv);
      const identity = identitySource(argv);
      const report = await explain(
        { awsAuth, identity },
        {
          files: deps.files,
          kubectl: kubectlFromPath,
          log: deps.log,
          verify: (input) => verify(input, { now: deps.now, log: deps.log, httpGet: createHttpsGet() }),
          whoami: (aws) => whoami({ ...aws, interactive: process.stdin.isTTY === true }, withCache(argv.cache !== false, deps)),
          kubeconfigs: (explicit) => loadKubeconfigs(kubeconfigPaths({ explicit, env: deps.env, homedir: deps.homedir })),
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
