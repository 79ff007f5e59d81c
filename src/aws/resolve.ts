/**
 * From flags and environment to everything a command needs to talk to AWS: the profile chain,
 * region, STS endpoint and credentials.
 */
import type { AwsCredentials, Deps, StsEndpoint } from '../ports';
import { findProfile, loadAwsConfigFiles, type AwsConfigFiles, type Profile } from './config';
import { executeCachedPlan } from './session-cache';
import { resolveEksEndpoint, resolveStsEndpoint, type EksEndpoint } from './endpoint';
import type { HttpSettings } from './http';
import { resolveHttpSettings } from './http-settings';
import { defaultSessionName } from './session-name';
import { describePlan, planCredentials, type CredentialPlan } from './profile-chain';
import {
  resolveRegion,
  resolveServiceEndpointSettings,
  resolveServiceEndpointUrl,
  resolveStsSettings,
  type RegionChoice,
} from './settings';

/** The credential flags shared by token, whoami, explain and kubeconfig. */
export interface AwsInput {
  profile?: string;
  region?: string;
  /** --role-arn: assumed on top of the profile's credentials. */
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
  /** --forward-session-name: assume --role-arn under the caller's own session name. */
  forwardSessionName?: boolean;
  durationSeconds?: number;
}

/** Everything resolved before any network call. */
export interface AwsTarget {
  files: AwsConfigFiles;
  plan: CredentialPlan;
  profile: Profile | undefined;
  region: RegionChoice;
  stsEndpoint: StsEndpoint;
  serviceEndpointUrl(service: 'eks' | 'sts' | 'iam'): string | undefined;
  /** The EKS endpoint for `region` (default: the target's), with the same FIPS, dual-stack and override rules as STS. */
  eksEndpoint(region?: string): EksEndpoint;
  /** Deadlines, retries, proxy and trust for every call of the run. */
  http: HttpSettings;
}

export interface AwsContext extends AwsTarget {
  credentials: AwsCredentials;
}

/** Plans the chain and picks region and endpoint; reads only the two config files. */
export function resolveAwsTarget(
  input: AwsInput,
  deps: Pick<Deps, 'env' | 'homedir' | 'files' | 'log' | 'userName'>,
): AwsTarget {
  const files = loadAwsConfigFiles(deps);
  const plan = planCredentials({ profileFlag: input.profile, env: deps.env, files });
  if (input.roleArn) {
    plan.hops.push({
      roleArn: input.roleArn,
      ...(input.externalId ? { externalId: input.externalId } : {}),
      ...(input.sessionName ? { sessionName: input.sessionName } : {}),
      ...(input.forwardSessionName && !input.sessionName ? { forwardSessionName: true } : {}),
      ...(input.durationSeconds ? { durationSeconds: input.durationSeconds } : {}),
    });
  }
  nameSessions(plan, deps);
  const profile = findProfile(files, plan.profile);
  const region = resolveRegion(input.region, deps.env, profile);
  const http = resolveHttpSettings({ env: deps.env, profile, files: deps.files, homedir: deps.homedir, log: deps.log });
  const stsEndpoint: StsEndpoint = {
    ...resolveStsEndpoint({ region: region.region, ...resolveStsSettings(deps.env, profile, files) }),
    http,
  };
  for (const warning of plan.warnings) deps.log.warn(warning);
  deps.log.verbose(
    `profile: ${plan.profile} (from ${plan.profileFrom})${plan.visited.length > 1 ? `, chain ${plan.visited.join(' -> ')}` : ''}`,
  );
  deps.log.verbose(
    `region: ${region.region} (from ${region.source}); STS ${stsEndpoint.url} signing for ${stsEndpoint.signingRegion}`,
  );
  deps.log.verbose(`credentials plan: ${describePlan(plan)}`);
  return {
    files,
    plan,
    profile,
    region,
    stsEndpoint,
    serviceEndpointUrl: (service) => resolveServiceEndpointUrl(service, deps.env, profile, files),
    eksEndpoint: (eksRegion) =>
      resolveEksEndpoint({
        region: eksRegion ?? region.region,
        ...resolveServiceEndpointSettings('eks', deps.env, profile, files),
      }),
    http,
  };
}

/**
 * Gives every session the plan starts without a name its default, `eks-auth-<user>`, up front:
 * the name is part of each session's cache key, so a session cached under one user's name is not
 * handed out under another's.
 */
function nameSessions(plan: CredentialPlan, deps: Pick<Deps, 'env' | 'userName'>): void {
  let name: string | undefined;
  const named = () => (name ??= defaultSessionName(deps));
  for (const hop of plan.hops) if (!hop.sessionName && !hop.forwardSessionName) hop.sessionName = named();
  for (const source of plan.sources)
    if (source.kind === 'web-identity' && !source.sessionName) source.sessionName = named();
}

/**
 * Resolves the target, then the credentials (network calls for role hops, SSO, etc.). A person runs
 * the commands that call this, so an MFA code is asked whenever stdin is a terminal.
 */
export async function resolveAwsContext(input: AwsInput, deps: Deps): Promise<AwsContext> {
  const target = resolveAwsTarget(input, deps);
  const credentials = await executeCachedPlan(
    target.plan,
    { files: target.files, endpoint: target.stsEndpoint, interactive: deps.stdinIsTerminal?.() ?? false },
    deps,
  );
  return { ...target, credentials };
}
