/**
 * Credential sources taken from @aws-sdk/credential-providers (the only file that imports it), and
 * credential_process. Loaded lazily, only when a plan needs one of them. SSO calls go through
 * eks-auth's HTTP layer; container credentials are fetched by src/aws/container-credentials.ts over
 * the same layer (the SDK's fromHttp takes no request handler).
 */
import { fromInstanceMetadata, fromLoginCredentials, fromSSO } from '@aws-sdk/credential-providers';
import { runCredentialProcess } from './credential-process';
import { EksAuthError, ExitCode } from '../errors';
import type { AwsCredentials, Env, FilePort, SdkSourcesPort } from '../ports';
import { fetchContainerCredentials } from './container-credentials';
import { createSdkRequestHandler, DEFAULT_HTTP, type HttpSettings } from './http';

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
    if (Number.isNaN(c.expiration.getTime()))
      throw new EksAuthError(
        ExitCode.credentials,
        'the credentials came with an Expiration that is not an ISO 8601 time',
        { reason: 'bad-expiration' },
      );
    out.expiration = c.expiration;
  }
  return out;
}

const FALLBACK_HTTP: HttpSettings = { ...DEFAULT_HTTP, proxy: {}, rejectUnauthorized: true };

/** IMDS: one attempt of 1 s (the SDK's own short budget), and an overall bound for an endpoint that trickles. */
const IMDS_TIMEOUT_MS = 1000;
const IMDS_CALL_MS = 3000;

/** The SDK sources; `env` and `files` are the process's (container credentials read them). */
export function createSdkSourcesPort(io: { env: Env; files: FilePort }): SdkSourcesPort {
  return {
    async fromProcess(_profile, command) {
      // Our own runner, not the SDK's fromProcess: that one gives the command a stdin pipe it never
      // closes, and puts the command line and its stderr into one error message.
      return runCredentialProcess(command);
    },
    async fromSso(profile, files, http) {
      const handler = createSdkRequestHandler(http ?? FALLBACK_HTTP);
      try {
        return toCredentials(
          await fromSSO({
            profile,
            filepath: files.credentialsFile,
            configFilepath: files.configFile,
            clientConfig: { requestHandler: handler as never, maxAttempts: 1 },
          })(),
        );
      } catch (err) {
        // The provider wraps every failure in its own error, which would hide a timeout or a
        // certificate problem behind "could not get SSO credentials".
        throw handler.lastFailure ?? err;
      }
    },
    async fromLogin(profile, files) {
      // The SDK reads the session from $AWS_LOGIN_CACHE_DIRECTORY or ~/.aws/login/cache/<sha256 of
      // login_session>.json, as the AWS CLI writes it, and refreshes it there when it has 5 minutes left.
      return toCredentials(
        await fromLoginCredentials({ profile, filepath: files.credentialsFile, configFilepath: files.configFile })(),
      );
    },
    async fromContainer(http) {
      // ECS (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and EKS Pod Identity
      // (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]).
      return fetchContainerCredentials(io.env, io.files, http ?? FALLBACK_HTTP);
    },
    async fromInstanceMetadata() {
      // One short attempt, as the AWS CLI does: off EC2 this must not hang.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new EksAuthError(
                ExitCode.network,
                `no answer from the EC2 instance metadata service within ${IMDS_CALL_MS / 1000} s`,
                { reason: 'timeout' },
              ),
            ),
          IMDS_CALL_MS,
        );
      });
      try {
        return toCredentials(
          await Promise.race([fromInstanceMetadata({ timeout: IMDS_TIMEOUT_MS, maxRetries: 0 })(), deadline]),
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
