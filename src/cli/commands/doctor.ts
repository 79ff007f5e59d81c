/** `eks-auth doctor` for yargs: builds the real ports and prints the report, or the last token failure with --last. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { explain, type AwsAuthSource, type ClusterApi, type ExplainReport } from '../../usecases/explain';
import type { IamPort } from '../../aws/iam-client';
import { verify } from '../../usecases/verify';
import { whoami } from '../../usecases/whoami';
import { cacheDirectory } from '../../cache/dir';
import { readLastError, type LastError } from '../../cache/last-error';
import { EksAuthError, ExitCode, isEksAuthError } from '../../errors';
import { fetchServerDate } from '../../aws/server-date';
import { createKubeApiPort } from '../../kube/api-request';
import type { Deps } from '../../ports';
import { createHttpsGet } from '../../token/verify';
import {
  doctor,
  explainedPolicies,
  explainVerdict,
  formatDoctorJson,
  type AccessPolicyAssociation,
  formatDoctorText,
  type DoctorDeps,
  type DoctorExplainRequest,
  type DoctorExplainVerdict,
} from '../../usecases/doctor';
import { SESSION_CACHE_OPTION } from '../aws-options';
import { createDeps, verifierHttpSettings, withCache } from '../deps';
import { redact, writeStdout } from '../stdio';
import { runAction } from '../run';
import { authenticatorArgv, parseTokenArgv, toTokenOptions } from '../token-args';
import { kubectlFromPath } from '../../kube/kubectl';

interface DoctorArgs {
  context?: string;
  kubeconfig?: string;
  namespace?: string;
  verb?: string;
  resource?: string;
  'aws-auth'?: string;
  last?: boolean;
  cache?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** exec.LookPath as kubectl runs it: a name is searched on PATH, a path must be an executable file. */
function findCommand(command: string, path = process.env.PATH ?? ''): string | undefined {
  const executable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/') || command.includes('\\')) return executable(command) ? command : undefined;
  const exts = process.platform === 'win32' ? ['', '.exe', '.cmd', '.bat'] : [''];
  for (const dir of path.split(delimiter)) {
    for (const ext of exts) {
      const file = join(dir === '' ? '.' : dir, command + ext);
      if (executable(file)) return file;
    }
  }
  return undefined;
}

/** `eks-auth token …` arguments, read by the token command's own parser. */
function parseTokenArgs(args: readonly string[]) {
  const parsed = parseTokenArgv(authenticatorArgv(args));
  if (parsed === undefined) {
    throw new EksAuthError(ExitCode.usage, `eks-auth cannot parse the exec arguments "${args.join(' ')}"`, {
      hint: 'run the same command by hand to see the message, or rewrite the entry with eks-auth kubeconfig --cluster NAME',
      reason: 'usage',
    });
  }
  const { output: _output, verbose: _verbose, ...aws } = toTokenOptions(parsed);
  return aws;
}

/**
 * The EKS and IAM reads of explain with the credentials, region and EKS endpoint doctor already
 * resolved from the exec entry: no second credential resolution (or MFA prompt).
 */
function clusterApiFor(req: DoctorExplainRequest): () => Promise<ClusterApi> {
  return async () => {
    const { createEksPort } = await import('../../aws/eks-client');
    const eks = createEksPort({
      region: req.region,
      credentials: req.credentials,
      ...(req.eksEndpoint ? { endpoint: req.eksEndpoint } : {}),
    });
    let iam: IamPort | undefined;
    return {
      eks,
      async roleCreatedAt(roleName: string): Promise<Date> {
        if (!iam) {
          const { createIamPort } = await import('../../aws/iam-client');
          iam = createIamPort({ region: req.region, credentials: req.credentials });
        }
        return (await iam.getRole(roleName)).createDate;
      },
      close() {
        eks.close();
        iam?.close();
      },
    };
  };
}

/** explain for the exec entry's cluster, as `eks-auth explain --cluster` runs it: access entries first, then aws-auth. */
function runExplain(deps: Deps, req: DoctorExplainRequest, awsAuth: AwsAuthSource | undefined): Promise<ExplainReport> {
  return explain(
    {
      ...(awsAuth ? { awsAuth } : {}),
      identity: {
        kind: 'arn',
        arn: req.arn,
        accessKeyId: req.accessKeyId,
        ...(req.sessionName ? { sessionName: req.sessionName } : {}),
      },
      cluster: { name: req.cluster, aws: { region: req.region } },
    },
    {
      files: deps.files,
      kubectl: kubectlFromPath,
      log: deps.log,
      // Doctor hands explain the identity STS already answered: these two are not reached for an ARN.
      verify: (input) => verify(input, { now: deps.now, log: deps.log, httpGet: createHttpsGet() }),
      whoami: (aws) => whoami(aws, deps),
      clusterApi: clusterApiFor(req),
    },
  );
}

/** The explain use case, reduced to the verdict the mapping link prints. */
function explainWith(deps: Deps): (req: DoctorExplainRequest) => Promise<DoctorExplainVerdict> {
  return async (req) => {
    if (req.awsAuthFile) return explainVerdict(await runExplain(deps, req, { kind: 'file', path: req.awsAuthFile }));
    const fromCluster: AwsAuthSource = {
      kind: 'cluster',
      context: req.context,
      ...(req.kubeconfig ? { kubeconfig: req.kubeconfig } : {}),
    };
    try {
      return explainVerdict(await runExplain(deps, req, fromCluster));
    } catch (err) {
      // A caller the cluster refuses cannot read aws-auth through kubectl: the access entries may still answer.
      let report: ExplainReport;
      try {
        report = await runExplain(deps, req, undefined);
      } catch {
        throw err;
      }
      const verdict = explainVerdict(report);
      if (verdict.mapped) return verdict;
      const why = isEksAuthError(err) ? err.message : String(err);
      return {
        ...verdict,
        message: `${verdict.message}; aws-auth not read: ${why}`,
        hint: verdict.hint ?? 'pass --aws-auth FILE with a copy of kube-system/aws-auth to check it too',
      };
    }
  };
}

/** The access policies of the caller's access entry, as explain reads them; undefined when none maps it. */
function accessPoliciesWith(deps: Deps): (req: DoctorExplainRequest) => Promise<AccessPolicyAssociation[] | undefined> {
  return async (req) => {
    const awsAuth: AwsAuthSource | undefined = req.awsAuthFile ? { kind: 'file', path: req.awsAuthFile } : undefined;
    try {
      return explainedPolicies(await runExplain(deps, req, awsAuth));
    } catch (err) {
      // Mode CONFIG_MAP (or entries unreadable): no access policies apply, or none can be read.
      deps.log.verbose(`access policies not read: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
}

function formatLast(last: LastError | undefined, json: boolean): string {
  if (json) return `${JSON.stringify(last ?? null)}\n`;
  if (last === undefined) return 'no failure recorded: the last eks-auth token run succeeded, or none failed yet\n';
  const lines = [
    `eks-auth token${last.cluster ? ` --cluster ${last.cluster}` : ''} failed at ${last.time} (exit ${last.exitCode}):`,
    `error: ${last.error}`,
  ];
  if (last.hint) lines.push(`hint: ${last.hint}`);
  return `${lines.join('\n')}\n`;
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'Follow a kubeconfig context to the cluster, link by link, and name the first broken one with its fix',
  builder: (yargs) =>
    yargs
      .option('context', { type: 'string', describe: 'The kubeconfig context (default: the current context)' })
      .option('kubeconfig', {
        type: 'string',
        describe: 'Read this kubeconfig file instead of KUBECONFIG or ~/.kube/config',
      })
      .option('namespace', {
        type: 'string',
        alias: 'n',
        describe: "Where to check authorization (default: the context's namespace, else default)",
      })
      .option('verb', {
        type: 'string',
        describe: 'With --resource: the request to check, as kubectl auth can-i VERB RESOURCE (default: list pods)',
      })
      .option('resource', {
        type: 'string',
        describe: 'With --verb: a resource, resource.group or resource/subresource',
      })
      .option('aws-auth', {
        type: 'string',
        describe: 'A copy of kube-system/aws-auth for the mapping step (a caller the cluster refuses cannot read it)',
      })
      .option('last', {
        type: 'boolean',
        describe: 'Show the last failure of eks-auth token (what an IDE or GUI client hid) and exit',
      })
      .option('json', { type: 'boolean', describe: 'Print {"context", "ok", "brokenLink", "steps": […]} as JSON' })
      .option('cache', SESSION_CACHE_OPTION)
      .example('$0 doctor', 'Why does kubectl say Unauthorized for the current context?')
      .example(
        '$0 doctor --context prod --verb get --resource deployments.apps -n web',
        'May I read deployments in web?',
      )
      .example('$0 doctor --last', 'What did eks-auth token last fail with?') as never,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, async () => {
      const base = createDeps({ verbose });
      if (argv.last) {
        const last = readLastError(cacheDirectory(base.env, base.homedir), process.getuid?.());
        if (last !== undefined && 'problem' in last) {
          throw new EksAuthError(ExitCode.config, `cannot show the last error: ${last.problem}`, {
            reason: 'cache-unsafe',
          });
        }
        return formatLast(last, argv.json === true);
      }
      const withSessions = withCache(argv.cache !== false, base);
      const deps: DoctorDeps = {
        ...withSessions,
        findCommand: (command) => findCommand(command),
        parseTokenArgs,
        serverDate: (url) => fetchServerDate(url, verifierHttpSettings(base)),
        httpGet: createHttpsGet(verifierHttpSettings(base)),
        describeCluster: async (name, aws) => {
          const { createEksPort } = await import('../../aws/eks-client');
          const eks = createEksPort(aws);
          try {
            return await eks.describeCluster(name);
          } finally {
            eks.close();
          }
        },
        kubeApi: createKubeApiPort(),
        explain: explainWith(withSessions),
        accessPolicies: accessPoliciesWith(withSessions),
      };
      const report = await doctor(
        {
          ...(argv.context ? { context: argv.context } : {}),
          ...(argv.kubeconfig ? { kubeconfig: argv.kubeconfig } : {}),
          ...(argv.namespace ? { namespace: argv.namespace } : {}),
          ...(argv.verb ? { verb: argv.verb } : {}),
          ...(argv.resource ? { resource: argv.resource } : {}),
          ...(argv['aws-auth'] ? { awsAuthFile: argv['aws-auth'] } : {}),
          interactive: process.stdin.isTTY === true,
        },
        deps,
      );
      // Defence in depth: no token or registered secret reaches stdout either.
      writeStdout(redact(argv.json ? formatDoctorJson(report) : formatDoctorText(report)));
      return report.ok ? ExitCode.ok : ExitCode.linkBroken;
    });
  },
};
