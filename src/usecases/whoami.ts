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
import { ExitCode, wrapError } from '../errors';
import type { Deps } from '../ports';

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

export async function whoami(input: AwsInput, deps: Deps): Promise<WhoamiResult> {
  const context = await resolveAwsContext(input, deps);
  const sts = await deps.sts();
  let identity;
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

export function formatWhoami(result: WhoamiResult, json: boolean): string {
  if (json) return `${JSON.stringify(result, null, 2)}\n`;
  const rows: [string, string][] = [
    ['ARN', result.arn],
    ['Kubernetes maps', `${result.canonicalArn}${result.canonicalArn !== result.arn ? '  (the role, as aws-auth mapRoles and access entries match it)' : ''}`],
    ['Account', result.account],
    ['User id', result.userId],
    ['Access key id', result.accessKeyId],
  ];
  if (result.sessionName) rows.push(['Session name', result.sessionName]);
  rows.push(
    ['Credentials', result.credentialSource],
    ['Profile', `${result.profile} (from ${result.profileFrom})${result.profileChain.length > 1 ? `, chain ${result.profileChain.join(' -> ')}` : ''}`],
    ['Region', `${result.region} (from ${result.regionFrom}), STS ${result.stsEndpoint}`],
  );
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`);
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}
