/**
 * EKS DescribeCluster and the access-entry reads (ListAccessEntries, DescribeAccessEntry,
 * ListAssociatedAccessPolicies): the only importer of @aws-sdk/client-eks. Calls go through eks-auth's
 * HTTP layer (deadlines, retries, proxy, trust) to the endpoint src/aws/endpoint.ts resolved, lists are
 * followed through `nextToken`, and SDK errors are mapped to EksAuthError with the cluster and region named.
 */
import {
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
} from '@aws-sdk/client-eks';
import { EksAuthError, ExitCode, isEksAuthError } from '../errors';
import type { EksPort } from '../ports';
import {
  AUTHENTICATION_MODES,
  type AccessEntry,
  type AssociatedAccessPolicy,
  type AwsCredentials,
  type EksCluster,
} from '../types';
import { NETWORK_CODES } from '../util/network-error-codes';
import { CLOCK_HINT, clockSkew, describeClockSkew, isSignatureTimeError } from './clock-skew';
import type { EksEndpoint } from './endpoint';
import { createSdkRequestHandler, DEFAULT_HTTP, type HttpSettings } from './http';

export interface EksClientOptions {
  region: string;
  credentials: AwsCredentials;
  /** AWS_ENDPOINT_URL_EKS / AWS_ENDPOINT_URL / the profile's endpoint, as the caller resolved it. */
  endpoint?: string;
  /** The endpoint resolveEksEndpoint chose (FIPS, dual-stack or the override); eks.<region>.<suffix> when unset. */
  resolved?: EksEndpoint;
  /** Deadlines, retries, proxy and trust; the documented defaults when unset. */
  http?: HttpSettings;
  /** maxResults of the list calls; default unset (the API's 100). For tests of paging. */
  pageSize?: number;
}

/** Follows `nextToken` until the last page (botocore paginators-1.json: input and output token `nextToken`). */
async function allPages<T>(
  page: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const out = await page(token);
    items.push(...out.items);
    token = out.nextToken || undefined;
    // A server repeating a token would page forever.
    if (token !== undefined) {
      if (seen.has(token)) throw new Error(`EKS repeated the page token ${JSON.stringify(token.slice(0, 40))}`);
      seen.add(token);
    }
  } while (token !== undefined);
  return items;
}

/** An EKS port calling the real API with the given credentials. */
export function createEksPort(options: EksClientOptions): EksPort {
  const { region, credentials, endpoint } = options;
  const handler = createSdkRequestHandler(options.http ?? { ...DEFAULT_HTTP, proxy: {}, rejectUnauthorized: true });
  const url = options.resolved?.url ?? endpoint;
  const client = new EKSClient({
    region: options.resolved?.signingRegion ?? region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: credentials.expiration,
    },
    ...(url ? { endpoint: url } : {}),
    // The endpoint is already the FIPS / dual-stack host; retries happen in the HTTP layer.
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    maxAttempts: 1,
    requestHandler: handler as never,
  });
  const fail = (err: unknown, cluster: string, operation: EksOperation, principalArn?: string) =>
    mapEksError(err, cluster, region, endpoint, operation, principalArn, handler.lastDate);
  const maxResults = options.pageSize;
  return {
    async describeCluster(name: string): Promise<EksCluster> {
      try {
        const out = await client.send(new DescribeClusterCommand({ name }));
        const c = out.cluster;
        if (!c?.arn) throw new Error('DescribeCluster returned no cluster');
        const mode = AUTHENTICATION_MODES.find((m) => m === c.accessConfig?.authenticationMode);
        return {
          name: c.name ?? name,
          arn: c.arn,
          status: c.status ?? 'UNKNOWN',
          endpoint: c.endpoint,
          certificateAuthorityData: c.certificateAuthority?.data,
          id: c.id,
          isLocalCluster: c.outpostConfig !== undefined,
          ...(mode ? { authenticationMode: mode } : {}),
        };
      } catch (err) {
        throw fail(err, name, 'DescribeCluster');
      }
    },
    async listAccessEntries(cluster: string): Promise<string[]> {
      try {
        return await allPages(async (nextToken) => {
          const out = await client.send(new ListAccessEntriesCommand({ clusterName: cluster, nextToken, maxResults }));
          return { items: out.accessEntries ?? [], nextToken: out.nextToken };
        });
      } catch (err) {
        throw fail(err, cluster, 'ListAccessEntries');
      }
    },
    async describeAccessEntry(cluster: string, principalArn: string): Promise<AccessEntry> {
      try {
        const out = await client.send(new DescribeAccessEntryCommand({ clusterName: cluster, principalArn }));
        const e = out.accessEntry;
        if (!e?.principalArn) throw new Error('DescribeAccessEntry returned no access entry');
        return dropUndefined({
          clusterName: e.clusterName,
          principalArn: e.principalArn,
          kubernetesGroups: e.kubernetesGroups,
          accessEntryArn: e.accessEntryArn,
          createdAt: e.createdAt,
          modifiedAt: e.modifiedAt,
          tags: e.tags,
          username: e.username,
          type: e.type,
        });
      } catch (err) {
        throw fail(err, cluster, 'DescribeAccessEntry', principalArn);
      }
    },
    async listAssociatedAccessPolicies(cluster: string, principalArn: string): Promise<AssociatedAccessPolicy[]> {
      try {
        return await allPages(async (nextToken) => {
          const out = await client.send(
            new ListAssociatedAccessPoliciesCommand({ clusterName: cluster, principalArn, nextToken, maxResults }),
          );
          const items = (out.associatedAccessPolicies ?? []).map((p) =>
            dropUndefined({
              policyArn: p.policyArn ?? '',
              accessScope: dropUndefined({
                type: p.accessScope?.type === 'namespace' ? ('namespace' as const) : ('cluster' as const),
                namespaces: p.accessScope?.namespaces,
              }),
              associatedAt: p.associatedAt,
              modifiedAt: p.modifiedAt,
            }),
          );
          return { items, nextToken: out.nextToken };
        });
      } catch (err) {
        throw fail(err, cluster, 'ListAssociatedAccessPolicies', principalArn);
      }
    },
    close() {
      client.destroy();
    },
  };
}

/** The object without its undefined fields (the SDK sets absent members to undefined; JSON output omits them). */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

type EksOperation = 'DescribeCluster' | 'ListAccessEntries' | 'DescribeAccessEntry' | 'ListAssociatedAccessPolicies';

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

/**
 * Maps an SDK failure of an EKS call to the documented exit codes. The reason names what failed:
 * `cluster-not-found`, `access-entry-not-found`, `eks-endpoint-not-found`, `eks-access-denied`,
 * `eks-invalid-request`, `eks-unreachable`, `eks-error`; an access-denied message names the permission.
 */
function mapEksError(
  err: unknown,
  cluster: string,
  region: string,
  endpoint?: string,
  operation: EksOperation = 'DescribeCluster',
  principalArn?: string,
  dateHeader?: string,
  now: Date = new Date(),
): EksAuthError {
  const where = `cluster "${cluster}" in ${region}`;
  if (isEksAuthError(err) && err.exitCode === ExitCode.network && err.reason !== 'proxy-refused') {
    const hint = endpoint
      ? `check that ${originOf(endpoint)} (from AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL or your AWS config) is reachable`
      : err.hint;
    return new EksAuthError(ExitCode.network, `could not reach EKS for ${where}: ${err.message}`, {
      hint,
      cause: err,
      reason: 'eks-unreachable',
    });
  }
  if (isEksAuthError(err)) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name && name !== 'Error' ? `${name}: ` : ''}${e.message ?? String(err)}`;
  if (isSignatureTimeError(name, e.message)) {
    const skew = describeClockSkew(clockSkew(dateHeader, now), dateHeader);
    if (skew) {
      return new EksAuthError(
        ExitCode.credentials,
        `EKS refused ${operation} for ${where} because the signature's time is off: ${skew} (${detail})`,
        {
          hint: CLOCK_HINT,
          cause: err,
          reason: 'clock-skew',
        },
      );
    }
  }
  const ofEntry =
    principalArn !== undefined && name === 'ResourceNotFoundException' && !/cluster/i.test(e.message ?? '');
  if (ofEntry) {
    return new EksAuthError(ExitCode.config, `${where} has no access entry for ${principalArn}`, {
      hint: `list them: aws eks list-access-entries --cluster-name ${cluster} --region ${region}`,
      cause: err,
      reason: 'access-entry-not-found',
    });
  }
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
    return new EksAuthError(
      ExitCode.config,
      `the EKS endpoint ${originOf(endpoint as string)} answered ${operation} for ${where} with HTTP 404 (${detail})`,
      {
        hint: 'check AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL or endpoint_url in your AWS config: it does not look like an EKS API',
        cause: err,
        reason: 'eks-endpoint-not-found',
      },
    );
  }
  if (CREDENTIAL_ERRORS.has(name) || status === 401 || status === 403) {
    return new EksAuthError(ExitCode.credentials, `EKS refused ${operation} for ${where}: ${detail}`, {
      hint:
        operation === 'DescribeCluster'
          ? 'the identity needs eks:DescribeCluster on the cluster (check it with `aws sts get-caller-identity`), or pass --server and --ca-data to skip the lookup'
          : `the identity needs eks:${operation} on the cluster (check it with \`aws sts get-caller-identity\`)`,
      cause: err,
      reason: 'eks-access-denied',
    });
  }
  // Access-entry calls on a cluster whose authentication mode is CONFIG_MAP.
  if (name === 'InvalidRequestException' || name === 'InvalidParameterException') {
    return new EksAuthError(ExitCode.config, `EKS refused ${operation} for ${where}: ${detail}`, {
      hint: `see the cluster's authentication mode: aws eks describe-cluster --name ${cluster} --region ${region} --query cluster.accessConfig`,
      cause: err,
      reason: 'eks-invalid-request',
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
  return new EksAuthError(ExitCode.config, `EKS ${operation} failed for ${where}: ${detail}`, {
    cause: err,
    reason: 'eks-error',
  });
}
