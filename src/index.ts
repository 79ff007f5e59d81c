/**
 * eks-auth as a library: make and verify EKS tokens, resolve AWS credentials as the AWS CLI does,
 * and apply aws-auth mappings. The command line is built on exactly these functions.
 */
export { EksAuthError, ExitCode, isEksAuthError, type ErrorReason } from './errors';
export type { AwsCredentials, CallerIdentity, StsEndpoint } from './ports';

// Tokens
export { encodeToken, decodeToken, TOKEN_PREFIX, MAX_TOKEN_BYTES } from './token/encode';
export { presignGetCallerIdentity, type PresignInput } from './token/presign';
export { validateToken, type ValidateOptions, type ValidatedToken } from './token/validate';
export {
  verifyToken,
  replayToSts,
  createHttpsGet,
  type VerifiedIdentity,
  type VerifyTokenOptions,
} from './token/verify';
export type { HttpGet } from './ports';

// AWS
export { resolveStsEndpoint, partitionOf, type StsEndpointSettings } from './aws/endpoint';
export { canonicalizeArn, parsePrincipal, type Principal } from './aws/arn';

// Kubernetes
export { formatExecCredential, parseExecInfo, type ExecApiVersion } from './kube/exec-credential';
export { parseAwsAuth, type AwsAuth, type AwsAuthProblem } from './kube/aws-auth';
export { mapIdentity, type MappingIdentity, type MappingResult } from './kube/aws-auth-map';
export { lintAwsAuth } from './kube/aws-auth-lint';
export {
  mapClusterIdentity,
  matchAccessEntry,
  accessEntryNearMisses,
  defaultUsername,
  describeAccessPolicy,
  describeAccessScope,
  ssoPermissionSet,
  type AccessEntry,
  type AccessEntryRecord,
  type AccessEntryNearMiss,
  type AssociatedAccessPolicy,
  type AuthenticationMode,
  type ClusterIdentity,
  type ClusterMapping,
  type ClusterMappingInput,
  type MatchedBy,
  type PrincipalAge,
} from './kube/access-entries';
// The access-entry source: reads the mode and entries through any EKS client shaped as ClusterApi.
export { readClusterFacts, type ClusterApi, type ClusterFacts } from './usecases/explain';
