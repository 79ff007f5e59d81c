/**
 * The STS port over @aws-sdk/client-sts: the only file that imports it. Loaded lazily, never on
 * the env-credential path. Calls have bounded time (connect 3 s, request 10 s) and the SDK's
 * standard retries (3 attempts with backoff for throttling and 5xx).
 */
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
  type Credentials as StsCredentials,
} from '@aws-sdk/client-sts';
import { EksAuthError, ExitCode } from '../errors';
import type { AwsCredentials, StsEndpoint, StsPort } from '../ports';
import { NETWORK_CODES } from './network-errors';

function client(endpoint: StsEndpoint, credentials?: AwsCredentials): STSClient {
  return new STSClient({
    region: endpoint.signingRegion,
    endpoint: endpoint.url,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 10000, throwOnRequestTimeout: true },
    // Unsigned calls (AssumeRoleWithWebIdentity) still need a credentials value for the client.
    credentials: credentials ?? { accessKeyId: '', secretAccessKey: '' },
  });
}

function toCredentials(credentials: StsCredentials | undefined, action: string): AwsCredentials {
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
    throw new EksAuthError(ExitCode.credentials, `STS ${action} returned no credentials`);
  }
  const out: AwsCredentials = { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey };
  if (credentials.SessionToken) out.sessionToken = credentials.SessionToken;
  if (credentials.Expiration) out.expiration = new Date(credentials.Expiration);
  return out;
}

type StsAction = 'AssumeRole' | 'AssumeRoleWithWebIdentity' | 'GetCallerIdentity';

/** Maps SDK and socket failures to our exit codes, keeping the STS error code and message. */
export function stsError(err: unknown, endpoint: StsEndpoint, action: StsAction): EksAuthError {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const message = e.message ?? String(err);
  if ((e.code && NETWORK_CODES.has(e.code)) || e.name === 'TimeoutError' || /socket hang up|timed? ?out/i.test(message)) {
    return new EksAuthError(ExitCode.network, `STS at ${endpoint.url} could not be reached: ${message}`, {
      hint: 'check your network, proxy and the STS endpoint (AWS_ENDPOINT_URL_STS, --region)',
      cause: err,
      reason: 'sts-unreachable',
    });
  }
  if (e.name === 'Throttling' || e.name === 'ThrottlingException' || e.name === 'RequestLimitExceeded') {
    return new EksAuthError(ExitCode.network, `STS at ${endpoint.url} kept throttling ${action} after retries: ${message}`, {
      hint: 'retry in a few seconds; parallel callers share cached sessions once one call succeeds',
      cause: err,
      reason: 'sts-throttled',
    });
  }
  if (status !== undefined && status >= 500) {
    return new EksAuthError(ExitCode.network, `STS at ${endpoint.url} failed with HTTP ${status} after retries: ${e.name}: ${message}`, {
      cause: err,
      reason: 'sts-unavailable',
    });
  }
  const hints: Record<string, string> = {
    ExpiredToken: 'the source credentials have expired: refresh them (aws sso login, new keys) and retry',
    InvalidClientTokenId: 'the access key is not valid in this partition/region: check the keys and --region',
    SignatureDoesNotMatch: 'the secret access key does not match the access key id',
    RegionDisabledException: 'STS is not activated in this region: activate it in IAM account settings, or use another --region',
    // Only AssumeRole is governed by a trust policy; GetCallerIdentity is denied by an SCP or boundary, if ever.
    AccessDenied:
      action === 'GetCallerIdentity'
        ? 'an SCP or permissions boundary may deny sts:GetCallerIdentity for this principal'
        : 'the caller may not assume this role: check the role trust policy (principal, external id, MFA condition)',
  };
  return new EksAuthError(ExitCode.credentials, `${e.name ?? 'Error'}: ${message}`, {
    hint: e.name ? hints[e.name] : undefined,
    cause: err,
    reason: 'sts-denied',
  });
}

export function createStsPort(): StsPort {
  return {
    async assumeRole(req, credentials, endpoint) {
      try {
        const out = await client(endpoint, credentials).send(
          new AssumeRoleCommand({
            RoleArn: req.roleArn,
            RoleSessionName: req.roleSessionName,
            ExternalId: req.externalId,
            DurationSeconds: req.durationSeconds,
            SerialNumber: req.serialNumber,
            TokenCode: req.tokenCode,
          }),
        );
        return toCredentials(out.Credentials, 'AssumeRole');
      } catch (err) {
        throw err instanceof EksAuthError ? err : stsError(err, endpoint, 'AssumeRole');
      }
    },
    async assumeRoleWithWebIdentity(req, endpoint) {
      try {
        const out = await client(endpoint).send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: req.roleArn,
            RoleSessionName: req.roleSessionName,
            WebIdentityToken: req.webIdentityToken,
            DurationSeconds: req.durationSeconds,
          }),
        );
        return toCredentials(out.Credentials, 'AssumeRoleWithWebIdentity');
      } catch (err) {
        throw err instanceof EksAuthError ? err : stsError(err, endpoint, 'AssumeRoleWithWebIdentity');
      }
    },
    async getCallerIdentity(credentials, endpoint) {
      try {
        const out = await client(endpoint, credentials).send(new GetCallerIdentityCommand({}));
        return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
      } catch (err) {
        throw stsError(err, endpoint, 'GetCallerIdentity');
      }
    },
  };
}
