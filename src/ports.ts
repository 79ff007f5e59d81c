/**
 * The outside world, as small interfaces passed to every use case (`deps`). The CLI layer builds the
 * real ones (src/cli/deps.ts); tests pass fakes: a fixed clock, an env object, a temp dir, a recording STS.
 */

export type Env = Readonly<Record<string, string | undefined>>;

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

/** AWS credentials. `expiration` is set for temporary credentials. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** The proxy variables as the environment holds them; resolved per URL by proxyFor. */
export interface ProxyEnv {
  https?: string;
  http?: string;
  noProxy?: string;
}

/** How every call reaches AWS (src/aws/http.ts makes the calls). */
export interface HttpSettings {
  /** TCP connect, and the proxy's answer to CONNECT, per attempt. */
  connectTimeoutMs: number;
  /** The TLS handshake, per attempt. */
  tlsTimeoutMs: number;
  /** One whole attempt, from the first packet to the last byte of the answer. */
  requestTimeoutMs: number;
  /** One call, all attempts and backoff included. */
  callTimeoutMs: number;
  maxAttempts: number;
  proxy: ProxyEnv;
  /** PEM certificates trusted in addition to Node's default roots. */
  extraCaPem?: string;
  /** Reads the extra certificates on first use (a bad bundle fails only a run that goes to the network). */
  loadExtraCa?: () => string;
  /** Where the extra certificates come from, for messages (`AWS_CA_BUNDLE /etc/ca.pem`). */
  caSource?: string;
  /** False only when NODE_TLS_REJECT_UNAUTHORIZED=0 and the caller allows it. */
  rejectUnauthorized: boolean;
  /** A `warning:` line, printed at most once per settings object (certificate checks turned off). */
  warn?: (message: string) => void;
  /** --verbose trace lines; never given a secret. */
  trace?: (message: string) => void;
}

/** Where STS is, for AssumeRole calls and for the presigned URL. */
export interface StsEndpoint {
  /** `https://sts.us-west-2.amazonaws.com` or an override such as `https://127.0.0.1:4566`; no trailing slash. */
  url: string;
  /** The host[:port] that is signed as `host`. */
  host: string;
  /** Region in the credential scope (us-east-1 for the global endpoint). */
  signingRegion: string;
  /** The configured region. */
  region: string;
  partition: string;
  /** How calls reach it (deadlines, proxy, trust); the documented defaults when unset. */
  http?: HttpSettings;
}

export interface AssumeRoleRequest {
  roleArn: string;
  roleSessionName: string;
  externalId?: string;
  durationSeconds?: number;
  serialNumber?: string;
  tokenCode?: string;
}

export interface AssumeRoleWithWebIdentityRequest {
  roleArn: string;
  roleSessionName: string;
  webIdentityToken: string;
  durationSeconds?: number;
}

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
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
  /** `credential_process` of the named profile. */
  fromProcess(profile: string, files: AwsFileLocations): Promise<AwsCredentials>;
  /** SSO (`sso_session` or legacy `sso_start_url`) of the named profile. */
  fromSso(profile: string, files: AwsFileLocations, http?: HttpSettings): Promise<AwsCredentials>;
  /** ECS / EKS Pod Identity container credentials (AWS_CONTAINER_CREDENTIALS_*). */
  fromContainer(http?: HttpSettings): Promise<AwsCredentials>;
  /** EC2 instance metadata (IMDSv2). */
  fromInstanceMetadata(): Promise<AwsCredentials>;
}

export interface AwsFileLocations {
  configFile: string;
  credentialsFile: string;
}

/** Asks the user for a line (an MFA code). Undefined when there is no interactive user. */
export interface PromptPort {
  ask(question: string): Promise<string>;
}

/** What the on-disk cache holds about an entry besides its payload: names for `cache list` and `cache clean`, never a secret. */
export interface CacheLabels {
  /** The profile in effect (a token) or the profile whose role_arn a session is (a role hop). */
  profile?: string;
  /** Every profile the entry depends on, from the source up: `cache clean --profile P` matches any of them. */
  profiles?: string[];
  cluster?: string;
  region?: string;
  roleArn?: string;
}

interface CacheEntryBase {
  /** The SHA-256 (hex) of every input the entry depends on; also its file name. */
  key: string;
  createdAt: Date;
  expiresAt: Date;
  labels: CacheLabels;
}

/** The final token of `eks-auth token`, reprinted until its own expiry minus a margin. */
export interface TokenCacheEntry extends CacheEntryBase {
  kind: 'token';
  token: string;
}

/** The credentials of one step of a chain: a role hop or a web identity session. */
export interface CredentialsCacheEntry extends CacheEntryBase {
  kind: 'credentials';
  credentials: AwsCredentials;
}

export type CacheEntry = TokenCacheEntry | CredentialsCacheEntry;

/**
 * The on-disk cache (src/cache/store.ts). Never throws: a problem (an unsafe directory, a failed
 * write) becomes one warning and turns the cache off for the rest of the run.
 */
export interface CachePort {
  /** The entry under key, or undefined when it is absent, corrupt, of another version or unsafe to read. */
  read(key: string): CacheEntry | undefined;
  /** Writes atomically (temp file + rename), mode 0600. */
  write(entry: CacheEntry): void;
  /** Takes the key's lock file, waiting a bounded time for another process; resolves to its release. */
  lock(key: string): Promise<() => void>;
  /** False once a problem turned the cache off for this run. */
  isActive(): boolean;
}

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
  /** The token and role-session cache; none means every call resolves afresh (--no-cache, tests). */
  cache?: CachePort;
}
