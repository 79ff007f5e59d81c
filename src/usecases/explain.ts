/**
 * `eks-auth explain`: applies the aws-auth ConfigMap to an identity and tells which Kubernetes
 * username and groups it gets, or why nothing matches and which entry came closest.
 *
 * The identity is an input union, as the ConfigMap source is: an ARN as given, the identity behind
 * a token (verified with STS through the injected `verify`), or the identity the credential flags
 * resolve to (through the injected `whoami`).
 */
import { parsePrincipal, stripRolePath } from '../aws/arn';
import { EksAuthError, ExitCode } from '../errors';
import { FILE_NOT_YAML, parseAwsAuth, type AwsAuthEntry } from '../kube/aws-auth';
import { mapIdentity, type MappingResult } from '../kube/aws-auth-map';
import type { AwsInput } from '../aws/resolve';
import type { FilePort, Logger } from '../ports';
import type { VerifyInput, VerifyReport } from './verify';
import type { WhoamiResult } from './whoami';
import { contextIdentity } from '../kube/context-identity';
import type { KubeconfigFile } from '../kube/kubeconfig-file';

/** Who to explain: an ARN as STS reports it (or an IAM role/user ARN), plus what templates may use. */
export interface ExplainIdentity {
  arn: string;
  /** Overrides the session name taken from an assumed-role ARN. */
  sessionName?: string;
  /** For {{AccessKeyID}}; known when the identity comes from a token or credentials. */
  accessKeyId?: string;
}

/** Where the ConfigMap comes from: a file, or the cluster through kubectl. */
export type AwsAuthSource = { kind: 'file'; path: string } | { kind: 'cluster'; kubeconfig?: string; context?: string };

/**
 * Whose access to explain: an ARN (`--arn`), the identity behind a token for a cluster (`--token`),
 * or the identity eks-auth itself would sign as with these credential flags (neither).
 */
export type ExplainIdentitySource =
  | ({ kind: 'arn' } & ExplainIdentity)
  | { kind: 'token'; token: string; clusterId: string; stsEndpoint?: string }
  | { kind: 'credentials'; aws: AwsInput };

export interface ExplainInput {
  awsAuth: AwsAuthSource;
  identity: ExplainIdentitySource;
}

/** Runs kubectl (from PATH). Throws EksAuthError when kubectl cannot be started. */
export interface KubectlPort {
  run(args: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export interface ExplainDeps {
  files: FilePort;
  kubectl: KubectlPort;
  log: Logger;
  /** The verify use case with its ports bound: reads the identity behind a token. */
  verify: (input: VerifyInput) => Promise<VerifyReport>;
  /** The whoami use case with its ports bound: the identity the credentials resolve to. */
  whoami: (input: AwsInput) => Promise<WhoamiResult>;
  /** The kubeconfig files kubectl merges (`--kubeconfig`, else KUBECONFIG, else ~/.kube/config). */
  kubeconfigs?: (explicit: string | undefined) => KubeconfigFile[];
}

export interface ExplainReport {
  arn: string;
  /** The ARN the server matches (an assumed-role session's role, without path). */
  canonicalArn: string;
  /** Where the ConfigMap was read from, for messages. */
  source: string;
  result: MappingResult;
  /** Facts about the identity and the ConfigMap worth knowing, mapped or not. */
  notes: string[];
}

/** Resolves the identity to explain: as given, by verifying the token, or by resolving the credentials. */
async function resolveIdentity(
  source: ExplainIdentitySource,
  awsAuth: AwsAuthSource,
  deps: Pick<ExplainDeps, 'verify' | 'whoami' | 'kubeconfigs' | 'log'>,
): Promise<ExplainIdentity> {
  switch (source.kind) {
    case 'arn': {
      const { kind: _, ...identity } = source;
      return identity;
    }
    case 'token': {
      const report = await deps.verify({
        token: source.token,
        clusterId: source.clusterId,
        ...(source.stsEndpoint === undefined ? {} : { stsEndpoint: source.stsEndpoint }),
      });
      return {
        arn: report.arn,
        accessKeyId: report.accessKeyId,
        ...(report.sessionName === undefined ? {} : { sessionName: report.sessionName }),
      };
    }
    case 'credentials': {
      let aws = source.aws;
      if (awsAuth.kind === 'cluster' && Object.keys(aws).length === 0 && deps.kubeconfigs) {
        // No credential flags: explain the identity the context's own user signs in with, the one
        // kubectl presents to this cluster, not whatever the shell's AWS settings resolve to.
        const ctx = contextIdentity(deps.kubeconfigs(awsAuth.kubeconfig), awsAuth.context);
        if ('aws' in ctx) {
          aws = ctx.aws;
          deps.log.verbose(`explaining the identity of context ${ctx.context} (user ${ctx.user}): ${JSON.stringify(ctx.aws)}`);
        } else {
          deps.log.warn(`explaining the identity of your AWS settings, not the context's: ${ctx.why}`);
        }
      }
      const who = await deps.whoami(aws);
      return { arn: who.arn, accessKeyId: who.accessKeyId };
    }
  }
}

async function readFromCluster(source: { kubeconfig?: string; context?: string }, kubectl: KubectlPort): Promise<string> {
  const args = ['get', 'configmap', 'aws-auth', '--namespace', 'kube-system', '--output', 'json'];
  if (source.kubeconfig) args.push('--kubeconfig', source.kubeconfig);
  if (source.context) args.push('--context', source.context);
  const { exitCode, stdout, stderr } = await kubectl.run(args);
  if (exitCode === 0) return stdout;
  const said = stderr.trim().split('\n').pop() ?? '';
  if (/NotFound|not found/.test(stderr)) {
    throw new EksAuthError(ExitCode.config, 'the cluster has no ConfigMap kube-system/aws-auth', {
      reason: 'no-aws-auth',
      hint: 'the cluster may use EKS access entries only (authentication mode API): see aws eks list-access-entries',
    });
  }
  if (/Unauthorized|must be logged in|Forbidden/i.test(stderr)) {
    throw new EksAuthError(ExitCode.credentials, `kubectl may not read kube-system/aws-auth: ${said}`, {
      reason: 'kubectl-denied',
      hint: 'run explain with --aws-auth FILE on a copy of the ConfigMap, or with a kubeconfig/context that can read it',
    });
  }
  if (/Unable to connect|connection refused|no such host|i\/o timeout/i.test(stderr)) {
    throw new EksAuthError(ExitCode.network, `kubectl could not reach the cluster: ${said}`, { reason: 'kubectl-network' });
  }
  throw new EksAuthError(ExitCode.config, `kubectl get configmap aws-auth failed (exit ${exitCode}): ${said}`, {
    reason: 'kubectl-failed',
    hint: 'check --kubeconfig and --context',
  });
}

function readFile(path: string, files: FilePort): string {
  let text: string | undefined;
  try {
    text = files.readText(path);
  } catch (err) {
    throw new EksAuthError(ExitCode.config, `could not read ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      reason: 'unreadable-file',
    });
  }
  if (text === undefined) {
    throw new EksAuthError(ExitCode.config, `${path} does not exist`, {
      reason: 'no-aws-auth',
      hint: 'save the ConfigMap with kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml, or use --from-cluster',
    });
  }
  return text;
}

/** Maps the identity through aws-auth. Resolves whether or not it is mapped: see `result.mapped`. */
export async function explain(input: ExplainInput, deps: ExplainDeps): Promise<ExplainReport> {
  const identity = await resolveIdentity(input.identity, input.awsAuth, deps);
  const principal = parsePrincipal(identity.arn);
  const notes: string[] = [];
  let canonicalArn = principal.canonicalArn;
  if (principal.kind === 'role' && principal.path !== '/') {
    // A role's sessions are reported as assumed-role/NAME/SESSION: the path is gone by the time EKS maps them.
    canonicalArn = stripRolePath(principal.arn);
    notes.push(`sessions of this role reach EKS as ${canonicalArn}: STS drops the role path (aws-iam-authenticator#268)`);
  }
  if (principal.kind === 'assumed-role') notes.push(`a session of role ${principal.name} is mapped by the role's ARN`);

  const text =
    input.awsAuth.kind === 'file' ? readFile(input.awsAuth.path, deps.files) : await readFromCluster(input.awsAuth, deps.kubectl);
  const source = input.awsAuth.kind === 'file' ? input.awsAuth.path : 'kube-system/aws-auth';
  // kubectl's JSON is not what anyone edits: from the cluster, lines count within each section, as
  // `kubectl edit configmap aws-auth -n kube-system` shows them under `mapRoles: |`.
  const fromCluster = input.awsAuth.kind === 'cluster';
  const awsAuth = parseAwsAuth(text, { sectionLines: fromCluster });
  if (fromCluster) notes.push('line numbers count from the first line of each data section (mapRoles, mapUsers, mapAccounts)');
  // A file that is not YAML at all explains nothing: say which file and line, not "not mapped".
  const yamlError = awsAuth.problems.find((p) => p.code === 'yaml' && p.severity === 'error');
  if (yamlError && Object.values(awsAuth.ignored).includes(FILE_NOT_YAML)) {
    throw new EksAuthError(ExitCode.config, `${source}:${yamlError.line}: ${yamlError.message}`, {
      hint: `fix the YAML (eks-auth aws-auth check ${source} lists every problem)`,
      reason: 'aws-auth-invalid',
    });
  }
  for (const p of awsAuth.problems) {
    if (p.severity === 'error') deps.log.verbose(`${source}:${p.line}: ${p.message}`);
  }
  for (const [section, why] of Object.entries(awsAuth.ignored)) {
    notes.push(`the server ignores ${section} in this ConfigMap: ${why}`);
  }
  for (const [section, state] of Object.entries(awsAuth.sections)) {
    if (state?.unreadable) notes.push(`eks-auth cannot read ${section}: ${state.unreadable}; the server may map this identity through it`);
  }

  const sessionName = identity.sessionName ?? principal.sessionName;
  const result = mapIdentity(
    {
      canonicalArn,
      account: principal.account,
      ...(sessionName === undefined ? {} : { sessionName }),
      ...(identity.accessKeyId === undefined ? {} : { accessKeyId: identity.accessKeyId }),
    },
    awsAuth,
  );
  return { arn: principal.arn, canonicalArn, source, result, notes: [...notes, ...result.notes] };
}

/** The exit-7 error for an identity that is not mapped: the reason, and the near-miss as hint. */
export function notMappedError(report: ExplainReport): EksAuthError | undefined {
  const r = report.result;
  if (r.mapped) return undefined;
  return new EksAuthError(ExitCode.notMapped, `${report.arn} is not mapped by ${report.source}: ${r.message}`, {
    reason: r.reason,
    hint:
      r.reason === 'not-mapped'
        ? (r.nearMiss?.message ??
          `add a mapRoles (or mapUsers) entry for ${report.canonicalArn}, or an EKS access entry; the cluster creator needs neither`)
        : undefined,
  });
}

function describeEntry(entry: AwsAuthEntry, source: string): string {
  const key = entry.section === 'mapRoles' ? 'rolearn' : 'userarn';
  const where = source === 'kube-system/aws-auth' ? `${source} ${entry.section} line ${entry.line}` : `${source}:${entry.line}`;
  return `${entry.section} entry ${entry.index + 1} (${where}): ${key} ${entry.arn ?? ''}`;
}

/** The report for people. */
export function formatExplainText(report: ExplainReport): string {
  const r = report.result;
  const lines = [`identity:  ${report.arn}`];
  if (report.canonicalArn !== report.arn) lines.push(`mapped as: ${report.canonicalArn}`);
  if (r.mapped) {
    lines.push(
      r.entry
        ? `matched:   ${describeEntry(r.entry, report.source)}${r.entry.arn !== report.canonicalArn ? ' (ARNs match ignoring case)' : ''}`
        : `matched:   mapAccounts (account listed; no entry for this ARN)`,
      `username:  ${r.username}`,
      `groups:    ${r.groups.length > 0 ? r.groups.join(', ') : '(none)'}`,
    );
  } else {
    lines.push(`not mapped: ${r.message}`);
    if (r.nearMiss) lines.push(`near miss: ${r.nearMiss.message}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** The stable --json shape (README "explain --json"). */
export function formatExplainJson(report: ExplainReport): string {
  const r = report.result;
  const entry = (e: AwsAuthEntry | undefined) => (e ? { section: e.section, index: e.index, line: e.line, arn: e.arn ?? null } : null);
  if (r.mapped) {
    return JSON.stringify({
      mapped: true,
      username: r.username,
      groups: r.groups,
      arn: report.arn,
      canonicalArn: report.canonicalArn,
      matchedBy: r.via,
      entry: entry(r.entry),
      notes: report.notes,
    });
  }
  return JSON.stringify({
    mapped: false,
    username: null,
    groups: [],
    arn: report.arn,
    canonicalArn: report.canonicalArn,
    reason: r.reason,
    message: r.message,
    nearMiss: r.nearMiss ? { kind: r.nearMiss.kind, ...entry(r.nearMiss.entry), message: r.nearMiss.message } : null,
    notes: report.notes,
  });
}
