/**
 * Credential sources taken from @aws-sdk/credential-providers (the only file that imports it), and
 * credential_process. Loaded lazily, only when a plan needs one of them.
 */
import { fromHttp, fromInstanceMetadata, fromLoginCredentials, fromSSO } from '@aws-sdk/credential-providers';
import { runCredentialProcess } from './credential-process';
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
    async fromProcess(_profile, command) {
      // Our own runner, not the SDK's fromProcess: that one gives the command a stdin pipe it never
      // closes, and puts the command line and its stderr into one error message.
      return runCredentialProcess(command);
    },
    async fromSso(profile, files) {
      return toCredentials(await fromSSO({ profile, filepath: files.credentialsFile, configFilepath: files.configFile })());
    },
    async fromLogin(profile, files) {
      // The SDK reads the session from $AWS_LOGIN_CACHE_DIRECTORY or ~/.aws/login/cache/<sha256 of
      // login_session>.json, as the AWS CLI writes it, and refreshes it there when it has 5 minutes left.
      return toCredentials(await fromLoginCredentials({ profile, filepath: files.credentialsFile, configFilepath: files.configFile })());
    },
    async fromContainer() {
      // fromHttp covers ECS (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and EKS Pod Identity
      // (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]).
      return toCredentials(await fromHttp({ timeout: 2000, maxRetries: 2 })());
    },
    async fromInstanceMetadata() {
      // One short attempt, as the AWS CLI does: off EC2 this must not hang.
      return toCredentials(await fromInstanceMetadata({ timeout: 1000, maxRetries: 0 })());
    },
  };
}
