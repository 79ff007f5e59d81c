/**
 * Reuses and renews the STS sessions of a credential chain under per-step locks: a wrapper around
 * aws/credentials.ts's executor, as aws-vault's CachedSessionProvider wraps a session provider.
 *
 * With a cache (deps.cache), each STS session of the chain (the web identity session, each role
 * hop) is reused until it expires minus a margin: the deepest usable one is looked up first, so a
 * warm chain makes no STS call and loads no SDK code. Each step that must be renewed is renewed
 * under its lock, so concurrent callers make one STS call per step.
 */
import type { AwsCredentials, CacheLabels, CachePort, CredentialsCacheEntry, Deps, StsEndpoint } from '../ports';
import { cacheKey, contentFingerprint, credentialsFingerprint } from '../cache/key';
import {
  CHAINED_CREDENTIALS_MARGIN_MS,
  isUsable,
  LAST_RESORT_MARGIN_MS,
  SIGNING_CREDENTIALS_MARGIN_MS,
} from '../cache/expiry';
import { MFA_LOCK_WAIT_MS } from '../cache/lock';
import { findSsoSession, findProfile, type AwsConfigFiles } from './config';
import { shellWord } from '../util/quote';
import {
  assumeHop,
  envCredentials,
  executePlan,
  protect,
  resolveSources,
  staticCredentials,
  webIdentityCredentials,
  type ExecuteOptions,
} from './credentials';
import { GLOBAL_HOST, partitionOf } from './endpoint';
import { describeHop, describeSource, type CredentialPlan, type CredentialSource, type RoleHop } from './profile-chain';

/**
 * Resolves the plan to credentials through the cache when deps has one and the chain has an STS
 * session worth caching; otherwise runs the plan as it is.
 */
export async function executeCachedPlan(
  plan: CredentialPlan,
  options: ExecuteOptions,
  deps: Deps,
): Promise<AwsCredentials> {
  const steps = deps.cache ? cacheableSteps(plan, options, deps) : undefined;
  if (deps.cache && steps) return executeCachedChain(plan, steps, options, deps, deps.cache);
  return executePlan(plan, options, deps);
}

/**
 * What identifies a plan's source credentials, for cache keys, without a network call: a
 * fingerprint of environment or static keys, the web identity token's content (it rotates), the
 * settings of an SSO or credential_process profile, the container endpoint. Undefined when it
 * cannot be known (a missing token file, a malformed setting): such a call is not cached, and the
 * uncached path reports the problem.
 */
export function sourceIdentity(
  plan: CredentialPlan,
  files: AwsConfigFiles,
  deps: Pick<Deps, 'env' | 'files'>,
): unknown {
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
      return {
        kind: 'static',
        profile: source.profile,
        keys: credentialsFingerprint(staticCredentials(files, source.profile)),
      };
    case 'process':
      return {
        kind: 'process',
        profile: source.profile,
        command: findProfile(files, source.profile)?.get('credential_process'),
      };
    case 'sso': {
      const profile = findProfile(files, source.profile);
      const sessionName = profile?.get('sso_session');
      const session = sessionName ? findSsoSession(files, sessionName) : undefined;
      const settings = ['sso_session', 'sso_start_url', 'sso_region', 'sso_account_id', 'sso_role_name'].map(
        (k) => profile?.get(k) ?? null,
      );
      return { kind: 'sso', profile: source.profile, settings, session: session ?? null };
    }
    case 'login':
      return {
        kind: 'login',
        profile: source.profile,
        session: findProfile(files, source.profile)?.get('login_session') ?? null,
      };
    case 'web-identity': {
      const token = deps.files.readText(source.tokenFile)?.trim();
      if (!token) return undefined;
      return { ...source, token: contentFingerprint(token) };
    }
    case 'container':
      return {
        kind: 'container',
        full: deps.env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? null,
        relative: deps.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ?? null,
      };
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
export function chainCacheKeys(
  plan: CredentialPlan,
  options: ExecuteOptions,
  deps: Pick<Deps, 'env' | 'files'>,
): string[] | undefined {
  return cacheableSteps(plan, options, deps)?.map((step) => step.key);
}

/** The chain's cacheable steps, or undefined when nothing in it is worth caching or its source cannot be identified. */
function cacheableSteps(
  plan: CredentialPlan,
  options: ExecuteOptions,
  deps: Pick<Deps, 'env' | 'files'>,
): ChainStep[] | undefined {
  const source = plan.sources[0];
  // Several sources means the default chain's container / instance-metadata probes, with no hops.
  if (plan.sources.length !== 1 || !source) return undefined;
  const sourceIsSession = source.kind === 'web-identity';
  if (!sourceIsSession && plan.hops.length === 0) return undefined;
  const identity = options.sourceIdentity ?? sourceIdentity(plan, options.files, deps);
  if (identity === undefined) return undefined;
  const keys = chainStepKeys({
    scope: credentialScope(options.endpoint),
    sourceIdentity: identity,
    sourceIsSession,
    hops: plan.hops,
  });
  const profiles: string[] = 'profile' in source && source.profile ? [source.profile] : [];
  const steps: ChainStep[] = [];
  if (source.kind === 'web-identity') {
    steps.push({
      key: keys[0] as string,
      labels: {
        ...(source.profile ? { profile: source.profile } : {}),
        profiles: [...profiles],
        roleArn: source.roleArn,
      },
    });
  }
  for (const hop of plan.hops) {
    const profile = hop.profile ?? plan.profile;
    if (!profiles.includes(profile)) profiles.push(profile);
    steps.push({
      key: keys[steps.length] as string,
      hop,
      labels: { profile, profiles: [...profiles], roleArn: hop.roleArn },
    });
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
          `run \`eks-auth login --profile ${shellWord(hop.profile ?? plan.profile)}\` in a terminal to renew it`,
      );
      break;
    }
  }

  let credentials = found?.credentials;
  if (found) {
    protect(found.credentials, deps);
    deps.log.verbose(
      `cache: reusing the session of ${describeStep(steps[start] as ChainStep, plan)} until ${found.expiresAt.toISOString()}`,
    );
  }
  for (let i = start + 1; i <= last; i++) {
    credentials = await renewStep(plan, steps[i] as ChainStep, credentials, options, deps, cache, () =>
      usable(i, marginOf(i)),
    );
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
  // The holder of an MFA step may sit at the prompt for longer than the lock's usual bound; it keeps
  // its lock alive meanwhile, and waiting for it beats a second prompt or a failure.
  const release = await cache.lock(step.key, step.hop?.mfaSerial ? { patientMs: MFA_LOCK_WAIT_MS } : undefined);
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
      cache.write({
        kind: 'credentials',
        key: step.key,
        createdAt: deps.now(),
        expiresAt: credentials.expiration,
        labels: step.labels,
        credentials,
      });
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

/** The material of one role hop: everything that goes into its AssumeRole call. */
export function hopMaterial(hop: RoleHop): unknown {
  return {
    profile: hop.profile,
    roleArn: hop.roleArn,
    externalId: hop.externalId,
    mfaSerial: hop.mfaSerial,
    sessionName: hop.sessionName,
    // The forwarded name follows from the source identity, which the key below covers.
    forwardSessionName: hop.forwardSessionName,
    durationSeconds: hop.durationSeconds,
  };
}

interface StepKeyInput {
  /** Where credentials are valid: the partition, plus the endpoint when it is not AWS's own (a local STS). */
  scope: unknown;
  sourceIdentity: unknown;
  /** Whether the source is itself an STS session worth caching (AssumeRoleWithWebIdentity). */
  sourceIsSession: boolean;
  hops: readonly RoleHop[];
}

/**
 * Keys of the cacheable steps of a chain, in order: the web identity session (when the source is
 * one), then each role hop. Each key covers its step and the key below it, so a hop's entry
 * belongs to exactly one source identity and chain prefix, and any step can be looked up without
 * reading the ones below it.
 */
function chainStepKeys(input: StepKeyInput): string[] {
  const keys: string[] = [];
  let below = cacheKey('credentials', { scope: input.scope, source: input.sourceIdentity });
  if (input.sourceIsSession) keys.push(below);
  for (const hop of input.hops) {
    below = cacheKey('credentials', { below, hop: hopMaterial(hop) });
    keys.push(below);
  }
  return keys;
}
