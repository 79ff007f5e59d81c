/**
 * The STS half of verification: GET the validated URL with the verifier's cluster id and
 * `accept: application/json`, no redirects, a timeout (aws-iam-authenticator: 10 s), then read
 * GetCallerIdentity's answer into an identity. The HTTP call is a port, so tests use a fake.
 */
import { parsePrincipal, type Principal, type PrincipalKind } from '../aws/arn';
import { CLOCK_HINT, clockSkew, describeClockSkew, isSignatureTimeError } from '../aws/clock-skew';
import { DEFAULT_HTTP, sendHttp, type HttpSettings } from '../aws/http';
import { EksAuthError, ExitCode, isEksAuthError } from '../errors';
import type { HttpGet } from '../ports';
import { redactSecrets } from '../redact';
import { quote, tokenRejected, validateToken, type ValidatedToken } from './validate';

const STS_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** The identity behind a token that STS accepted. */
export interface VerifiedIdentity {
  /** The ARN STS returned (`arn:aws:sts::A:assumed-role/R/S` for a role session). */
  arn: string;
  /** The ARN aws-auth is matched against. */
  canonicalArn: string;
  kind: PrincipalKind;
  account: string;
  /** The unique id (`AROA…`), without the session name. */
  userId: string;
  /** The role session name, for assumed roles. */
  sessionName?: string;
  /** From the token's credential scope; not a secret (the server logs it). */
  accessKeyId: string;
  stsHost: string;
  region: string;
  signedAt: Date;
  expiresAt: Date;
}

/**
 * The real HttpGet, over eks-auth's HTTP layer (deadlines, retries, proxy, CA bundle). Certificates
 * are always checked here, whatever NODE_TLS_REJECT_UNAUTHORIZED says: a verifier that trusts any
 * STS would verify nothing. `limits.timeoutMs` caps the whole call and each attempt.
 */
export function createHttpsGet(
  settings: HttpSettings = { ...DEFAULT_HTTP, proxy: {}, rejectUnauthorized: true },
): HttpGet {
  return async (url, headers, limits) => {
    const bounded: HttpSettings = {
      ...settings,
      rejectUnauthorized: true,
      requestTimeoutMs: Math.min(settings.requestTimeoutMs, limits.timeoutMs),
      callTimeoutMs: Math.min(settings.callTimeoutMs, limits.timeoutMs),
    };
    const answer = await sendHttp({ method: 'GET', url, headers, maxBytes: limits.maxBytes }, bounded);
    const date = answer.headers.date;
    return { status: answer.status, body: answer.body.toString('utf8'), ...(date ? { date } : {}) };
  };
}

/** `Code: Message` from an STS error body (JSON when accept is JSON; XML from some fronts). */
function stsErrorOf(body: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body) as { Error?: { Code?: unknown; Message?: unknown } };
    const code = parsed.Error?.Code;
    const message = parsed.Error?.Message;
    if (typeof code === 'string') return { code, message: typeof message === 'string' ? message : '' };
  } catch {
    // not JSON
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  return { code: code ?? '', message: message ?? '' };
}

const STS_HINTS: Readonly<Record<string, string>> = {
  SignatureDoesNotMatch:
    'the token was signed for another cluster id than --cluster, altered after signing, or signed with a wrong secret key',
  IncompleteSignature: 'the token was altered after signing',
  ExpiredToken:
    'the temporary credentials that signed the token have expired; refresh them (aws sso login, re-assume the role)',
  InvalidClientTokenId:
    'the access key id does not exist in this partition (deleted key, or credentials for another partition)',
  AccessDenied: 'an SCP or permissions boundary may deny sts:GetCallerIdentity for this principal',
};

function unreachable(host: string, detail: string, hint?: string): EksAuthError {
  return new EksAuthError(ExitCode.network, `could not reach STS at ${host}: ${detail}`, {
    reason: 'sts-unreachable',
    hint: hint ?? 'check the network path to STS (HTTPS_PROXY, NO_PROXY, VPC endpoint, DNS)',
  });
}

function identityFrom(body: string, token: ValidatedToken): VerifiedIdentity {
  let result: { Account?: unknown; Arn?: unknown; UserId?: unknown } | undefined;
  try {
    const parsed = JSON.parse(body) as {
      GetCallerIdentityResponse?: { GetCallerIdentityResult?: { Account?: unknown; Arn?: unknown; UserId?: unknown } };
    };
    result = parsed.GetCallerIdentityResponse?.GetCallerIdentityResult;
  } catch {
    // EKS asks for JSON and fails on anything else; so does this verifier.
    throw tokenRejected('sts-response', 'STS answered 200 but not with GetCallerIdentity JSON');
  }
  const { Account: account, Arn: arn, UserId: rawUserId } = result ?? {};
  if (typeof account !== 'string' || typeof arn !== 'string' || typeof rawUserId !== 'string') {
    throw tokenRejected('sts-response', 'the GetCallerIdentity answer lacks Account, Arn or UserId');
  }
  let principal: Principal;
  try {
    principal = parsePrincipal(arn);
  } catch (err) {
    throw tokenRejected('sts-response', `STS returned ${err instanceof Error ? err.message : String(err)}`);
  }
  if (principal.account !== account) {
    throw tokenRejected('sts-response', `STS returned account ${quote(account)} for ARN ${quote(arn, 200)}`);
  }
  // UserId is AROA…:session for role sessions; users, root and federated users keep it whole
  // (aws-iam-authenticator getIdentityFromSTSResponse).
  let userId = rawUserId;
  let sessionName: string | undefined;
  if (principal.kind === 'assumed-role' || principal.kind === 'role') {
    const parts = rawUserId.split(':');
    if (parts.length !== 2) throw tokenRejected('sts-response', `malformed UserId ${quote(rawUserId)}`);
    userId = parts[0] ?? '';
    sessionName = parts[1];
  }
  return {
    arn,
    canonicalArn: principal.canonicalArn,
    kind: principal.kind,
    account,
    userId,
    ...(sessionName === undefined ? {} : { sessionName }),
    accessKeyId: token.accessKeyId,
    stsHost: token.host,
    region: token.region,
    signedAt: token.signedAt,
    expiresAt: token.expiresAt,
  };
}

/**
 * Replays a validated token to STS as the EKS side does and returns the caller identity.
 * Rejections (exit 6): `sts-rejected` (STS said no: signature, cluster id, expired credentials),
 * `sts-redirect`, `sts-response`. STS unreachable, throttling or 5xx: exit 5.
 */
export async function replayToSts(
  token: ValidatedToken,
  clusterId: string,
  httpGet: HttpGet,
  timeoutMs = STS_TIMEOUT_MS,
  now?: Date,
): Promise<VerifiedIdentity> {
  let response: { status: number; body: string; date?: string };
  try {
    response = await httpGet(
      token.url,
      { 'x-k8s-aws-id': clusterId, accept: 'application/json' },
      { timeoutMs, maxBytes: MAX_RESPONSE_BYTES },
    );
  } catch (err) {
    // A certificate that is not accepted has one exit code in every command.
    if (isEksAuthError(err) && err.exitCode === ExitCode.tls) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw unreachable(
      token.host,
      redactSecrets(detail, token.secrets).slice(0, 300),
      isEksAuthError(err) ? err.hint : undefined,
    );
  }
  const { status, body } = response;
  if (status === 200) return identityFrom(body, token);

  const { code, message } = stsErrorOf(body);
  const said = redactSecrets([code, message.split('\n')[0] ?? ''].filter(Boolean).join(': '), token.secrets).slice(
    0,
    300,
  );
  if (status >= 300 && status < 400) {
    throw tokenRejected(
      'sts-redirect',
      `STS answered with a redirect (HTTP ${status}), which a verifier never follows`,
    );
  }
  if (code === 'Throttling' || status === 429) {
    throw new EksAuthError(ExitCode.network, `STS throttled the request (HTTP ${status})`, {
      reason: 'sts-throttled',
      hint: 'retry in a few seconds',
    });
  }
  if (status >= 500 || status === 0) {
    throw new EksAuthError(ExitCode.network, `STS failed with HTTP ${status}${said ? `: ${said}` : ''}`, {
      reason: 'sts-unavailable',
      hint: 'retry later',
    });
  }
  if (isSignatureTimeError(code, message)) {
    const skew = describeClockSkew(clockSkew(response.date, now ?? new Date()), response.date);
    if (skew) {
      throw tokenRejected(
        'clock-skew',
        `STS refused the token as expired or not yet valid (HTTP ${status}${said ? `, ${said}` : ''}): ${skew}`,
        CLOCK_HINT,
      );
    }
  }
  throw tokenRejected(
    'sts-rejected',
    `STS refused the token for cluster ${quote(clusterId)} (HTTP ${status}${said ? `, ${said}` : ''})`,
    STS_HINTS[code],
  );
}

/** Options of verifyToken. */
export interface VerifyTokenOptions {
  /** The cluster name or id the token must be bound to (sent as x-k8s-aws-id). */
  clusterId: string;
  /** The verification time (expiry and clock-skew checks). */
  now: Date;
  /** Defaults to node:https. */
  httpGet?: HttpGet;
  /** Extra `host:port` STS origins to accept (tests against a local STS). */
  extraHosts?: readonly string[];
  timeoutMs?: number;
}

/**
 * Verifies a token as EKS would, and stricter: every pre-STS check, then the STS replay.
 * Resolves to the caller identity; rejects with EksAuthError (exit 6 rejected, 5 STS unreachable).
 */
export async function verifyToken(token: string, options: VerifyTokenOptions): Promise<VerifiedIdentity> {
  const validated = validateToken(token, { now: options.now, extraHosts: options.extraHosts });
  return replayToSts(validated, options.clusterId, options.httpGet ?? createHttpsGet(), options.timeoutMs, options.now);
}
