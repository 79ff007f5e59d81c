/**
 * `eks-auth whoami`: who the cluster will see. Resolves credentials exactly as `token` does, asks
 * STS GetCallerIdentity, and shows the canonical ARN that aws-auth and access entries match, with
 * the credential source and profile chain that produced it.
 */
import type { AwsInput } from '../aws/resolve';
import { resolveAwsContext } from '../aws/resolve';
import { describePlan, hasEnvCredentials } from '../aws/profile-chain';
import { parsePrincipal } from '../aws/arn';
import { UNCHECKED_TLS_WARNING } from '../aws/http-settings';
import { EksAuthError, ExitCode, wrapError } from '../errors';
import type { CallerIdentity, Deps } from '../ports';
import type { ExplainInput, ExplainReport } from './explain';

export interface WhoamiResult {
  /** The caller ARN STS returned. */
  arn: string;
  /** The ARN EKS maps (assumed-role session → its role). */
  canonicalArn: string;
  account: string;
  userId: string;
  /** The access key id that signs (not a secret; aws-auth's {{AccessKeyID}} template uses it). */
  accessKeyId: string;
  sessionName?: string;
  profile: string;
  profileFrom: string;
  /** Profiles visited through source_profile. */
  profileChain: string[];
  credentialSource: string;
  region: string;
  regionFrom: string;
  stsEndpoint: string;
  warnings: string[];
}

/** The ports whoami uses: all of them, since resolving credentials may read files, call STS or the SDK, prompt and cache. */
export type WhoamiDeps = Deps;

export async function whoami(input: AwsInput, deps: WhoamiDeps): Promise<WhoamiResult> {
  const context = await resolveAwsContext(input, deps);
  const sts = await deps.sts();
  let identity: CallerIdentity;
  try {
    identity = await sts.getCallerIdentity(context.credentials, context.stsEndpoint);
  } catch (err) {
    throw wrapError(err, `STS GetCallerIdentity failed for ${describePlan(context.plan)}`, ExitCode.credentials);
  }
  const principal = parsePrincipal(identity.arn);
  const warnings = [...context.plan.warnings];
  if (!context.http.rejectUnauthorized) warnings.push(UNCHECKED_TLS_WARNING);
  if (context.plan.profileFrom === '--profile' && hasEnvCredentials(deps.env)) {
    warnings.push(
      'AWS_ACCESS_KEY_ID is set in the environment but ignored because of --profile; a kubeconfig exec entry without --profile would use those keys instead',
    );
  }
  return {
    arn: identity.arn,
    canonicalArn: principal.canonicalArn,
    account: identity.account,
    userId: identity.userId,
    accessKeyId: context.credentials.accessKeyId,
    ...(principal.sessionName ? { sessionName: principal.sessionName } : {}),
    profile: context.plan.profile,
    profileFrom: context.plan.profileFrom,
    profileChain: context.plan.visited,
    credentialSource: describePlan(context.plan),
    region: context.region.region,
    regionFrom: context.region.source,
    stsEndpoint: context.stsEndpoint.url,
    warnings,
  };
}

/** What the cluster makes of the identity (`whoami --cluster`): the access-entry mapping, or why it is unknown. */
export interface WhoamiCluster {
  name: string;
  authenticationMode: string | null;
  mapped: boolean | null;
  matchedBy: string | null;
  username: string | null;
  groups: string[];
  accessEntry: unknown;
  accessPolicies: { policyArn: string; accessScope: { type: string; namespaces: string[] } }[];
  /** The policies in words, or why the mapping is not known. */
  lines: string[];
}

/** Explains the identity on the cluster through its access entries (no aws-auth: that needs kubectl or a file). */
export async function whoamiOnCluster(
  who: WhoamiResult,
  cluster: { name: string; aws: AwsInput },
  explain: (input: ExplainInput) => Promise<ExplainReport>,
): Promise<WhoamiCluster> {
  const base = {
    name: cluster.name,
    authenticationMode: null,
    mapped: null,
    matchedBy: null,
    username: null,
    groups: [],
    accessEntry: null,
    accessPolicies: [],
  };
  let report: ExplainReport;
  try {
    report = await explain({
      identity: {
        kind: 'arn',
        arn: who.arn,
        accessKeyId: who.accessKeyId,
        ...(who.sessionName ? { sessionName: who.sessionName } : {}),
      },
      cluster,
    });
  } catch (err) {
    if (!(err instanceof EksAuthError && err.reason === 'aws-auth-needed')) throw err;
    return {
      ...base,
      lines: [
        `${err.message.replace(/: say where.*$/, '')}; see eks-auth explain --cluster ${cluster.name} --from-cluster`,
      ],
    };
  }
  const r = report.result;
  const mode = report.cluster?.authenticationMode ?? null;
  if (!r.mapped) {
    return {
      ...base,
      authenticationMode: mode,
      mapped: false,
      lines: [
        `not mapped: ${r.message}`,
        ...(r.accessEntryNearMiss ? [`near miss: ${r.accessEntryNearMiss.message}`] : []),
      ],
    };
  }
  return {
    ...base,
    authenticationMode: mode,
    mapped: true,
    matchedBy: r.via,
    username: r.username,
    groups: r.groups,
    accessEntry: r.accessEntry ?? null,
    accessPolicies: r.accessPolicies.map((p) => ({
      policyArn: p.policyArn,
      accessScope: { type: p.accessScope.type, namespaces: p.accessScope.namespaces ?? [] },
    })),
    lines: [...report.mapping.grants, ...report.warnings],
  };
}

export function formatWhoami(result: WhoamiResult, json: boolean, cluster?: WhoamiCluster): string {
  if (json) return `${JSON.stringify(cluster ? { ...result, cluster } : result, null, 2)}\n`;
  const rows: [string, string][] = [
    ['ARN', result.arn],
    [
      'Kubernetes maps',
      `${result.canonicalArn}${result.canonicalArn !== result.arn ? '  (the role, as aws-auth mapRoles and access entries match it)' : ''}`,
    ],
    ['Account', result.account],
    ['User id', result.userId],
    ['Access key id', result.accessKeyId],
  ];
  if (result.sessionName) rows.push(['Session name', result.sessionName]);
  rows.push(
    ['Credentials', result.credentialSource],
    [
      'Profile',
      `${result.profile} (from ${result.profileFrom})${result.profileChain.length > 1 ? `, chain ${result.profileChain.join(' -> ')}` : ''}`,
    ],
    ['Region', `${result.region} (from ${result.regionFrom}), STS ${result.stsEndpoint}`],
  );
  if (cluster) {
    rows.push(['Cluster', `${cluster.name}, authentication mode ${cluster.authenticationMode ?? 'unknown'}`]);
    if (cluster.mapped) {
      const entry = cluster.accessEntry as { principalArn?: string } | null;
      rows.push(
        [
          'Mapped by',
          cluster.matchedBy === 'accessEntry' && entry?.principalArn
            ? `access entry ${entry.principalArn}`
            : String(cluster.matchedBy),
        ],
        ['Username', cluster.username ?? ''],
        ['Groups', cluster.groups.join(', ') || '(none)'],
      );
      if (cluster.lines.length === 0) rows.push(['Policies', '(none)']);
      for (const line of cluster.lines) rows.push(['Policy', line]);
    } else {
      for (const line of cluster.lines) rows.push(['Mapping', line]);
    }
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`);
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}
