/**
 * `eks-auth token`: the exec-credential plugin. Resolves credentials, presigns GetCallerIdentity
 * for the cluster and prints an ExecCredential (or the bare token).
 */
import { EksAuthError, ExitCode } from '../errors';
import type { Deps } from '../ports';
import { resolveAwsContext, type AwsInput } from '../aws/resolve';
import { encodeToken, MAX_TOKEN_BYTES } from '../token/encode';
import { presignGetCallerIdentity } from '../token/presign';
import { formatExecCredential, parseExecInfo } from '../kube/exec-credential';

export interface TokenInput extends AwsInput {
  /** Cluster name or id: the signed x-k8s-aws-id header. */
  clusterId: string;
  /** `json`: ExecCredential (default); `token`: the bare token line. */
  output: 'json' | 'token';
  /** KUBERNETES_EXEC_INFO as kubectl set it. */
  execInfo?: string;
  /** Whether stdin is a terminal (for MFA prompts when kubectl does not say). */
  stdinIsTerminal?: boolean;
}

/** STS honours a presigned GetCallerIdentity for 15 minutes; peers advertise 14 to leave a minute of slack. */
export const TOKEN_LIFETIME_MS = 14 * 60 * 1000;
/** A token must not outlive its signing credentials: STS rejects it once they expire. */
export const CREDENTIAL_EXPIRY_MARGIN_MS = 60 * 1000;

/**
 * The earlier of signing time + 14 minutes and the credentials' expiry minus a margin. Peers use
 * the former only and cause 401s before the advertised expiry (aws-iam-authenticator #590).
 */
export function tokenExpiration(signedAt: Date, credentialsExpire: Date | undefined): Date {
  const byToken = signedAt.getTime() + TOKEN_LIFETIME_MS;
  if (!credentialsExpire) return new Date(byToken);
  return new Date(Math.min(byToken, credentialsExpire.getTime() - CREDENTIAL_EXPIRY_MARGIN_MS));
}

export function validateClusterId(clusterId: string | undefined): string {
  if (!clusterId) {
    throw new EksAuthError(ExitCode.usage, 'no cluster given', {
      hint: 'pass --cluster <name> (the EKS cluster name, or its id for clusters on Outposts)',
      reason: 'usage',
    });
  }
  // The id travels as an HTTP header value: control characters cannot be signed or sent.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(clusterId)) {
    throw new EksAuthError(ExitCode.usage, 'the cluster name contains control characters', { reason: 'usage' });
  }
  return clusterId;
}

export async function getToken(input: TokenInput, deps: Deps): Promise<string> {
  const clusterId = validateClusterId(input.clusterId);
  const execInfo = parseExecInfo(input.execInfo);
  if (execInfo.problem) deps.log.warn(`${execInfo.problem}; answering in ${execInfo.apiVersion}`);
  const interactive = execInfo.interactive ?? input.stdinIsTerminal ?? false;

  const context = await resolveAwsContext({ ...input, interactive }, deps);
  const signedAt = deps.now();
  const url = presignGetCallerIdentity({
    credentials: context.credentials,
    endpoint: context.stsEndpoint,
    clusterId,
    signingDate: signedAt,
  });
  const token = encodeToken(url);
  deps.log.protect(token);

  const tokenBytes = Buffer.byteLength(token);
  if (tokenBytes > MAX_TOKEN_BYTES) {
    deps.log.warn(
      `the token is ${tokenBytes} bytes, over the ${MAX_TOKEN_BYTES} bytes that EKS accepts (a long session token); ` +
        'kubectl will get 401 Unauthorized: use credentials with a shorter session token (fewer role-chaining hops or session tags)',
    );
  }
  const expiration = tokenExpiration(signedAt, context.credentials.expiration);
  if (expiration.getTime() <= signedAt.getTime() + CREDENTIAL_EXPIRY_MARGIN_MS) {
    deps.log.warn('the signing credentials expire within two minutes; kubectl will ask for a new token almost at once');
  }
  deps.log.verbose(`token: cluster ${clusterId}, STS ${context.stsEndpoint.host}, expires ${expiration.toISOString()}`);
  if (input.output === 'token') return `${token}\n`;
  return formatExecCredential(execInfo.apiVersion, token, expiration);
}
