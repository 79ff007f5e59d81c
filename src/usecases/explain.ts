/**
 * `eks-auth explain`: tells which Kubernetes username, groups and access policies an identity gets
 * on a cluster, or why nothing matches and which entry came closest. With a cluster name it reads the
 * authentication mode and the access entries from the EKS API and applies EKS's rules
 * (kube/access-entries.ts); aws-auth comes from a file or from the cluster through kubectl.
 *
 * The identity is an input union, as the ConfigMap source is: an ARN as given, the identity behind
 * a token (verified with STS through the injected `verify`), or the identity the credential flags
 * resolve to (through the injected `whoami`).
 */
import { parsePrincipal, stripRolePath } from '../aws/arn';
import { EksAuthError, ExitCode, isEksAuthError } from '../errors';
import type { EksPort, Logger } from '../ports';
import type { AuthenticationMode } from '../types';
import {
  mapClusterIdentity,
  matchAccessEntry,
  type AccessEntry,
  type AccessEntryNearMiss,
  type AccessEntryRecord,
  type AssociatedAccessPolicy,
  type ClusterIdentity,
  type ClusterMapping,
  type MatchedBy,
  type PrincipalAge,
} from '../kube/access-entries';
import { FILE_NOT_YAML, parseAwsAuth, type AwsAuth, type AwsAuthEntry } from '../kube/aws-auth';
import type { NearMiss } from '../kube/aws-auth-map';
import type { AwsInput } from '../aws/resolve';
import { kubectlFailure } from '../kube/kubectl';
import type { Deps, FilePort, KubectlPort } from '../ports';
import type { VerifyInput, VerifyReport } from './verify';
import type { WhoamiResult } from './whoami';
import { contextIdentity } from '../kube/context-identity';
import type { KubeconfigFile } from '../kube/kubeconfig-file';

/** Who to explain: an ARN as STS reports it (or an IAM role/user ARN), plus what templates may use. */
interface ExplainIdentity {
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
  /** Where aws-auth is; optional when `cluster` is given and its mode turns out to need none. */
  awsAuth?: AwsAuthSource;
  identity: ExplainIdentitySource;
  /** Read the cluster's mode and access entries from the EKS API with these credentials (as whoami resolves them). */
  cluster?: { name: string; aws: AwsInput };
}

export interface ExplainDeps extends Pick<Deps, 'files' | 'log'> {
  kubectl: KubectlPort;
  /** The verify use case with its ports bound: reads the identity behind a token. */
  verify: (input: VerifyInput) => Promise<VerifyReport>;
  /** The whoami use case with its ports bound: the identity the credentials resolve to. */
  whoami: (input: AwsInput) => Promise<WhoamiResult>;
  /** The EKS and IAM reads, for `cluster`; without it the API is not read. */
  clusterApi?: (aws: AwsInput) => Promise<ClusterApi>;
  /** The kubeconfig files kubectl merges (`--kubeconfig`, else KUBECONFIG, else ~/.kube/config). */
  kubeconfigs?: (explicit: string | undefined) => KubeconfigFile[];
}

/** The EKS and IAM reads explain makes, credentials bound. close() releases their connections. */
export interface ClusterApi {
  eks: Pick<EksPort, 'describeCluster' | 'listAccessEntries' | 'describeAccessEntry' | 'listAssociatedAccessPolicies'>;
  /** IAM GetRole CreateDate; rejects with an Error naming the refused permission or the failure. */
  roleCreatedAt(roleName: string): Promise<Date>;
  close(): void;
}

/** What explain learnt from the EKS API about a cluster. */
export interface ClusterFacts {
  name: string;
  /** null when DescribeCluster could not be read. */
  authenticationMode: AuthenticationMode | null;
  /** Every entry listed, the matching one described; undefined when they were not read. */
  accessEntries?: AccessEntryRecord[];
  /** IAM's answer about the matched entry's role. */
  principalAge?: PrincipalAge;
}

// The EKS port is a bundle of its own, with its own copy of EksAuthError: test the shape, not the class.
const permissionOf = (err: unknown, operation: string): string =>
  isEksAuthError(err) && err.reason === 'eks-access-denied' ? ` (the identity needs eks:${operation})` : '';

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/**
 * Reads the cluster's authentication mode and, in modes API and API_AND_CONFIG_MAP, its access
 * entries: all principal ARNs, then DescribeAccessEntry, ListAssociatedAccessPolicies and IAM
 * GetRole for the one that matches. Never throws: what cannot be read becomes one warning naming the
 * permission, and the facts say what is missing.
 */
export async function readClusterFacts(
  cluster: string,
  identity: Pick<ClusterIdentity, 'canonicalArn'>,
  aws: AwsInput,
  deps: { clusterApi: (aws: AwsInput) => Promise<ClusterApi>; log: Logger },
): Promise<ClusterFacts> {
  const facts: ClusterFacts = { name: cluster, authenticationMode: null };
  const fallback = 'going on with aws-auth alone';
  let api: ClusterApi;
  try {
    api = await deps.clusterApi(aws);
  } catch (err) {
    deps.log.warn(`could not call the EKS API for cluster "${cluster}": ${oneLine(err)}; ${fallback}`);
    return facts;
  }
  try {
    try {
      const described = await api.eks.describeCluster(cluster);
      facts.authenticationMode = described.authenticationMode ?? null;
      if (!described.authenticationMode)
        deps.log.warn(`EKS did not say the authentication mode of cluster "${cluster}"; ${fallback}`);
    } catch (err) {
      deps.log.warn(
        `could not read the authentication mode of cluster "${cluster}": ${oneLine(err)}${permissionOf(err, 'DescribeCluster')}; ${fallback}`,
      );
      return facts;
    }
    // CONFIG_MAP: the access-entry API answers InvalidRequestException; it is not called.
    if (facts.authenticationMode === 'CONFIG_MAP' || facts.authenticationMode === null) return facts;
    let arns: string[];
    try {
      arns = await api.eks.listAccessEntries(cluster);
    } catch (err) {
      deps.log.warn(
        `could not list the access entries of cluster "${cluster}": ${oneLine(err)}${permissionOf(err, 'ListAccessEntries')}; ${fallback}`,
      );
      return facts;
    }
    const records: AccessEntryRecord[] = arns.map((principalArn) => ({ principalArn }));
    const matched = matchAccessEntry(arns, identity);
    const index = matched === undefined ? -1 : arns.indexOf(matched);
    if (matched !== undefined && index >= 0) {
      try {
        const [entry, policies] = await Promise.all([
          api.eks.describeAccessEntry(cluster, matched),
          api.eks.listAssociatedAccessPolicies(cluster, matched),
        ]);
        records[index] = { principalArn: matched, entry, policies };
      } catch (err) {
        const op =
          isEksAuthError(err) && /ListAssociatedAccessPolicies/.test(err.message)
            ? 'ListAssociatedAccessPolicies'
            : 'DescribeAccessEntry';
        deps.log.warn(
          `could not read the access entry for ${matched}: ${oneLine(err)}${permissionOf(err, op)}; its username, groups and policies are unknown`,
        );
      }
      const entry = records[index]?.entry;
      const roleName = /:role\//.test(matched) ? matched.split('/').pop() : undefined;
      if (roleName && entry?.createdAt) {
        try {
          facts.principalAge = { createdAt: await api.roleCreatedAt(roleName) };
        } catch (err) {
          facts.principalAge = { unchecked: oneLine(err) };
        }
      }
    }
    facts.accessEntries = records;
    return facts;
  } finally {
    api.close();
  }
}

/** The outcome, shaped as aws-auth's MappingResult was, whatever source mapped. */
type ExplainResult =
  | {
      mapped: true;
      username: string;
      groups: string[];
      via: MatchedBy;
      /** The aws-auth entry that matched (mapRoles, mapUsers). */
      entry?: AwsAuthEntry;
      accessEntry?: AccessEntry;
      accessPolicies: AssociatedAccessPolicy[];
    }
  | {
      mapped: false;
      reason: 'not-mapped' | 'template-error';
      message: string;
      /** aws-auth's closest entry, when aws-auth was read. */
      nearMiss?: NearMiss;
      /** The closest access entry, or the aws-auth entry a mode API cluster ignores. */
      accessEntryNearMiss?: AccessEntryNearMiss;
    };

export interface ExplainReport {
  arn: string;
  /** The ARN the server matches (an assumed-role session's role, without path). */
  canonicalArn: string;
  /** Where aws-auth was read from, for messages; null when it was not read. */
  source: string | null;
  /** The cluster and its authentication mode, when the EKS API was asked (mode null: not read). */
  cluster?: { name: string; authenticationMode: AuthenticationMode | null };
  result: ExplainResult;
  /** Everything the mapping found (kube/access-entries.ts). */
  mapping: ClusterMapping;
  /** Facts about the identity, the entries and the ConfigMap worth knowing, mapped or not. */
  notes: string[];
  /** Mapped, but something is wrong (e.g. an access entry that grants nothing). */
  warnings: string[];
}

/** Resolves the identity to explain: as given, by verifying the token, or by resolving the credentials. */
async function resolveIdentity(
  source: ExplainIdentitySource,
  awsAuth: AwsAuthSource | undefined,
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
      if (awsAuth?.kind === 'cluster' && Object.keys(aws).length === 0 && deps.kubeconfigs) {
        // No credential flags: explain the identity the context's own user signs in with, the one
        // kubectl presents to this cluster, not whatever the shell's AWS settings resolve to.
        const ctx = contextIdentity(deps.kubeconfigs(awsAuth.kubeconfig), awsAuth.context);
        if ('aws' in ctx) {
          aws = ctx.aws;
          deps.log.verbose(
            `explaining the identity of context ${ctx.context} (user ${ctx.user}): ${JSON.stringify(ctx.aws)}`,
          );
        } else {
          deps.log.warn(`explaining the identity of your AWS settings, not the context's: ${ctx.why}`);
        }
      }
      const who = await deps.whoami(aws);
      return { arn: who.arn, accessKeyId: who.accessKeyId };
    }
  }
}

async function readFromCluster(
  source: { kubeconfig?: string; context?: string },
  kubectl: KubectlPort,
): Promise<string> {
  const args = ['get', 'configmap', 'aws-auth', '--namespace', 'kube-system', '--output', 'json'];
  if (source.kubeconfig) args.push('--kubeconfig', source.kubeconfig);
  if (source.context) args.push('--context', source.context);
  const { exitCode, stdout, stderr } = await kubectl.run(args);
  if (exitCode === 0) return stdout;
  throw kubectlFailure(exitCode, stderr);
}

function readFile(path: string, files: FilePort): string {
  let text: string | undefined;
  try {
    text = files.readText(path);
  } catch (err) {
    throw new EksAuthError(
      ExitCode.config,
      `could not read ${path}: ${err instanceof Error ? err.message : String(err)}`,
      {
        reason: 'unreadable-file',
      },
    );
  }
  if (text === undefined) {
    throw new EksAuthError(ExitCode.config, `${path} does not exist`, {
      reason: 'no-aws-auth',
      hint: 'save the ConfigMap with kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml, or use --from-cluster',
    });
  }
  return text;
}

/** Reads and parses aws-auth; a file that is not YAML at all is an error (exit 3), not "not mapped". */
async function readAwsAuth(
  source: AwsAuthSource,
  deps: Pick<ExplainDeps, 'files' | 'kubectl' | 'log'>,
  notes: string[],
): Promise<{ config: AwsAuth; source: string }> {
  const text = source.kind === 'file' ? readFile(source.path, deps.files) : await readFromCluster(source, deps.kubectl);
  const name = source.kind === 'file' ? source.path : 'kube-system/aws-auth';
  // kubectl's JSON is not what anyone edits: from the cluster, lines count within each section, as
  // `kubectl edit configmap aws-auth -n kube-system` shows them under `mapRoles: |`.
  const fromCluster = source.kind === 'cluster';
  const config = parseAwsAuth(text, { sectionLines: fromCluster });
  if (fromCluster)
    notes.push('line numbers count from the first line of each data section (mapRoles, mapUsers, mapAccounts)');
  const yamlError = config.problems.find((p) => p.code === 'yaml' && p.severity === 'error');
  if (yamlError && Object.values(config.ignored).includes(FILE_NOT_YAML)) {
    throw new EksAuthError(ExitCode.config, `${name}:${yamlError.line}: ${yamlError.message}`, {
      hint: `fix the YAML (eks-auth aws-auth check ${name} lists every problem)`,
      reason: 'aws-auth-invalid',
    });
  }
  for (const p of config.problems) {
    if (p.severity === 'error') deps.log.verbose(`${name}:${p.line}: ${p.message}`);
  }
  for (const [section, why] of Object.entries(config.ignored)) {
    notes.push(`the server ignores ${section} in this ConfigMap: ${why}`);
  }
  for (const [section, state] of Object.entries(config.sections)) {
    if (state?.unreadable)
      notes.push(`eks-auth cannot read ${section}: ${state.unreadable}; the server may map this identity through it`);
  }
  return { config, source: name };
}

/**
 * Maps the identity as the cluster does: its access entries and/or aws-auth, by the cluster's
 * authentication mode. Resolves whether or not it is mapped: see `result.mapped`.
 */
export async function explain(input: ExplainInput, deps: ExplainDeps): Promise<ExplainReport> {
  const identity = await resolveIdentity(input.identity, input.awsAuth, deps);
  const principal = parsePrincipal(identity.arn);
  const notes: string[] = [];
  let canonicalArn = principal.canonicalArn;
  if (principal.kind === 'role' && principal.path !== '/') {
    // A role's sessions are reported as assumed-role/NAME/SESSION: the path is gone by the time EKS maps them.
    canonicalArn = stripRolePath(principal.arn);
    notes.push(
      `sessions of this role reach EKS as ${canonicalArn}: STS drops the role path (aws-iam-authenticator#268)`,
    );
  }
  if (principal.kind === 'assumed-role') notes.push(`a session of role ${principal.name} is mapped by the role's ARN`);
  const sessionName = identity.sessionName ?? principal.sessionName;
  const who: ClusterIdentity = {
    arn: principal.arn,
    canonicalArn,
    account: principal.account,
    partition: principal.partition,
    ...(sessionName === undefined ? {} : { sessionName }),
    ...(identity.accessKeyId === undefined ? {} : { accessKeyId: identity.accessKeyId }),
  };

  let facts: ClusterFacts | undefined;
  if (input.cluster && deps.clusterApi) {
    facts = await readClusterFacts(input.cluster.name, who, input.cluster.aws, {
      clusterApi: deps.clusterApi,
      log: deps.log,
    });
  }
  const mode = facts?.authenticationMode ?? null;
  // Entries that could not be read leave aws-auth alone to explain (the warning said so).
  const entriesRead = facts?.accessEntries !== undefined;
  const effectiveMode: AuthenticationMode | null = mode === 'CONFIG_MAP' || entriesRead ? mode : null;
  if (mode === 'API' && !entriesRead)
    notes.push("the cluster's authentication mode is API: it ignores aws-auth, which is all that could be read here");

  let awsAuth: { config: AwsAuth; source: string } | undefined;
  if (input.awsAuth) {
    if (effectiveMode === 'API' && input.awsAuth.kind === 'cluster') {
      notes.push("kube-system/aws-auth was not read: the cluster's authentication mode API ignores it");
    } else {
      try {
        awsAuth = await readAwsAuth(input.awsAuth, deps, notes);
      } catch (err) {
        // With access entries beside it, a cluster without aws-auth is normal.
        if (
          !(
            err instanceof EksAuthError &&
            err.reason === 'no-aws-auth' &&
            effectiveMode === 'API_AND_CONFIG_MAP' &&
            input.awsAuth.kind === 'cluster'
          )
        )
          throw err;
        notes.push('the cluster has no ConfigMap kube-system/aws-auth: access entries alone map identities');
        awsAuth = { config: parseAwsAuth(''), source: 'kube-system/aws-auth' };
      }
    }
  } else if (effectiveMode === 'CONFIG_MAP' || effectiveMode === null) {
    const why = input.cluster
      ? effectiveMode === 'CONFIG_MAP'
        ? `cluster "${input.cluster.name}" maps identities with aws-auth only (authentication mode CONFIG_MAP)`
        : `the access entries of cluster "${input.cluster.name}" could not be read`
      : 'no cluster was named';
    throw new EksAuthError(
      ExitCode.usage,
      `${why}: say where the aws-auth ConfigMap is, --aws-auth FILE or --from-cluster`,
      {
        reason: input.cluster ? 'aws-auth-needed' : 'usage',
        ...(input.cluster
          ? {}
          : { hint: 'or name the cluster with --cluster NAME to read its access entries from the EKS API' }),
      },
    );
  }

  const mapping = mapClusterIdentity({
    mode: effectiveMode,
    identity: who,
    ...(facts?.accessEntries ? { accessEntries: facts.accessEntries } : {}),
    ...(awsAuth ? { awsAuth } : {}),
    ...(facts?.principalAge ? { principalAge: facts.principalAge } : {}),
  });
  return {
    arn: principal.arn,
    canonicalArn,
    source: awsAuth?.source ?? null,
    ...(facts ? { cluster: { name: facts.name, authenticationMode: mode } } : {}),
    result: resultOf(mapping),
    mapping,
    notes: [...notes, ...mapping.notes],
    warnings: mapping.warnings,
  };
}

function resultOf(m: ClusterMapping): ExplainResult {
  if (m.mapped && m.matchedBy !== null && m.username !== null) {
    return {
      mapped: true,
      username: m.username,
      groups: m.groups,
      via: m.matchedBy,
      ...(m.awsAuth?.mapped && m.matchedBy !== 'accessEntry' && m.awsAuth.entry ? { entry: m.awsAuth.entry } : {}),
      ...(m.accessEntry ? { accessEntry: m.accessEntry } : {}),
      accessPolicies: m.accessPolicies,
    };
  }
  return {
    mapped: false,
    reason: m.reason ?? 'not-mapped',
    message: m.message ?? 'not mapped',
    ...(m.awsAuth && !m.awsAuth.mapped && m.awsAuth.nearMiss ? { nearMiss: m.awsAuth.nearMiss } : {}),
    ...(m.accessEntryNearMiss ? { accessEntryNearMiss: m.accessEntryNearMiss } : {}),
  };
}

/** The near-miss to show first: an access entry's, unless it is only a typo and aws-auth has a better one. */
function bestNearMiss(
  r: Extract<ExplainResult, { mapped: false }>,
): { message: string; json: Record<string, unknown> } | undefined {
  const entryJson = (e: AwsAuthEntry) => ({ section: e.section, index: e.index, line: e.line, arn: e.arn ?? null });
  const ae = r.accessEntryNearMiss;
  const aa = r.nearMiss;
  if (ae && !(ae.kind === 'typo' && aa)) {
    const where = ae.awsAuthEntry
      ? entryJson(ae.awsAuthEntry)
      : { section: 'accessEntry', index: null, line: null, arn: ae.arn };
    return { message: ae.message, json: { kind: ae.kind, ...where, message: ae.message } };
  }
  if (aa) return { message: aa.message, json: { kind: aa.kind, ...entryJson(aa.entry), message: aa.message } };
  return undefined;
}

function sourcesOf(report: ExplainReport): string {
  const cluster = report.cluster;
  const parts: string[] = [];
  if (cluster && (cluster.authenticationMode === 'API' || cluster.authenticationMode === 'API_AND_CONFIG_MAP')) {
    parts.push(`the access entries of cluster "${cluster.name}"`);
  }
  if (report.source !== null && cluster?.authenticationMode !== 'API') parts.push(report.source);
  return parts.join(' or ') || 'the cluster';
}

/** The exit-7 error for an identity that is not mapped: the reason, and the near-miss as hint. */
export function notMappedError(report: ExplainReport): EksAuthError | undefined {
  const r = report.result;
  if (r.mapped) return undefined;
  return new EksAuthError(ExitCode.notMapped, `${report.arn} is not mapped by ${sourcesOf(report)}: ${r.message}`, {
    reason: r.reason,
    hint:
      r.reason === 'not-mapped'
        ? (bestNearMiss(r)?.message ??
          (report.cluster?.authenticationMode === 'API' || report.cluster?.authenticationMode === 'API_AND_CONFIG_MAP'
            ? `create an access entry: aws eks create-access-entry --cluster-name ${report.cluster.name} --principal-arn ${report.canonicalArn}, then associate an access policy or give it Kubernetes groups`
            : `add a mapRoles (or mapUsers) entry for ${report.canonicalArn}, or an EKS access entry; the cluster creator needs neither`))
        : undefined,
  });
}

function describeEntry(entry: AwsAuthEntry, source: string): string {
  const key = entry.section === 'mapRoles' ? 'rolearn' : 'userarn';
  const where =
    source === 'kube-system/aws-auth' ? `${source} ${entry.section} line ${entry.line}` : `${source}:${entry.line}`;
  return `${entry.section} entry ${entry.index + 1} (${where}): ${key} ${entry.arn ?? ''}`;
}

const iso = (d: Date | undefined): string => (d ? d.toISOString().replace('.000Z', 'Z') : 'unknown');

/** The report for people. */
export function formatExplainText(report: ExplainReport): string {
  const r = report.result;
  const lines = [`identity:  ${report.arn}`];
  if (report.canonicalArn !== report.arn) lines.push(`mapped as: ${report.canonicalArn}`);
  if (report.cluster)
    lines.push(
      `cluster:   ${report.cluster.name}, authentication mode ${report.cluster.authenticationMode ?? 'unknown (not read)'}`,
    );
  if (r.mapped) {
    if (r.via === 'accessEntry' && r.accessEntry) {
      const e = r.accessEntry;
      lines.push(
        `matched:   access entry ${e.principalArn} (type ${e.type ?? 'STANDARD'}, created ${iso(e.createdAt)})`,
      );
    } else if (r.entry) {
      lines.push(
        `matched:   ${describeEntry(r.entry, report.source ?? 'aws-auth')}${r.entry.arn !== report.canonicalArn ? ' (ARNs match ignoring case)' : ''}`,
      );
    } else {
      lines.push('matched:   mapAccounts (account listed; no entry for this ARN)');
    }
    lines.push(`username:  ${r.username}`, `groups:    ${r.groups.length > 0 ? r.groups.join(', ') : '(none)'}`);
    if (r.via === 'accessEntry') {
      if (report.mapping.grants.length === 0) lines.push('policies:  (none)');
      for (const grant of report.mapping.grants) lines.push(`policy:    ${grant}`);
    }
  } else {
    lines.push(`not mapped: ${r.message}`);
    const miss = bestNearMiss(r);
    if (miss) lines.push(`near miss: ${miss.message}`);
  }
  for (const warning of report.warnings) lines.push(`problem:   ${warning}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** The stable --json shape (README "explain --json"). */
export function formatExplainJson(report: ExplainReport): string {
  const r = report.result;
  const entry = (e: AwsAuthEntry | undefined) =>
    e ? { section: e.section, index: e.index, line: e.line, arn: e.arn ?? null } : null;
  const cluster = { authenticationMode: report.cluster?.authenticationMode ?? null };
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
      ...cluster,
      accessEntry: r.accessEntry ?? null,
      accessPolicies: r.accessPolicies.map(policyJson),
      warnings: report.warnings,
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
    nearMiss: bestNearMiss(r)?.json ?? null,
    notes: report.notes,
    matchedBy: null,
    ...cluster,
    accessEntry: null,
    accessPolicies: [],
    warnings: report.warnings,
  });
}

/** `{"policyArn", "accessScope": {"type", "namespaces"}}` as the README documents them, dates as ISO 8601. */
function policyJson(p: AssociatedAccessPolicy): Record<string, unknown> {
  return {
    policyArn: p.policyArn,
    accessScope: { type: p.accessScope.type, namespaces: p.accessScope.namespaces ?? [] },
    ...(p.associatedAt ? { associatedAt: p.associatedAt } : {}),
    ...(p.modifiedAt ? { modifiedAt: p.modifiedAt } : {}),
  };
}
