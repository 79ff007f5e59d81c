/**
 * Plans where credentials come from, as the AWS CLI (botocore's credential resolver) would, without
 * doing any I/O beyond the already-parsed config files: a source (env keys, static keys, process,
 * SSO, web identity, container, instance metadata) and the role hops assumed on top of it.
 * Executing the plan is src/aws/credentials.ts; keeping the two apart lets --verbose, `whoami`
 * and the cache key describe a chain before any network call.
 */
import { EksAuthError, ExitCode } from '../errors';
import type { Env } from '../ports';
import { requireProfile, findProfile, type AwsConfigFiles, type Profile } from './config';
import { profileName } from '../util/quote';

export type CredentialSource =
  | { kind: 'env' }
  | { kind: 'static'; profile: string }
  | { kind: 'process'; profile: string }
  | { kind: 'sso'; profile: string }
  /** `login_session`, written by `aws login` (AWS CLI 2.32 and later). */
  | { kind: 'login'; profile: string }
  | {
      kind: 'web-identity';
      /** Undefined when it comes from AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN (IRSA). */
      profile?: string;
      roleArn: string;
      tokenFile: string;
      sessionName?: string;
      durationSeconds?: number;
    }
  | { kind: 'container' }
  | { kind: 'imds' };

/** One AssumeRole call on top of the credentials before it. */
export interface RoleHop {
  /** The profile whose role_arn this is; undefined for --role-arn. */
  profile?: string;
  roleArn: string;
  externalId?: string;
  mfaSerial?: string;
  sessionName?: string;
  /** --forward-session-name: the session name is the source caller's own, asked of STS. */
  forwardSessionName?: boolean;
  durationSeconds?: number;
}

export interface CredentialPlan {
  /** The profile in effect, and why. */
  profile: string;
  profileFrom: '--profile' | 'AWS_PROFILE' | 'default';
  /** Sources tried in order; the first that yields credentials is used (more than one only for the default chain). */
  sources: CredentialSource[];
  hops: RoleHop[];
  /** Profiles visited through source_profile, in order. */
  visited: string[];
  /** True when nothing was configured and the sources are the container / instance-metadata probes. */
  probing: boolean;
  /** Things the user probably did not intend, e.g. env keys shadowing AWS_PROFILE. */
  warnings: string[];
}

export interface PlanInput {
  /** --profile: when given, the environment's keys are ignored, as with the AWS CLI's --profile. */
  profileFlag?: string;
  env: Env;
  files: AwsConfigFiles;
}

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

export function hasEnvCredentials(env: Env): boolean {
  return Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
}

/** Which profile is in effect: --profile, else AWS_PROFILE (or AWS_DEFAULT_PROFILE), else `default`. */
export function selectProfile(
  profileFlag: string | undefined,
  env: Env,
): Pick<CredentialPlan, 'profile' | 'profileFrom'> {
  if (profileFlag) return { profile: profileFlag, profileFrom: '--profile' };
  const fromEnv = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE;
  if (fromEnv) return { profile: fromEnv, profileFrom: 'AWS_PROFILE' };
  return { profile: 'default', profileFrom: 'default' };
}

/**
 * The AWS CLI's order: environment keys (unless --profile), the profile's role_arn, web identity,
 * SSO, credentials-file keys, credential_process, config-file keys, then container and instance
 * metadata for the default chain.
 */
export function planCredentials(input: PlanInput): CredentialPlan {
  const { env, files } = input;
  const { profile: profileName, profileFrom } = selectProfile(input.profileFlag, env);
  const explicit = profileFrom !== 'default';
  // With --profile the AWS CLI disables every environment provider (keys and web identity).
  const allowEnv = profileFrom !== '--profile';
  const plan: CredentialPlan = {
    profile: profileName,
    profileFrom,
    sources: [],
    hops: [],
    visited: [],
    warnings: [],
    probing: false,
  };

  if (allowEnv) checkPartialEnvKeys(env);
  const profile = explicit ? requireProfile(files, profileName) : findProfile(files, profileName);

  if (allowEnv && hasEnvCredentials(env)) {
    plan.sources.push({ kind: 'env' });
    if (profileFrom === 'AWS_PROFILE' && profile && profileHasCredentials(profile)) {
      plan.warnings.push(
        `AWS_ACCESS_KEY_ID in the environment takes precedence over AWS_PROFILE=${profileName} (as in the AWS CLI); ` +
          'unset AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to use the profile, or pass --profile',
      );
    }
    return plan;
  }

  if (profile) {
    const planned = planProfile(profile, files, env, allowEnv, [profile.name]);
    if (planned) {
      plan.sources.push(planned.source);
      plan.hops = planned.hops;
      plan.visited = planned.visited;
      return plan;
    }
  } else if (allowEnv) {
    const fromEnv = webIdentityOf(undefined, env, true);
    if (fromEnv) {
      plan.sources.push(fromEnv);
      return plan;
    }
  }
  // Like the AWS CLI, a profile without credentials (say, only a region) falls through to the
  // container and instance-metadata providers.
  plan.visited = profile ? [profile.name] : [];
  plan.probing = true;
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    plan.sources.push({ kind: 'container' });
  }
  if ((env.AWS_EC2_METADATA_DISABLED ?? '').toLowerCase() !== 'true') plan.sources.push({ kind: 'imds' });
  return plan;
}

function checkPartialEnvKeys(env: Env): void {
  const present = ENV_KEYS.filter((k) => env[k]);
  if (present.length === 1) {
    const missing = ENV_KEYS.find((k) => !env[k]);
    throw new EksAuthError(
      ExitCode.config,
      `partial credentials found in the environment: ${present[0]} is set but ${missing} is not`,
      {
        hint: `set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or unset ${present[0]}`,
        reason: 'partial-credentials',
      },
    );
  }
}

function profileHasCredentials(profile: Profile): boolean {
  return [
    'aws_access_key_id',
    'role_arn',
    'sso_session',
    'sso_start_url',
    'login_session',
    'credential_process',
    'web_identity_token_file',
  ].some((k) => profile.has(k));
}

function hasStaticKeys(profile: Profile): boolean {
  const hasId = profile.has('aws_access_key_id');
  const hasSecret = profile.has('aws_secret_access_key');
  if (hasId !== hasSecret) {
    const missing = hasId ? 'aws_secret_access_key' : 'aws_access_key_id';
    throw new EksAuthError(
      ExitCode.config,
      `partial credentials found in profile "${profile.name}": ${missing} is missing`,
      {
        hint: `add ${missing} to profile "${profile.name}" (${profile.definedIn.join(', ')})`,
        reason: 'partial-credentials',
      },
    );
  }
  return hasId;
}

interface PlannedProfile {
  source: CredentialSource;
  hops: RoleHop[];
  visited: string[];
}

function hasAssumeRoleConfig(profile: Profile): boolean {
  // A role_arn next to web_identity_token_file belongs to web identity, not to AssumeRole.
  return profile.has('role_arn') && !profile.has('web_identity_token_file');
}

/** The top-level profile providers in the AWS CLI's order; undefined when it holds no credentials. */
function planProfile(
  profile: Profile,
  files: AwsConfigFiles,
  env: Env,
  allowEnv: boolean,
  visited: string[],
): PlannedProfile | undefined {
  if (hasAssumeRoleConfig(profile)) return planAssumeRole(profile, files, env, visited);
  const leaf = planLeaf(profile, env, allowEnv);
  return leaf && { source: leaf, hops: [], visited };
}

/**
 * Sources held in the profile itself, in botocore's provider order (the same for the selected
 * profile and for a source_profile): web identity, SSO, `aws login`, keys in the credentials file,
 * credential_process, keys in the config file.
 */
function planLeaf(profile: Profile, env: Env, allowEnv: boolean): CredentialSource | undefined {
  const webIdentity = webIdentityOf(profile, env, allowEnv);
  if (webIdentity) return webIdentity;
  if (profile.has('sso_session') || profile.has('sso_start_url')) return { kind: 'sso', profile: profile.name };
  // `aws login` writes a profile that holds only login_session (and a region); next to SSO, as both
  // are sign-in sessions whose tokens the AWS CLI caches under ~/.aws.
  if (profile.has('login_session')) return { kind: 'login', profile: profile.name };
  const staticKeys = hasStaticKeys(profile);
  if (staticKeys && profile.inCredentialsFile('aws_access_key_id')) return { kind: 'static', profile: profile.name };
  if (profile.has('credential_process')) return { kind: 'process', profile: profile.name };
  if (staticKeys) return { kind: 'static', profile: profile.name };
  return undefined;
}

/**
 * Web identity as botocore reads it: each of the token file, role ARN and session name from the
 * environment (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME) when allowed, else
 * from the profile, key by key (an env token file with the profile's role_arn is valid).
 */
function webIdentityOf(profile: Profile | undefined, env: Env, allowEnv: boolean): CredentialSource | undefined {
  const envTokenFile = allowEnv ? env.AWS_WEB_IDENTITY_TOKEN_FILE || undefined : undefined;
  const tokenFile = envTokenFile ?? profile?.get('web_identity_token_file');
  if (!tokenFile) return undefined;
  const roleArn = (allowEnv ? env.AWS_ROLE_ARN || undefined : undefined) ?? profile?.get('role_arn');
  if (!roleArn) {
    if (envTokenFile !== undefined || !profile) {
      throw new EksAuthError(ExitCode.config, 'AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not', {
        hint: 'set AWS_ROLE_ARN to the role to assume with the web identity token (IRSA sets both)',
        reason: 'incomplete-web-identity',
      });
    }
    throw new EksAuthError(ExitCode.config, `profile "${profile.name}" has web_identity_token_file but no role_arn`, {
      hint: `add role_arn = <role to assume> to profile "${profile.name}"`,
      reason: 'incomplete-web-identity',
    });
  }
  const sessionName =
    (allowEnv ? env.AWS_ROLE_SESSION_NAME || undefined : undefined) ?? profile?.get('role_session_name');
  const fromProfile = envTokenFile === undefined && profile !== undefined;
  const duration = fromProfile ? durationOf(profile) : undefined;
  return {
    kind: 'web-identity',
    ...(fromProfile ? { profile: profile.name } : {}),
    roleArn,
    tokenFile,
    ...(sessionName ? { sessionName } : {}),
    ...(duration ? { durationSeconds: duration } : {}),
  };
}

function durationOf(profile: Profile): number | undefined {
  const raw = profile.get('duration_seconds');
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 900 || value > 43200) {
    throw new EksAuthError(
      ExitCode.config,
      `profile "${profile.name}" has duration_seconds = ${raw}; it must be a whole number of seconds from 900 to 43200`,
      {
        hint: `fix duration_seconds in profile "${profile.name}"`,
        reason: 'bad-setting',
      },
    );
  }
  return value;
}

function hopOf(profile: Profile): RoleHop {
  const hop: RoleHop = { profile: profile.name, roleArn: profile.get('role_arn') as string };
  const externalId = profile.get('external_id');
  const mfaSerial = profile.get('mfa_serial');
  const sessionName = profile.get('role_session_name');
  const duration = durationOf(profile);
  if (externalId) hop.externalId = externalId;
  if (mfaSerial) hop.mfaSerial = mfaSerial;
  if (sessionName) hop.sessionName = sessionName;
  if (duration) hop.durationSeconds = duration;
  return hop;
}

function planAssumeRole(profile: Profile, files: AwsConfigFiles, env: Env, visited: string[]): PlannedProfile {
  const sourceProfile = profile.get('source_profile');
  const credentialSource = profile.get('credential_source');
  const hop = hopOf(profile);
  if (sourceProfile && credentialSource) {
    throw new EksAuthError(ExitCode.config, `profile "${profile.name}" has both source_profile and credential_source`, {
      hint: `keep only one of them in profile "${profile.name}"`,
      reason: 'conflicting-source',
    });
  }
  if (credentialSource) {
    return { source: credentialSourceOf(credentialSource, profile, env), hops: [hop], visited };
  }
  if (!sourceProfile) {
    throw new EksAuthError(
      ExitCode.config,
      `profile "${profile.name}" has role_arn but no source_profile, credential_source or web_identity_token_file`,
      {
        hint: `add source_profile = <profile with credentials> under [profile ${profile.name}] in ${profile.definedIn[0]}`,
        reason: 'missing-source',
      },
    );
  }
  // A profile may name itself as source only when it holds static keys (the AWS CLI's rule).
  const selfSourced = sourceProfile === profile.name && hasStaticKeys(profile);
  if (!selfSourced && visited.includes(sourceProfile)) {
    throw new EksAuthError(
      ExitCode.config,
      `infinite loop in credential configuration detected: profile "${sourceProfile}" has already been visited (${[...visited, sourceProfile].join(' -> ')})`,
      {
        hint: 'break the cycle of source_profile settings: the last profile of a chain needs its own credentials',
        reason: 'profile-loop',
      },
    );
  }
  const source = selfSourced ? profile : findProfile(files, sourceProfile);
  if (!source) {
    throw new EksAuthError(
      ExitCode.config,
      `the source_profile "${sourceProfile}" referenced in the profile "${profile.name}" does not exist`,
      {
        hint: `define profile "${sourceProfile}" or fix source_profile in profile "${profile.name}"`,
        reason: 'profile-not-found',
      },
    );
  }
  const chain = selfSourced ? visited : [...visited, source.name];
  // botocore resolves a source profile with static keys, or without role_arn, through the same
  // providers as a selected profile: its static keys beat its own role_arn (not its SSO or web
  // identity), and credential_process beats keys kept in the config file.
  if (!hasStaticKeys(source) && hasAssumeRoleConfig(source)) {
    const inner = planAssumeRole(source, files, env, chain);
    return { source: inner.source, hops: [...inner.hops, hop], visited: inner.visited };
  }
  const leaf = planLeaf(source, env, false);
  if (!leaf) {
    throw new EksAuthError(
      ExitCode.config,
      `the source_profile "${source.name}" referenced in the profile "${profile.name}" has no credentials`,
      {
        hint: `give profile "${source.name}" static keys, role_arn, sso_session, login_session, credential_process or web_identity_token_file`,
        reason: 'no-credentials',
      },
    );
  }
  return { source: leaf, hops: [hop], visited: chain };
}

function credentialSourceOf(value: string, profile: Profile, env: Env): CredentialSource {
  switch (value) {
    case 'Environment':
      if (!hasEnvCredentials(env)) {
        throw new EksAuthError(
          ExitCode.credentials,
          `profile "${profile.name}" has credential_source = Environment but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set`,
          {
            hint: 'export the source keys, or change credential_source',
            reason: 'no-credentials',
          },
        );
      }
      return { kind: 'env' };
    case 'Ec2InstanceMetadata':
      return { kind: 'imds' };
    case 'EcsContainer':
      return { kind: 'container' };
    default:
      throw new EksAuthError(
        ExitCode.config,
        `profile "${profile.name}" has credential_source = ${value}, which is not one of Environment, Ec2InstanceMetadata, EcsContainer`,
        {
          hint: `fix credential_source in profile "${profile.name}"`,
          reason: 'bad-setting',
        },
      );
  }
}

/** A one-line description of a plan for --verbose and `whoami`: `static keys of profile base -> role …`. */
export function describePlan(plan: CredentialPlan): string {
  const sources = plan.sources.map(describeSource).join(', else ');
  const hops = plan.hops.map((h) => `assume ${describeHop(h)}`);
  return [sources, ...hops].join(' -> ');
}

/** `arn:aws:iam::…:role/x (profile dev)`, or `(--role-arn)` for the hop the flag adds. */
export function describeHop(hop: RoleHop): string {
  return `${hop.roleArn}${hop.profile ? ` (${profileName(hop.profile)})` : ' (--role-arn)'}`;
}

export function describeSource(source: CredentialSource): string {
  switch (source.kind) {
    case 'env':
      return 'environment keys (AWS_ACCESS_KEY_ID)';
    case 'static':
      return `static keys of ${profileName(source.profile)}`;
    case 'process':
      return `credential_process of ${profileName(source.profile)}`;
    case 'sso':
      return `SSO of ${profileName(source.profile)}`;
    case 'login':
      return `aws login session of ${profileName(source.profile)}`;
    case 'web-identity':
      return `web identity ${source.roleArn} (${source.profile ? profileName(source.profile) : 'AWS_WEB_IDENTITY_TOKEN_FILE'})`;
    case 'container':
      return 'container credentials';
    case 'imds':
      return 'EC2 instance metadata';
  }
}
