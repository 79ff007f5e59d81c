/**
 * Executes a credential plan: gets the source credentials, then assumes each role hop on top.
 * Environment and static keys need no SDK code (the hot path); everything else loads the SDK
 * adapters lazily through deps.
 *
 * With a cache (deps.cache), each STS session of the chain (the web identity session, each role
 * hop) is reused until it expires minus a margin: the deepest usable one is looked up first, so a
 * warm chain makes no STS call and loads no SDK code. Each step that must be renewed is renewed
 * under its lock, so concurrent callers make one STS call per step.
 */
import { EksAuthError, ExitCode, isEksAuthError, wrapError } from '../errors';
import type { AwsCredentials, CacheLabels, CachePort, CredentialsCacheEntry, Deps, StsEndpoint } from '../ports';
import { chainStepKeys, contentFingerprint, credentialsFingerprint } from '../cache/key';
import {
  CHAINED_CREDENTIALS_MARGIN_MS,
  isUsable,
  LAST_RESORT_MARGIN_MS,
  SIGNING_CREDENTIALS_MARGIN_MS,
} from '../cache/expiry';
import { findSsoSession, requireProfile, findProfile, type AwsConfigFiles } from './config';
import { GLOBAL_HOST, partitionOf } from './endpoint';
import { describeHop, describeSource, type CredentialPlan, type CredentialSource, type RoleHop } from './profile-chain';

export interface ExecuteOptions {
  files: AwsConfigFiles;
  endpoint: StsEndpoint;
  /** May we ask the user for an MFA code? */
  interactive: boolean;
  /** Renew every cached session of the chain instead of reusing it (`eks-auth login --force`). */
  refresh?: boolean;
  /** sourceIdentity() of this plan when the caller has it already (token keys its own entry with it). */
  sourceIdentity?: unknown;
}

/** Resolves the plan to credentials. Never logs a secret; registers each one with deps.log.protect. */
export async function executePlan(plan: CredentialPlan, options: ExecuteOptions, deps: Deps): Promise<AwsCredentials> {
  const steps = deps.cache ? cacheableSteps(plan, options, deps) : undefined;
  if (deps.cache && steps) return executeCachedChain(plan, steps, options, deps, deps.cache);
  let credentials = await resolveSources(plan, options, deps);
  for (const hop of plan.hops) {
    credentials = await assumeHop(hop, credentials, options, deps);
  }
  return credentials;
}

async function resolveSources(plan: CredentialPlan, options: ExecuteOptions, deps: Deps): Promise<AwsCredentials> {
  const failures: string[] = [];
  for (const source of plan.sources) {
    try {
      deps.log.verbose(`credentials: trying ${describeSource(source)}`);
      const credentials = await resolveSource(source, options, deps);
      protect(credentials, deps);
      deps.log.verbose(`credentials: using ${describeSource(source)}`);
      return credentials;
    } catch (err) {
      // In the default chain, container and instance metadata are probes: a miss moves on.
      if (!plan.probing) throw err;
      failures.push(`${describeSource(source)}: ${(err as Error).message}`);
      deps.log.verbose(`credentials: ${describeSource(source)} failed: ${(err as Error).message}`);
    }
  }
  const profile = plan.visited.length > 0 ? `profile "${plan.profile}" holds no credentials` : `no profile "${plan.profile}"`;
  const tried = [profile, ...failures].join('; ');
  throw new EksAuthError(ExitCode.credentials, `unable to locate credentials (${tried})`, {
    hint: `set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass --profile, or configure credentials with \`aws configure\` (profile "${plan.profile}")`,
    reason: 'no-credentials',
  });
}

function protect(credentials: AwsCredentials, deps: Deps): void {
  deps.log.protect(credentials.secretAccessKey);
  deps.log.protect(credentials.sessionToken);
}

async function resolveSource(source: CredentialSource, options: ExecuteOptions, deps: Deps): Promise<AwsCredentials> {
  switch (source.kind) {
    case 'env':
      return envCredentials(deps);
    case 'static':
      return staticCredentials(options.files, source.profile);
    case 'process':
      try {
        return await (await deps.sdkSources()).fromProcess(source.profile, options.files);
      } catch (err) {
        // The SDK's message quotes the whole command line and the helper's stderr, which may hold a
        // password or a secret: keep them for --verbose (the cause) and name only the profile here.
        throw new EksAuthError(ExitCode.credentials, `credential_process of profile "${source.profile}" failed${processStatus(err)}`, {
          hint: `run the credential_process command of profile "${source.profile}" by hand to see its error (or add --verbose)`,
          cause: err,
          reason: 'credential-process',
        });
      }
    case 'sso':
      return withContext(
        (await deps.sdkSources()).fromSso(source.profile, options.files),
        `could not get SSO credentials for profile "${source.profile}"`,
        ExitCode.credentials,
        `if the SSO session has expired, run: aws sso login --profile ${source.profile}`,
      );
    case 'web-identity':
      return webIdentityCredentials(source, options, deps);
    case 'container':
      return withContext((await deps.sdkSources()).fromContainer(), 'could not get container credentials', ExitCode.credentials);
    case 'imds':
      return withContext((await deps.sdkSources()).fromInstanceMetadata(), 'could not get EC2 instance metadata credentials', ExitCode.credentials);
  }
}

/** Our own message (safe), or ` (exit status N)` for a failed child process; never its output. */
function processStatus(err: unknown): string {
  if (isEksAuthError(err)) return `: ${err.message}`;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? ` (exit status ${code})` : '';
}

async function withContext(
  promise: Promise<AwsCredentials>,
  doing: string,
  code: typeof ExitCode.credentials,
  hint?: string,
): Promise<AwsCredentials> {
  try {
    return await promise;
  } catch (err) {
    throw wrapError(err, doing, code, hint);
  }
}

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (or the older AWS_SECURITY_TOKEN), and AWS_CREDENTIAL_EXPIRATION as botocore reads it. */
export function envCredentials(deps: Pick<Deps, 'env'>): AwsCredentials {
  const { env } = deps;
  const credentials: AwsCredentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID as string,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
  };
  const sessionToken = env.AWS_SESSION_TOKEN || env.AWS_SECURITY_TOKEN;
  if (sessionToken) credentials.sessionToken = sessionToken;
  if (env.AWS_CREDENTIAL_EXPIRATION) {
    const expiration = new Date(env.AWS_CREDENTIAL_EXPIRATION);
    if (Number.isNaN(expiration.getTime())) {
      throw new EksAuthError(ExitCode.config, `AWS_CREDENTIAL_EXPIRATION is not a date: ${env.AWS_CREDENTIAL_EXPIRATION}`, {
        hint: 'use an ISO 8601 time such as 2026-01-01T00:00:00Z, or unset it',
        reason: 'bad-setting',
      });
    }
    credentials.expiration = expiration;
  }
  return credentials;
}

function staticCredentials(files: AwsConfigFiles, profileName: string): AwsCredentials {
  const profile = requireProfile(files, profileName);
  const credentials: AwsCredentials = {
    accessKeyId: profile.get('aws_access_key_id') as string,
    secretAccessKey: profile.get('aws_secret_access_key') as string,
  };
  const sessionToken = profile.get('aws_session_token') ?? profile.get('aws_security_token');
  if (sessionToken) credentials.sessionToken = sessionToken;
  return credentials;
}

async function webIdentityCredentials(
  source: Extract<CredentialSource, { kind: 'web-identity' }>,
  options: ExecuteOptions,
  deps: Deps,
): Promise<AwsCredentials> {
  const where = source.profile ? `profile "${source.profile}"` : 'AWS_WEB_IDENTITY_TOKEN_FILE';
  let token: string | undefined;
  try {
    token = deps.files.readText(source.tokenFile);
  } catch (err) {
    throw new EksAuthError(ExitCode.credentials, `cannot read the web identity token file ${source.tokenFile} (${where}): ${(err as Error).message}`, {
      cause: err,
      reason: 'web-identity-token',
    });
  }
  if (token === undefined || token.trim() === '') {
    throw new EksAuthError(ExitCode.credentials, `the web identity token file ${source.tokenFile} (${where}) is ${token === undefined ? 'missing' : 'empty'}`, {
      hint: 'in a pod, check the projected service account token volume (IRSA); elsewhere, fix the path',
      reason: 'web-identity-token',
    });
  }
  deps.log.protect(token.trim());
  const sts = await deps.sts();
  try {
    return await sts.assumeRoleWithWebIdentity(
      {
        roleArn: source.roleArn,
        roleSessionName: source.sessionName ?? defaultSessionName(deps),
        webIdentityToken: token.trim(),
        ...(source.durationSeconds ? { durationSeconds: source.durationSeconds } : {}),
      },
      options.endpoint,
    );
  } catch (err) {
    throw wrapError(err, `could not assume role ${source.roleArn} with web identity (${where})`, ExitCode.credentials);
  }
}

/** botocore names sessions `botocore-session-<unix time>`; ours say who made them. */
export function defaultSessionName(deps: Pick<Deps, 'now'>): string {
  return `eks-auth-${Math.floor(deps.now().getTime() / 1000)}`;
}

async function assumeHop(hop: RoleHop, source: AwsCredentials, options: ExecuteOptions, deps: Deps): Promise<AwsCredentials> {
  const via = hop.profile ? ` (profile "${hop.profile}")` : '';
  deps.log.verbose(`credentials: assuming ${hop.roleArn}${via}`);
  let tokenCode: string | undefined;
  if (hop.mfaSerial) tokenCode = await askMfaCode(hop, options, deps);
  const sts = await deps.sts();
  try {
    const credentials = await sts.assumeRole(
      {
        roleArn: hop.roleArn,
        roleSessionName: hop.sessionName ?? defaultSessionName(deps),
        ...(hop.externalId ? { externalId: hop.externalId } : {}),
        ...(hop.durationSeconds ? { durationSeconds: hop.durationSeconds } : {}),
        ...(hop.mfaSerial && tokenCode ? { serialNumber: hop.mfaSerial, tokenCode } : {}),
      },
      source,
      options.endpoint,
    );
    protect(credentials, deps);
    return credentials;
  } catch (err) {
    throw wrapError(err, `could not assume role ${hop.roleArn}${via}`, ExitCode.credentials);
  }
}

async function askMfaCode(hop: RoleHop, options: ExecuteOptions, deps: Deps): Promise<string> {
  const profile = hop.profile ?? 'default';
  if (!options.interactive || !deps.prompt) {
    throw new EksAuthError(ExitCode.credentials, `profile "${profile}" needs an MFA code (mfa_serial ${hop.mfaSerial}) but this session is not interactive`, {
      hint: `run \`eks-auth login --profile ${profile}\` in a terminal once; the MFA session is then cached until it expires`,
      reason: 'mfa-required',
    });
  }
  const code = (await deps.prompt.ask(`Enter MFA code for ${hop.mfaSerial}: `)).trim();
  if (!/^\d{6}$/.test(code)) {
    throw new EksAuthError(ExitCode.credentials, `the MFA code for ${hop.mfaSerial} must be 6 digits`, {
      hint: 'enter the current code from your MFA device',
      reason: 'mfa-invalid',
    });
  }
  return code;
}

/**
 * What identifies a plan's source credentials, for cache keys, without a network call: a
 * fingerprint of environment or static keys, the web identity token's content (it rotates), the
 * settings of an SSO or credential_process profile, the container endpoint. Undefined when it
 * cannot be known (a missing token file, a malformed setting): such a call is not cached, and the
 * uncached path reports the problem.
 */
export function sourceIdentity(plan: CredentialPlan, files: AwsConfigFiles, deps: Pick<Deps, 'env' | 'files'>): unknown {
  const identities: unknown[] = [];
  for (const source of plan.sources) {
    let identity: unknown;
    try {
      identity = identityOf(source, files, deps);
    } catch {
      identity = undefined;
    }
    if (identity === undefined) return undefined;
    identities.push(identity);
  }
  return identities;
}

function identityOf(source: CredentialSource, files: AwsConfigFiles, deps: Pick<Deps, 'env' | 'files'>): unknown {
  switch (source.kind) {
    case 'env':
      return { kind: 'env', keys: credentialsFingerprint(envCredentials(deps)) };
    case 'static':
      return { kind: 'static', profile: source.profile, keys: credentialsFingerprint(staticCredentials(files, source.profile)) };
    case 'process':
      return { kind: 'process', profile: source.profile, command: findProfile(files, source.profile)?.get('credential_process') };
    case 'sso': {
      const profile = findProfile(files, source.profile);
      const sessionName = profile?.get('sso_session');
      const session = sessionName ? findSsoSession(files, sessionName) : undefined;
      const settings = ['sso_session', 'sso_start_url', 'sso_region', 'sso_account_id', 'sso_role_name'].map((k) => profile?.get(k) ?? null);
      return { kind: 'sso', profile: source.profile, settings, session: session ?? null };
    }
    case 'web-identity': {
      const token = deps.files.readText(source.tokenFile)?.trim();
      if (!token) return undefined;
      return { ...source, token: contentFingerprint(token) };
    }
    case 'container':
      return { kind: 'container', full: deps.env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? null, relative: deps.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ?? null };
    case 'imds':
      return { kind: 'imds' };
  }
}

/**
 * Where STS sessions are valid: anywhere in their partition, whatever regional endpoint issued
 * them, so `eks-auth login` and tokens for clusters in other regions share them. A custom endpoint
 * (a local STS) is its own world. The global endpoint is kept apart: by default its session tokens
 * are not valid in opt-in regions.
 */
function credentialScope(endpoint: StsEndpoint): unknown {
  const partition = partitionOf(endpoint.region);
  const host = endpoint.host;
  const global = host === GLOBAL_HOST;
  const ours = global || host.endsWith(`.${partition.dnsSuffix}`) || host.endsWith(`.${partition.dualStackDnsSuffix}`);
  return ours ? { partition: endpoint.partition, global } : { partition: endpoint.partition, endpoint: endpoint.url };
}

/** One cacheable STS session of a chain: the web identity session (no hop) or a role hop. */
interface ChainStep {
  key: string;
  hop?: RoleHop;
  labels: CacheLabels;
}

/**
 * The cache keys of the chain's STS sessions, source first, or undefined when nothing in it is
 * cached (no hops and no web identity, several probing sources, an unidentifiable source).
 */
export function chainCacheKeys(plan: CredentialPlan, options: ExecuteOptions, deps: Pick<Deps, 'env' | 'files'>): string[] | undefined {
  return cacheableSteps(plan, options, deps)?.map((step) => step.key);
}

/** The chain's cacheable steps, or undefined when nothing in it is worth caching or its source cannot be identified. */
function cacheableSteps(plan: CredentialPlan, options: ExecuteOptions, deps: Pick<Deps, 'env' | 'files'>): ChainStep[] | undefined {
  const source = plan.sources[0];
  // Several sources means the default chain's container / instance-metadata probes, with no hops.
  if (plan.sources.length !== 1 || !source) return undefined;
  const sourceIsSession = source.kind === 'web-identity';
  if (!sourceIsSession && plan.hops.length === 0) return undefined;
  const identity = options.sourceIdentity ?? sourceIdentity(plan, options.files, deps);
  if (identity === undefined) return undefined;
  const keys = chainStepKeys({ scope: credentialScope(options.endpoint), sourceIdentity: identity, sourceIsSession, hops: plan.hops });
  const profiles: string[] = 'profile' in source && source.profile ? [source.profile] : [];
  const steps: ChainStep[] = [];
  if (source.kind === 'web-identity') {
    steps.push({
      key: keys[0] as string,
      labels: { ...(source.profile ? { profile: source.profile } : {}), profiles: [...profiles], roleArn: source.roleArn },
    });
  }
  for (const hop of plan.hops) {
    const profile = hop.profile ?? plan.profile;
    if (!profiles.includes(profile)) profiles.push(profile);
    steps.push({ key: keys[steps.length] as string, hop, labels: { profile, profiles: [...profiles], roleArn: hop.roleArn } });
  }
  return steps;
}

async function executeCachedChain(
  plan: CredentialPlan,
  steps: ChainStep[],
  options: ExecuteOptions,
  deps: Deps,
  cache: CachePort,
): Promise<AwsCredentials> {
  const last = steps.length - 1;
  // The last step signs the token; the ones below only sign the next AssumeRole.
  const marginOf = (i: number) => (i === last ? SIGNING_CREDENTIALS_MARGIN_MS : CHAINED_CREDENTIALS_MARGIN_MS);
  const usable = (i: number, marginMs: number): CredentialsCacheEntry | undefined => {
    const entry = cache.read((steps[i] as ChainStep).key);
    return entry?.kind === 'credentials' && isUsable(entry, deps.now(), marginMs) ? entry : undefined;
  };

  let start = -1;
  let found: CredentialsCacheEntry | undefined;
  for (let i = last; i >= 0 && !options.refresh; i--) {
    found = usable(i, marginOf(i));
    if (found) {
      start = i;
      break;
    }
  }
  const mfaAt = lastIndexWhere(steps, (step, i) => i > start && step.hop?.mfaSerial !== undefined);
  if (mfaAt >= 0 && !options.refresh && !(options.interactive && deps.prompt)) {
    // Renewing needs an MFA code that nobody can type: a session that still works beats a failure.
    for (let i = last; i >= mfaAt; i--) {
      const entry = usable(i, LAST_RESORT_MARGIN_MS);
      if (!entry) continue;
      start = i;
      found = entry;
      const hop = (steps[mfaAt] as ChainStep).hop as RoleHop;
      deps.log.warn(
        `the MFA session of profile "${hop.profile ?? plan.profile}" expires at ${entry.expiresAt.toISOString()}; ` +
          `run \`eks-auth login --profile ${hop.profile ?? plan.profile}\` in a terminal to renew it`,
      );
      break;
    }
  }

  let credentials = found?.credentials;
  if (found) {
    protect(found.credentials, deps);
    deps.log.verbose(`cache: reusing the session of ${describeStep(steps[start] as ChainStep, plan)} until ${found.expiresAt.toISOString()}`);
  }
  for (let i = start + 1; i <= last; i++) {
    credentials = await renewStep(plan, steps[i] as ChainStep, credentials, options, deps, cache, () => usable(i, marginOf(i)));
  }
  return credentials as AwsCredentials;
}

/** Renews one step under its lock, unless another process renewed it while we waited. */
async function renewStep(
  plan: CredentialPlan,
  step: ChainStep,
  below: AwsCredentials | undefined,
  options: ExecuteOptions,
  deps: Deps,
  cache: CachePort,
  reread: () => CredentialsCacheEntry | undefined,
): Promise<AwsCredentials> {
  const release = await cache.lock(step.key);
  try {
    const fresh = options.refresh ? undefined : reread();
    if (fresh) {
      protect(fresh.credentials, deps);
      deps.log.verbose(`cache: reusing the session of ${describeStep(step, plan)} that another call just made`);
      return fresh.credentials;
    }
    let credentials: AwsCredentials;
    if (step.hop) {
      credentials = await assumeHop(step.hop, below ?? (await resolveSources(plan, options, deps)), options, deps);
    } else {
      const source = plan.sources[0] as Extract<CredentialSource, { kind: 'web-identity' }>;
      credentials = await webIdentityCredentials(source, options, deps);
      protect(credentials, deps);
    }
    if (credentials.expiration) {
      cache.write({ kind: 'credentials', key: step.key, createdAt: deps.now(), expiresAt: credentials.expiration, labels: step.labels, credentials });
    }
    return credentials;
  } finally {
    release();
  }
}

function describeStep(step: ChainStep, plan: CredentialPlan): string {
  if (step.hop) return describeHop(step.hop);
  return describeSource(plan.sources[0] as CredentialSource);
}

function lastIndexWhere<T>(items: readonly T[], predicate: (item: T, index: number) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i] as T, i)) return i;
  return -1;
}
