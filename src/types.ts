/**
 * The values the ports speak: credentials, the STS endpoint and request shapes, cache entries, the
 * cluster as EKS describes it. Plain data at the base of the layers, so that aws/, token/, cache/
 * and kube/ share them without importing each other (as kubelogin's types.go beside its ports).
 */

export type Env = Readonly<Record<string, string | undefined>>;

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

export interface AwsFileLocations {
  configFile: string;
  credentialsFile: string;
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

/** What kubeconfig needs to know about a cluster. */
export interface EksCluster {
  name: string;
  arn: string;
  /** `CREATING`, `ACTIVE`, `UPDATING`, `DELETING`, `FAILED`, `PENDING`. */
  status: string;
  endpoint?: string;
  /** Base64 of the cluster CA's PEM, as kubeconfig's certificate-authority-data takes it. */
  certificateAuthorityData?: string;
  /** The cluster id: set for local clusters on AWS Outposts, whose tokens are bound to it. */
  id?: string;
  /** A local cluster on AWS Outposts (`outpostConfig` is set). */
  isLocalCluster: boolean;
  /** `accessConfig.authenticationMode`; undefined when EKS did not say (or said something unknown). */
  authenticationMode?: AuthenticationMode;
}

/** `DescribeCluster` → `cluster.accessConfig.authenticationMode`. */
export type AuthenticationMode = 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';

export const AUTHENTICATION_MODES: readonly AuthenticationMode[] = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'];

/** `AccessScope`: the whole cluster, or the listed namespaces (a trailing `*` is a wildcard). */
export interface AccessScope {
  type: 'cluster' | 'namespace';
  namespaces?: string[];
}

/** `AssociatedAccessPolicy`, as ListAssociatedAccessPolicies returns it. */
export interface AssociatedAccessPolicy {
  policyArn: string;
  accessScope: AccessScope;
  associatedAt?: Date;
  modifiedAt?: Date;
}

/** `AccessEntry`, as DescribeAccessEntry returns it. */
export interface AccessEntry {
  clusterName?: string;
  principalArn: string;
  kubernetesGroups?: string[];
  accessEntryArn?: string;
  createdAt?: Date;
  modifiedAt?: Date;
  tags?: Record<string, string>;
  username?: string;
  /** `STANDARD`, `EC2_LINUX`, `EC2_WINDOWS`, `FARGATE_LINUX`, `HYBRID_LINUX`, `HYPERPOD_LINUX`, `EC2`. */
  type?: string;
}

/** The AWS settings a cluster lookup uses, as resolveAwsContext takes them. */
export interface ClusterLookupInput {
  profile?: string;
  region?: string;
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
}
