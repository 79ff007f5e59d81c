/**
 * Container credentials (ECS task roles and EKS Pod Identity) through eks-auth's HTTP layer, with
 * the rules of the AWS SDKs (@aws-sdk/credential-provider-http fromHttp, botocore
 * credentials.py ContainerProvider): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI under
 * http://169.254.170.2, else AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback or
 * the ECS / EKS link-local hosts), with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE over
 * AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header. No proxy, as in botocore: the
 * endpoint is on the node itself.
 */
import { EksAuthError, ExitCode } from '../errors';
import type { AwsCredentials, Env, FilePort } from '../ports';
import { originOf, sendHttp, type HttpSettings } from './http';

/** botocore ContainerMetadataFetcher: 2 s per attempt. */
const CONTAINER_TIMEOUT_MS = 2_000;
const LINK_LOCAL = 'http://169.254.170.2';
const ALLOWED_HTTP_HOSTS = new Set(['169.254.170.2', '169.254.170.23', '[fd00:ec2::23]', 'localhost', '[::1]']);

function fail(message: string, hint?: string): never {
  throw new EksAuthError(ExitCode.credentials, message, { reason: 'container-credentials', ...(hint ? { hint } : {}) });
}

/** The container credentials endpoint and its Authorization header, from the environment. */
function containerEndpoint(env: Env, files: FilePort): { url: URL; authorization?: string } {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  let url: URL;
  try {
    url = new URL(relative ? `${LINK_LOCAL}${relative}` : (full ?? ''));
  } catch {
    return fail(
      'AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI is not a URL',
      'set by ECS or the EKS Pod Identity agent; check the pod or task definition',
    );
  }
  if (!relative) {
    const loopback = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
    if (
      url.protocol !== 'https:' &&
      !(url.protocol === 'http:' && (loopback || ALLOWED_HTTP_HOSTS.has(url.hostname)))
    ) {
      fail(
        `AWS_CONTAINER_CREDENTIALS_FULL_URI (${originOf(url)}) must be https, or http to a loopback or the ECS / EKS container host`,
      );
    }
  }
  let token: string | undefined;
  if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) {
    token = files.readText(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE);
    if (token === undefined)
      fail(`AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ${env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE} does not exist`);
  } else {
    token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  }
  if (token !== undefined) {
    token = token.trim();
    if (/[\r\n]/.test(token)) fail('the container authorization token contains a line break');
  }
  return { url, ...(token ? { authorization: token } : {}) };
}

/** The container's settings: no proxy, and at most the 2 s botocore gives each attempt. */
function containerHttpSettings(settings: HttpSettings): HttpSettings {
  const connect = Math.min(settings.connectTimeoutMs, CONTAINER_TIMEOUT_MS);
  const request = Math.min(settings.requestTimeoutMs, CONTAINER_TIMEOUT_MS);
  return {
    ...settings,
    proxy: {},
    connectTimeoutMs: connect,
    tlsTimeoutMs: connect,
    requestTimeoutMs: request,
    callTimeoutMs: 3 * request,
  };
}

/** GETs the container credentials. Throws EksAuthError: 4 for a refusal or bad answer, 5 / 10 from the network. */
export async function fetchContainerCredentials(
  env: Env,
  files: FilePort,
  settings: HttpSettings,
): Promise<AwsCredentials> {
  const { url, authorization } = containerEndpoint(env, files);
  const answer = await sendHttp(
    {
      method: 'GET',
      url: url.href,
      headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) },
      maxBytes: 64 * 1024,
    },
    containerHttpSettings(settings),
  );
  if (answer.status !== 200)
    fail(
      `the container credentials endpoint ${originOf(url)} answered HTTP ${answer.status}`,
      'check the task role or the pod identity association',
    );
  let parsed: { AccessKeyId?: unknown; SecretAccessKey?: unknown; Token?: unknown; Expiration?: unknown };
  try {
    parsed = JSON.parse(answer.body.toString('utf8')) as typeof parsed;
  } catch {
    return fail(`the container credentials endpoint ${originOf(url)} did not answer JSON`);
  }
  if (typeof parsed.AccessKeyId !== 'string' || typeof parsed.SecretAccessKey !== 'string') {
    return fail(`the container credentials endpoint ${originOf(url)} answered without AccessKeyId and SecretAccessKey`);
  }
  const out: AwsCredentials = { accessKeyId: parsed.AccessKeyId, secretAccessKey: parsed.SecretAccessKey };
  if (typeof parsed.Token === 'string' && parsed.Token !== '') out.sessionToken = parsed.Token;
  if (typeof parsed.Expiration === 'string') {
    const expiration = new Date(parsed.Expiration);
    if (Number.isNaN(expiration.getTime()))
      fail('the container credentials came with an Expiration that is not an ISO 8601 time');
    out.expiration = expiration;
  }
  return out;
}
