/**
 * The outside world, as small interfaces passed to every use case (`deps`). The CLI layer builds the
 * real ones (src/cli/deps.ts); tests pass fakes: a fixed clock, an env object, a temp dir, a recording STS.
 */
import type {
  AssumeRoleRequest,
  AssumeRoleWithWebIdentityRequest,
  AwsCredentials,
  AwsFileLocations,
  CacheEntry,
  CallerIdentity,
  ClusterLookupInput,
  AccessEntry,
  AssociatedAccessPolicy,
  EksCluster,
  Env,
  HttpSettings,
  StsEndpoint,
} from './types';

// The value types moved to ./types; named here too so that existing imports keep working.
export type {
  AssumeRoleRequest,
  AssumeRoleWithWebIdentityRequest,
  AwsCredentials,
  AwsFileLocations,
  CacheEntry,
  CacheLabels,
  CallerIdentity,
  CredentialsCacheEntry,
  Env,
  HttpSettings,
  ProxyEnv,
  StsEndpoint,
  TokenCacheEntry,
} from './types';

/** Messages for stderr. Nothing here ever reaches stdout. Never pass a secret or a token. */
export interface Logger {
  /** `warning: …` lines, always shown. */
  warn(message: string): void;
  /** Trace lines, shown only with --verbose. */
  verbose(message: string): void;
  /** Marks a value (secret key, session token, bearer token) that must never appear on stderr. */
  protect(value: string | undefined): void;
}

export interface FilePort {
  /** The file's text, or undefined when it does not exist. Other failures throw. */
  readText(path: string): string | undefined;
}

/** STS calls. The real one (src/aws/sts-client.ts) is the only importer of @aws-sdk/client-sts. */
export interface StsPort {
  assumeRole(req: AssumeRoleRequest, credentials: AwsCredentials, endpoint: StsEndpoint): Promise<AwsCredentials>;
  assumeRoleWithWebIdentity(req: AssumeRoleWithWebIdentityRequest, endpoint: StsEndpoint): Promise<AwsCredentials>;
  getCallerIdentity(credentials: AwsCredentials, endpoint: StsEndpoint): Promise<CallerIdentity>;
}

/**
 * Credential sources that come from the AWS SDK (src/aws/sdk-sources.ts is the only importer of
 * @aws-sdk/credential-providers). Each returns the credentials or throws.
 */
export interface SdkSourcesPort {
  /** Runs `command`, the `credential_process` of the named profile (src/aws/credential-process.ts). */
  fromProcess(profile: string, command: string): Promise<AwsCredentials>;
  /** SSO (`sso_session` or legacy `sso_start_url`) of the named profile. */
  fromSso(profile: string, files: AwsFileLocations, http?: HttpSettings): Promise<AwsCredentials>;
  /** `login_session` of the named profile: the session `aws login` cached under ~/.aws/login/cache. */
  fromLogin(profile: string, files: AwsFileLocations): Promise<AwsCredentials>;
  /** ECS / EKS Pod Identity container credentials (AWS_CONTAINER_CREDENTIALS_*). */
  fromContainer(http?: HttpSettings): Promise<AwsCredentials>;
  /** EC2 instance metadata (IMDSv2). */
  fromInstanceMetadata(): Promise<AwsCredentials>;
}

/** Asks the user for a line (an MFA code). Undefined when there is no interactive user. */
export interface PromptPort {
  ask(question: string): Promise<string>;
}

/**
 * The on-disk cache (src/cache/store.ts). Never throws: a problem (an unsafe directory, a failed
 * write) becomes one warning and turns the cache off for the rest of the run.
 */
export interface CachePort {
  /** The entry under key, or undefined when it is absent, corrupt, of another version or unsafe to read. */
  read(key: string): CacheEntry | undefined;
  /** Writes atomically (temp file + rename), mode 0600. */
  write(entry: CacheEntry): void;
  /**
   * Takes the key's lock file, waiting a bounded time for another process; resolves to its release.
   * With `patientMs`, waits up to that long while the holder is alive and renews its lock (it is
   * at an MFA prompt) instead of breaking it after the usual bound.
   */
  lock(key: string, options?: { patientMs?: number }): Promise<() => void>;
  /** False once a problem turned the cache off for this run. */
  isActive(): boolean;
}

/** The EKS calls eks-auth makes (src/aws/eks-client.ts is the only importer of @aws-sdk/client-eks). One client serves them all; close() releases its connections. */
export interface EksPort {
  describeCluster(name: string): Promise<EksCluster>;
  /** Every entry's principal ARN, following `nextToken` (`pageSize` per call, default the API's 100). */
  listAccessEntries(cluster: string): Promise<string[]>;
  describeAccessEntry(cluster: string, principalArn: string): Promise<AccessEntry>;
  /** Every associated policy, following `nextToken`. */
  listAssociatedAccessPolicies(cluster: string, principalArn: string): Promise<AssociatedAccessPolicy[]>;
  close(): void;
}

/** Looks a cluster up with DescribeCluster; returns it with the region that was used. */
export type LookupCluster = (name: string, aws: ClusterLookupInput) => Promise<{ cluster: EksCluster; region: string }>;

/** Runs kubectl (from PATH). Throws EksAuthError when kubectl cannot be started. */
export interface KubectlPort {
  run(args: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

/** One HTTP GET: never follows redirects, gives up after `timeoutMs`, reads at most `maxBytes`. */
export type HttpGet = (
  url: string,
  headers: Readonly<Record<string, string>>,
  limits: { timeoutMs: number; maxBytes: number },
) => Promise<{ status: number; body: string; date?: string }>;

export interface Deps {
  env: Env;
  now: () => Date;
  homedir: string;
  files: FilePort;
  log: Logger;
  /** Lazily loaded: the env-credential hot path never touches the SDK. */
  sts: () => Promise<StsPort>;
  sdkSources: () => Promise<SdkSourcesPort>;
  prompt?: PromptPort;
  /** Whether stdin is a terminal, so that a person may be asked (MFA codes); asked only when needed. None means no. */
  stdinIsTerminal?: () => boolean;
  /**
   * The local user name from the password database, for default role session names; asked only
   * when LOGNAME, USER, LNAME and USERNAME are all unset (it reads /etc/passwd).
   */
  userName?: () => string | undefined;
  /** The token and role-session cache; none means every call resolves afresh (--no-cache, tests). */
  cache?: CachePort;
}
