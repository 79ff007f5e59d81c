/**
 * eks-auth as a library: make and verify EKS tokens, resolve AWS credentials as the AWS CLI does,
 * and apply aws-auth mappings. The command line is built on exactly these functions.
 */
export { EksAuthError, ExitCode, isEksAuthError } from './errors';
export type { AwsCredentials, CallerIdentity, StsEndpoint } from './ports';

// Tokens
export { encodeToken, decodeToken, TOKEN_PREFIX, MAX_TOKEN_BYTES } from './token/encode';
export { presignGetCallerIdentity, type PresignInput } from './token/presign';
export { validateToken, type ValidateOptions, type ValidatedToken } from './token/verify';
export { verifyToken, replayToSts, createHttpsGet, type HttpGet, type VerifiedIdentity, type VerifyTokenOptions } from './token/replay';

// AWS
export { resolveStsEndpoint, partitionOf, type StsEndpointSettings } from './aws/endpoint';
export { canonicalizeArn, parsePrincipal, type Principal } from './aws/arn';

// Kubernetes
export { formatExecCredential, parseExecInfo, type ExecApiVersion } from './kube/exec-credential';
export { parseAwsAuth, type AwsAuth, type AwsAuthProblem } from './kube/aws-auth';
export { mapIdentity, type MappingIdentity, type MappingResult } from './kube/aws-auth-map';
export { lintAwsAuth } from './kube/aws-auth-lint';
