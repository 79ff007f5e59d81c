/**
 * `eks-auth verify`: checks a token as the EKS side would (and stricter), replays it to STS and
 * reports the identity behind it.
 */
import { hasAsciiControl } from '../util/ascii';
import { EksAuthError, ExitCode } from '../errors';
import { replayToSts, type VerifiedIdentity } from '../token/verify';
import type { Deps, HttpGet } from '../ports';
import { formatTimestamp } from '../util/utc';
import { formatDuration, validateToken } from '../token/validate';

export interface VerifyInput {
  /** The token, or text holding it (an ExecCredential JSON, surrounding whitespace). */
  token: string;
  /** The cluster name or id the token must be bound to. */
  clusterId: string;
  /** `https://127.0.0.1:PORT`: also accept tokens for this local STS (tests only). */
  stsEndpoint?: string;
}

export interface VerifyDeps extends Pick<Deps, 'now' | 'log'> {
  httpGet: HttpGet;
}

/** The verified identity, with the token's timing relative to the verification time. */
export interface VerifyReport extends VerifiedIdentity {
  clusterId: string;
  ageSeconds: number;
  expiresInSeconds: number;
}

/**
 * Pulls the token out of what was passed or piped: a bare token, or the ExecCredential JSON that
 * `eks-auth token` and `aws eks get-token` print. Throws EksAuthError(usage) when there is none.
 */
export function extractToken(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let token: unknown;
    try {
      token = (JSON.parse(trimmed) as { status?: { token?: unknown } }).status?.token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string') {
      throw new EksAuthError(ExitCode.usage, 'the input is JSON but not an ExecCredential with status.token', {
        reason: 'no-token',
      });
    }
    return token.trim();
  }
  if (trimmed === '') {
    throw new EksAuthError(ExitCode.usage, 'no token given', {
      reason: 'no-token',
      hint: 'pass the token as an argument, or pipe it (or the output of eks-auth token / aws eks get-token) to stdin',
    });
  }
  return trimmed;
}

/**
 * The `host:port` an `--sts-endpoint` origin adds to the accepted STS hosts. Only loopback https
 * origins: the option exists for tests against a local STS and must not widen trust in production.
 */
export function stsEndpointHost(origin: string): string {
  const fail = (): never => {
    throw new EksAuthError(ExitCode.usage, `--sts-endpoint "${origin}" is not a loopback https origin`, {
      reason: 'usage',
      hint: 'use https://127.0.0.1:PORT (or https://localhost:PORT); the option exists for tests against a local STS',
    });
  };
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return fail();
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (
    url.protocol !== 'https:' ||
    !loopback ||
    url.username ||
    url.password ||
    url.pathname !== '/' ||
    url.search ||
    url.hash
  ) {
    fail();
  }
  return url.host;
}

function checkClusterId(clusterId: string): void {
  if (clusterId === '' || hasAsciiControl(clusterId)) {
    throw new EksAuthError(
      ExitCode.usage,
      '--cluster must be a non-empty cluster name or id without control characters',
      {
        reason: 'usage',
      },
    );
  }
}

/** Verifies a token for a cluster. Throws EksAuthError: exit 6 with the failed check as `reason`, or 5. */
export async function verify(input: VerifyInput, deps: VerifyDeps): Promise<VerifyReport> {
  checkClusterId(input.clusterId);
  const extraHosts = input.stsEndpoint === undefined ? [] : [stsEndpointHost(input.stsEndpoint)];
  const token = extractToken(input.token);
  deps.log.protect(token);
  const validated = validateToken(token, { now: deps.now(), extraHosts });
  for (const secret of validated.secrets) deps.log.protect(secret);
  deps.log.verbose(
    `token passed every check before STS; replaying it to ${validated.host} for cluster ${input.clusterId}`,
  );
  const identity = await replayToSts(validated, input.clusterId, deps.httpGet, undefined, deps.now());
  const now = deps.now();
  return {
    ...identity,
    clusterId: input.clusterId,
    ageSeconds: Math.round((now.getTime() - identity.signedAt.getTime()) / 1000),
    expiresInSeconds: Math.round((identity.expiresAt.getTime() - now.getTime()) / 1000),
  };
}

/** The report as aligned `label: value` lines. */
export function formatVerifyText(r: VerifyReport): string {
  const rows: [string, string][] = [
    ['arn', r.arn],
    ['canonical arn', r.canonicalArn],
    ['account', r.account],
    ['user id', r.userId],
    ['session name', r.sessionName ?? '(none)'],
    ['access key id', r.accessKeyId],
    ['sts host', r.stsHost],
    ['signed at', `${formatTimestamp(r.signedAt)} (${formatDuration(r.ageSeconds)} ago)`],
    ['expires at', `${formatTimestamp(r.expiresAt)} (in ${formatDuration(r.expiresInSeconds)})`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return [
    `token valid for cluster ${r.clusterId}`,
    ...rows.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`),
  ].join('\n');
}

/** The stable --json shape of a verified token (README "verify --json"). */
export function formatVerifyJson(r: VerifyReport): string {
  return JSON.stringify({
    valid: true,
    cluster: r.clusterId,
    arn: r.arn,
    canonicalArn: r.canonicalArn,
    principalType: r.kind,
    account: r.account,
    userId: r.userId,
    sessionName: r.sessionName ?? null,
    accessKeyId: r.accessKeyId,
    stsHost: r.stsHost,
    region: r.region,
    signedAt: formatTimestamp(r.signedAt),
    expiresAt: formatTimestamp(r.expiresAt),
    ageSeconds: r.ageSeconds,
    expiresInSeconds: r.expiresInSeconds,
  });
}

/** The --json shape of a rejection: `{"valid":false,"reason":…,"message":…,"hint"?:…}`. */
export function formatRejectionJson(err: EksAuthError): string {
  return JSON.stringify({
    valid: false,
    reason: err.reason ?? 'error',
    message: err.message,
    ...(err.hint ? { hint: err.hint } : {}),
    exitCode: err.exitCode,
  });
}
