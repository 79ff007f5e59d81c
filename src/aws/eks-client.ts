/**
 * EKS DescribeCluster: the only importer of @aws-sdk/client-eks. Bounded timeouts, and SDK errors
 * mapped to EksAuthError with the cluster and region named.
 */
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { EksAuthError, ExitCode } from '../errors';
import type { AwsCredentials } from '../ports';
import { NETWORK_CODES } from './network-errors';

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
}

/** The EKS calls eks-auth makes. */
export interface EksPort {
  describeCluster(name: string): Promise<EksCluster>;
}

export interface EksClientOptions {
  region: string;
  credentials: AwsCredentials;
  /** AWS_ENDPOINT_URL_EKS / AWS_ENDPOINT_URL / the profile's endpoint, as the caller resolved it. */
  endpoint?: string;
  /** Per attempt; defaults to 10 s. Connection setup is bounded to 5 s. */
  timeoutMs?: number;
}

/** An EKS port calling the real API with the given credentials. */
export function createEksPort(options: EksClientOptions): EksPort {
  const { region, credentials, endpoint } = options;
  const client = new EKSClient({
    region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: credentials.expiration,
    },
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: options.timeoutMs ?? 10_000, throwOnRequestTimeout: true },
  });
  return {
    async describeCluster(name: string): Promise<EksCluster> {
      try {
        const out = await client.send(new DescribeClusterCommand({ name }));
        const c = out.cluster;
        if (!c?.arn) throw new Error('DescribeCluster returned no cluster');
        return {
          name: c.name ?? name,
          arn: c.arn,
          status: c.status ?? 'UNKNOWN',
          endpoint: c.endpoint,
          certificateAuthorityData: c.certificateAuthority?.data,
          id: c.id,
          isLocalCluster: c.outpostConfig !== undefined,
        };
      } catch (err) {
        throw mapEksError(err, name, region, endpoint);
      } finally {
        client.destroy();
      }
    },
  };
}

const CREDENTIAL_ERRORS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'UnauthorizedOperation',
  'UnauthorizedException',
]);

/** Only the origin of an endpoint URL: a path or query could carry something private. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'from your configuration';
  }
}

/** Maps an SDK failure of DescribeCluster to the documented exit codes. */
export function mapEksError(err: unknown, cluster: string, region: string, endpoint?: string): EksAuthError {
  if (err instanceof EksAuthError) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name && name !== 'Error' ? `${name}: ` : ''}${e.message ?? String(err)}`;
  const where = `cluster "${cluster}" in ${region}`;
  // EKS answers an unknown cluster with ResourceNotFoundException (HTTP 404); a bare 404 comes from
  // something that is not the EKS API, typically a wrong AWS_ENDPOINT_URL_EKS.
  if (name === 'ResourceNotFoundException' || (status === 404 && !endpoint)) {
    return new EksAuthError(ExitCode.config, `EKS has no ${where}`, {
      hint: `check the name and region: aws eks list-clusters --region ${region}`,
      cause: err,
      reason: 'cluster-not-found',
    });
  }
  if (status === 404) {
    return new EksAuthError(ExitCode.config, `the EKS endpoint ${originOf(endpoint as string)} answered DescribeCluster for ${where} with HTTP 404 (${detail})`, {
      hint: 'check AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL or endpoint_url in your AWS config: it does not look like an EKS API',
      cause: err,
      reason: 'eks-endpoint-not-found',
    });
  }
  if (CREDENTIAL_ERRORS.has(name) || status === 401 || status === 403) {
    return new EksAuthError(ExitCode.credentials, `EKS refused DescribeCluster for ${where}: ${detail}`, {
      hint: 'the identity needs eks:DescribeCluster on the cluster (check it with `aws sts get-caller-identity`), or pass --server and --ca-data to skip the lookup',
      cause: err,
      reason: 'eks-access-denied',
    });
  }
  const code = e.code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout' ||
    name === 'ServiceUnavailableException' ||
    name === 'ServerException' ||
    (status !== undefined && status >= 500) ||
    (status === undefined && /socket|timed? ?out|connect/i.test(detail))
  ) {
    return new EksAuthError(ExitCode.network, `could not reach EKS for ${where}: ${detail}`, {
      hint: endpoint
        ? `check that ${originOf(endpoint)} (from AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL or your AWS config) is reachable`
        : 'check your network connection and proxy settings (HTTPS_PROXY), then try again',
      cause: err,
      reason: 'eks-unreachable',
    });
  }
  return new EksAuthError(ExitCode.config, `EKS DescribeCluster failed for ${where}: ${detail}`, { cause: err, reason: 'eks-error' });
}
