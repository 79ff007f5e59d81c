/**
 * Credential sources taken from @aws-sdk/credential-providers: the only file that imports it.
 * Loaded lazily, only when a plan needs one of them.
 */
import { fromHttp, fromInstanceMetadata, fromProcess, fromSSO } from '@aws-sdk/credential-providers';
import { EksAuthError, ExitCode } from '../errors';
import type { AwsCredentials, SdkSourcesPort } from '../ports';

interface SdkCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

function toCredentials(c: SdkCredentials): AwsCredentials {
  const out: AwsCredentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
  if (c.sessionToken) out.sessionToken = c.sessionToken;
  if (c.expiration) {
    // The SDK passes `new Date(Expiration)` through unchecked; an Invalid Date would fail later, far from its cause.
    if (Number.isNaN(c.expiration.getTime())) throw new EksAuthError(ExitCode.credentials, 'the credentials came with an Expiration that is not an ISO 8601 time', { reason: 'bad-expiration' });
    out.expiration = c.expiration;
  }
  return out;
}

export function createSdkSourcesPort(): SdkSourcesPort {
  return {
    async fromProcess(profile, files) {
      return toCredentials(await fromProcess({ profile, filepath: files.credentialsFile, configFilepath: files.configFile })());
    },
    async fromSso(profile, files) {
      return toCredentials(await fromSSO({ profile, filepath: files.credentialsFile, configFilepath: files.configFile })());
    },
    async fromContainer() {
      // fromHttp covers ECS (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and EKS Pod Identity
      // (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]).
      // The SDK's request handler only warns when a request outlives its timeout (smithy's
      // throwOnRequestTimeout, which fromHttp does not set): without a deadline of our own, an
      // endpoint that accepts and never answers would hang kubectl. Three 2 s attempts fit in 10 s.
      return toCredentials(await withDeadline(fromHttp({ timeout: 2000, maxRetries: 2 })(), 10_000, 'the container credentials endpoint did not answer within 10 s'));
    },
    async fromInstanceMetadata() {
      // One short attempt, as the AWS CLI does: off EC2 this must not hang.
      return toCredentials(await fromInstanceMetadata({ timeout: 1000, maxRetries: 0 })());
    },
  };
}

/** `promise`, or a rejection with `message` after `ms` (the timer does not keep the process alive). */
function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
