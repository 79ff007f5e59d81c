/**
 * The STS port over @aws-sdk/client-sts: the only file that imports it. Loaded lazily, never on
 * the env-credential path. Every call goes through eks-auth's HTTP layer (src/aws/http.ts), which
 * owns deadlines, retries, proxies and trust; the SDK only signs and parses, at the endpoint
 * src/aws/endpoint.ts resolved (so the SDK's own FIPS and dual-stack resolution is off).
 */
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
  type Credentials as StsCredentials,
} from '@aws-sdk/client-sts';
import { EksAuthError, ExitCode, isEksAuthError } from '../errors';
import type { AwsCredentials, StsEndpoint, StsPort } from '../ports';
import { CLOCK_HINT, clockSkew, describeClockSkew, isSignatureTimeError } from './clock-skew';
import { createSdkRequestHandler, DEFAULT_HTTP, type HttpSettings, type SdkRequestHandler } from './http';
import { NETWORK_CODES } from '../util/network-error-codes';

/** Settings for a caller that resolved none (tests, the library API): the documented defaults, no proxy. */
const FALLBACK_HTTP: HttpSettings = { ...DEFAULT_HTTP, proxy: {}, rejectUnauthorized: true };

function client(endpoint: StsEndpoint, handler: SdkRequestHandler, credentials?: AwsCredentials): STSClient {
  return new STSClient({
    region: endpoint.signingRegion,
    endpoint: endpoint.url,
    // The endpoint above is already the FIPS / dual-stack host when those are on; the SDK reading
    // AWS_USE_FIPS_ENDPOINT again would refuse it as "FIPS and custom endpoint".
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    // Retries happen in the HTTP layer, within the call's deadline.
    maxAttempts: 1,
    requestHandler: handler as never,
    // Unsigned calls (AssumeRoleWithWebIdentity) still need a credentials value for the client.
    credentials: credentials ?? { accessKeyId: '', secretAccessKey: '' },
  });
}

/** Runs one STS call through a fresh handler; failures become EksAuthError via stsError. */
async function call<T>(
  endpoint: StsEndpoint,
  action: StsAction,
  run: (handler: SdkRequestHandler) => Promise<T>,
): Promise<T> {
  const handler = createSdkRequestHandler(endpoint.http ?? FALLBACK_HTTP);
  try {
    return await run(handler);
  } catch (err) {
    if (isEksAuthError(err) && err.exitCode === ExitCode.network && err.reason !== 'proxy-refused') {
      // The HTTP layer names the origin and the deadline; say which service that was.
      throw new EksAuthError(ExitCode.network, `STS at ${endpoint.url} could not be reached: ${err.message}`, {
        hint: err.hint,
        cause: err,
        reason: 'sts-unreachable',
      });
    }
    if (isEksAuthError(err)) throw err;
    throw stsError(err, endpoint, action, handler.lastDate);
  }
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
export function stsError(
  err: unknown,
  endpoint: StsEndpoint,
  action: StsAction,
  dateHeader?: string,
  now: Date = new Date(),
): EksAuthError {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const message = e.message ?? String(err);
  if (isSignatureTimeError(e.name, message)) {
    const skew = describeClockSkew(clockSkew(dateHeader, now), dateHeader);
    if (skew) {
      return new EksAuthError(
        ExitCode.credentials,
        `STS refused ${action} because the signature's time is off: ${skew} (${e.name}: ${message})`,
        {
          hint: CLOCK_HINT,
          cause: err,
          reason: 'clock-skew',
        },
      );
    }
  }
  if (
    (e.code && NETWORK_CODES.has(e.code)) ||
    e.name === 'TimeoutError' ||
    /socket hang up|timed? ?out/i.test(message)
  ) {
    return new EksAuthError(ExitCode.network, `STS at ${endpoint.url} could not be reached: ${message}`, {
      hint: 'check your network, proxy and the STS endpoint (AWS_ENDPOINT_URL_STS, --region)',
      cause: err,
      reason: 'sts-unreachable',
    });
  }
  if (e.name === 'Throttling' || e.name === 'ThrottlingException' || e.name === 'RequestLimitExceeded') {
    return new EksAuthError(
      ExitCode.network,
      `STS at ${endpoint.url} kept throttling ${action} after retries: ${message}`,
      {
        hint: 'retry in a few seconds; parallel callers share cached sessions once one call succeeds',
        cause: err,
        reason: 'sts-throttled',
      },
    );
  }
  if (status !== undefined && status >= 500) {
    return new EksAuthError(
      ExitCode.network,
      `STS at ${endpoint.url} failed with HTTP ${status} after retries: ${e.name}: ${message}`,
      {
        cause: err,
        reason: 'sts-unavailable',
      },
    );
  }
  const hints: Record<string, string> = {
    ExpiredToken: 'the source credentials have expired: refresh them (aws sso login, new keys) and retry',
    InvalidClientTokenId: 'the access key is not valid in this partition/region: check the keys and --region',
    SignatureDoesNotMatch: 'the secret access key does not match the access key id',
    RegionDisabledException:
      'STS is not activated in this region: activate it in IAM account settings, or use another --region',
    // Only AssumeRole is governed by a trust policy; GetCallerIdentity is denied by an SCP or boundary, if ever.
    AccessDenied:
      action === 'GetCallerIdentity'
        ? 'an SCP or permissions boundary may deny sts:GetCallerIdentity for this principal'
        : 'the caller may not assume this role: check the role trust policy (principal, external id, MFA condition)',
  };
  // STS refuses a wrong, reused or expired MFA code with AccessDenied "MultiFactorAuthentication
  // failed with invalid MFA one time pass code" (or "… unable to validate MFA code"): the trust
  // policy is not the problem, and a new code is the fix.
  if (action === 'AssumeRole' && e.name === 'AccessDenied' && /MultiFactorAuthentication failed/i.test(message)) {
    return new EksAuthError(ExitCode.credentials, `AccessDenied: ${message}`, {
      hint: 'the MFA code was wrong, already used or expired, or mfa_serial is not your device: wait for the next code and retry',
      cause: err,
      reason: 'mfa-invalid',
    });
  }
  return new EksAuthError(ExitCode.credentials, `${e.name ?? 'Error'}: ${message}`, {
    hint: e.name ? hints[e.name] : undefined,
    cause: err,
    reason: 'sts-denied',
  });
}

export function createStsPort(): StsPort {
  return {
    assumeRole(req, credentials, endpoint) {
      return call(endpoint, 'AssumeRole', async (handler) => {
        const out = await client(endpoint, handler, credentials).send(
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
      });
    },
    assumeRoleWithWebIdentity(req, endpoint) {
      return call(endpoint, 'AssumeRoleWithWebIdentity', async (handler) => {
        const out = await client(endpoint, handler).send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: req.roleArn,
            RoleSessionName: req.roleSessionName,
            WebIdentityToken: req.webIdentityToken,
            DurationSeconds: req.durationSeconds,
          }),
        );
        return toCredentials(out.Credentials, 'AssumeRoleWithWebIdentity');
      });
    },
    getCallerIdentity(credentials, endpoint) {
      return call(endpoint, 'GetCallerIdentity', async (handler) => {
        const out = await client(endpoint, handler, credentials).send(new GetCallerIdentityCommand({}));
        return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
      });
    },
  };
}
