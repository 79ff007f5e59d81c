/**
 * `eks-auth token`: the exec-credential plugin. Resolves credentials, presigns GetCallerIdentity
 * for the cluster and prints an ExecCredential (or the bare token).
 *
 * With a cache (deps.cache) and credentials that cost a network call (role hops, web identity,
 * SSO, credential_process, container, instance metadata), the token itself is reprinted until its
 * expiry minus a margin, with its original expirationTimestamp and the apiVersion asked for now.
 * A hit reads the two AWS config files and one cache file, and loads no SDK code. A miss takes the
 * token's lock first, so N concurrent cold calls make one set of STS calls and the others print
 * the same token.
 */
import { hasAsciiControl } from '../util/ascii';
import { EksAuthError, ExitCode } from '../errors';
import type { CacheLabels, CachePort, Deps, StsEndpoint, TokenCacheEntry } from '../ports';
import { resolveAwsTarget, type AwsInput, type AwsTarget } from '../aws/resolve';
import { executeCachedPlan, hopMaterial, sourceIdentity } from '../aws/session-cache';
import type { CredentialPlan } from '../aws/profile-chain';
import { cacheKey } from '../cache/key';
import { isUsable, TOKEN_REFRESH_MARGIN_MS } from '../cache/expiry';
import { encodeToken, MAX_TOKEN_BYTES } from '../token/encode';
import { presignGetCallerIdentity } from '../token/presign';
import { formatExecCredential, parseExecInfo } from '../kube/exec-credential';
import { formatTimestamp } from '../util/utc';

export interface TokenInput extends AwsInput {
  /** Cluster name or id: the signed x-k8s-aws-id header. */
  clusterId: string;
  /** `json`: ExecCredential (default); `token`: the bare token line. */
  output: 'json' | 'token';
  /** KUBERNETES_EXEC_INFO as kubectl set it. */
  execInfo?: string;
}

/** STS honours a presigned GetCallerIdentity for 15 minutes; peers advertise 14 to leave a minute of slack. */
const TOKEN_LIFETIME_MS = 14 * 60 * 1000;
/** A token must not outlive its signing credentials: STS rejects it once they expire. */
const CREDENTIAL_EXPIRY_MARGIN_MS = 60 * 1000;

/**
 * The earlier of signing time + 14 minutes and the credentials' expiry minus a margin. Peers use
 * the former only and cause 401s before the advertised expiry (aws-iam-authenticator #590).
 */
export function tokenExpiration(signedAt: Date, credentialsExpire: Date | undefined): Date {
  const byToken = signedAt.getTime() + TOKEN_LIFETIME_MS;
  if (!credentialsExpire) return new Date(byToken);
  return new Date(Math.min(byToken, credentialsExpire.getTime() - CREDENTIAL_EXPIRY_MARGIN_MS));
}

function validateClusterId(clusterId: string | undefined): string {
  if (!clusterId) {
    throw new EksAuthError(ExitCode.usage, 'no cluster given', {
      hint: 'pass --cluster <name> (the EKS cluster name, or its id for clusters on Outposts)',
      reason: 'usage',
    });
  }
  // The id travels as an HTTP header value: control characters cannot be signed or sent.
  if (hasAsciiControl(clusterId)) {
    throw new EksAuthError(ExitCode.usage, 'the cluster name contains control characters', { reason: 'usage' });
  }
  return clusterId;
}

/** The ports token uses: all of them, since a cache miss resolves credentials (files, STS, the SDK, a prompt). */
export type TokenDeps = Deps;

export async function getToken(input: TokenInput, deps: TokenDeps): Promise<string> {
  const clusterId = validateClusterId(input.clusterId);
  const execInfo = parseExecInfo(input.execInfo);
  if (execInfo.problem) deps.log.warn(`${execInfo.problem}; answering in ${execInfo.apiVersion}`);
  // Whether stdin is a terminal matters only when kubectl does not say, and is asked only when
  // credentials must be resolved: a cache hit never needs it.
  const interactive = (): boolean => execInfo.interactive ?? deps.stdinIsTerminal?.() ?? false;
  const target = resolveAwsTarget(input, deps);
  const print = (token: string, expiration: Date) =>
    input.output === 'token' ? `${token}\n` : formatExecCredential(execInfo.apiVersion, token, expiration);

  const cache = worthCaching(target.plan) ? deps.cache : undefined;
  const identity = cache ? sourceIdentity(target.plan, target.files, deps) : undefined;
  if (!cache || identity === undefined) {
    const signed = await signToken(target, clusterId, interactive, undefined, deps);
    return print(signed.token, signed.expiration);
  }
  const key = tokenCacheKey({ clusterId, endpoint: target.stsEndpoint, plan: target.plan, sourceIdentity: identity });
  const hit = cachedToken(cache, key, deps);
  if (hit) return print(hit.token, hit.expiresAt);

  const release = await cache.lock(key);
  try {
    // Another call may have made the token while we waited for its lock.
    const fresh = cachedToken(cache, key, deps);
    if (fresh) return print(fresh.token, fresh.expiresAt);
    const signed = await signToken(target, clusterId, interactive, identity, deps);
    // Keys without an expiry (a credential_process that returns long-lived keys) sign a token that
    // is not cached, like environment and static keys: no token from long-lived keys is written to disk.
    if (!signed.credentialsExpire) {
      deps.log.verbose('cache: not caching a token signed with long-lived keys (they have no expiry)');
      return print(signed.token, signed.expiration);
    }
    cache.write({
      kind: 'token',
      key,
      createdAt: signed.signedAt,
      expiresAt: signed.expiration,
      labels: tokenLabels(target, clusterId),
      token: signed.token,
    });
    return print(signed.token, signed.expiration);
  } finally {
    release();
  }
}

/**
 * Whether getting credentials costs a network call or SDK code. Signing with environment or static
 * keys takes less time than reading a cache file, and a token that is not cached is not on disk.
 */
function worthCaching(plan: CredentialPlan): boolean {
  return plan.hops.length > 0 || plan.sources.some((source) => source.kind !== 'env' && source.kind !== 'static');
}

function cachedToken(cache: CachePort, key: string, deps: Deps): TokenCacheEntry | undefined {
  const entry = cache.read(key);
  if (entry?.kind !== 'token' || !isUsable(entry, deps.now(), TOKEN_REFRESH_MARGIN_MS)) return undefined;
  deps.log.protect(entry.token);
  deps.log.verbose(
    `cache: reusing the token made at ${formatTimestamp(entry.createdAt)}, which expires ${formatTimestamp(entry.expiresAt)}`,
  );
  return entry;
}

function tokenLabels(target: AwsTarget, clusterId: string): CacheLabels {
  const { plan } = target;
  const lastHop = plan.hops[plan.hops.length - 1];
  const source = plan.sources[0];
  const roleArn = lastHop?.roleArn ?? (source?.kind === 'web-identity' ? source.roleArn : undefined);
  return {
    profile: plan.profile,
    profiles: [...new Set([...plan.visited, plan.profile])],
    cluster: clusterId,
    region: target.stsEndpoint.region,
    ...(roleArn ? { roleArn } : {}),
  };
}

interface SignedToken {
  token: string;
  signedAt: Date;
  expiration: Date;
  /** When the signing credentials expire; undefined for long-lived keys. */
  credentialsExpire: Date | undefined;
}

async function signToken(
  target: AwsTarget,
  clusterId: string,
  interactive: () => boolean,
  identity: unknown,
  deps: Deps,
): Promise<SignedToken> {
  const endpoint = target.stsEndpoint;
  // Only an MFA prompt needs to know, and asking may load node:tty (milliseconds).
  const mayPrompt = target.plan.hops.some((hop) => hop.mfaSerial !== undefined) && interactive();
  const credentials = await executeCachedPlan(
    target.plan,
    { files: target.files, endpoint, interactive: mayPrompt, sourceIdentity: identity },
    deps,
  );
  const signedAt = deps.now();
  // A token signed with expired credentials is refused by STS; printing one would make kubectl
  // re-run the plugin before every request and get 401 each time.
  if (credentials.expiration && credentials.expiration.getTime() <= signedAt.getTime()) {
    throw new EksAuthError(
      ExitCode.credentials,
      `the signing credentials expired at ${credentials.expiration.toISOString()}`,
      {
        hint: 'refresh them (export new keys and AWS_CREDENTIAL_EXPIRATION, aws sso login, …) and retry',
        reason: 'credentials-expired',
      },
    );
  }
  const url = presignGetCallerIdentity({ credentials, endpoint, clusterId, signingDate: signedAt });
  const token = encodeToken(url);
  deps.log.protect(token);

  // Prefix and base64url: ASCII, one byte a character (Buffer.byteLength costs a first call 0.05 ms).
  const tokenBytes = token.length;
  if (tokenBytes > MAX_TOKEN_BYTES) {
    deps.log.warn(
      `the token is ${tokenBytes} bytes, over the ${MAX_TOKEN_BYTES} bytes that EKS accepts (a long session token); ` +
        'kubectl will get 401 Unauthorized: use credentials with a shorter session token (fewer role-chaining hops or session tags)',
    );
  }
  const expiration = tokenExpiration(signedAt, credentials.expiration);
  if (expiration.getTime() <= signedAt.getTime() + CREDENTIAL_EXPIRY_MARGIN_MS) {
    deps.log.warn('the signing credentials expire within two minutes; kubectl will ask for a new token almost at once');
  }
  deps.log.verbose(`token: cluster ${clusterId}, STS ${endpoint.host}, expires ${formatTimestamp(expiration)}`);
  return { token, signedAt, expiration, credentialsExpire: credentials.expiration };
}

export interface TokenKeyInput {
  clusterId: string;
  endpoint: StsEndpoint;
  plan: Pick<CredentialPlan, 'profile' | 'sources' | 'hops'>;
  /** What identifies the source credentials (aws/session-cache.ts sourceIdentity). */
  sourceIdentity: unknown;
}

/** The key of the final token: cluster, STS endpoint and signing region, the whole plan, the source identity. */
export function tokenCacheKey(input: TokenKeyInput): string {
  const { endpoint, plan } = input;
  return cacheKey('token', {
    cluster: input.clusterId,
    endpoint: {
      url: endpoint.url,
      host: endpoint.host,
      signingRegion: endpoint.signingRegion,
      region: endpoint.region,
      partition: endpoint.partition,
    },
    profile: plan.profile,
    sources: plan.sources,
    hops: plan.hops.map(hopMaterial),
    source: input.sourceIdentity,
  });
}
