/**
 * One error class for everything a user can act on. It carries the exit code and, where there is a
 * next step, a hint. The top-level handler (src/cli/run.ts) prints `error: <message>` and
 * `hint: <hint>`, the cause chain only with --verbose.
 *
 * Messages and hints never contain a secret key, a session token or a bearer token.
 */

/** Documented exit codes (README "Exit codes"). Scripts depend on them: never renumber. */
export const ExitCode = {
  ok: 0,
  /** An unexpected failure: a bug in eks-auth. */
  internal: 1,
  /** Bad command line: unknown flag, missing --cluster, conflicting options. */
  usage: 2,
  /** Bad or incomplete configuration: missing profile, malformed file, no region, profile loop. */
  config: 3,
  /** No usable credentials, or STS refused them (AccessDenied, expired SSO session, MFA needed). */
  credentials: 4,
  /** A service could not be reached or kept failing (timeout, connection refused, 5xx after retries). */
  network: 5,
  /** `verify`: the token was rejected. */
  tokenRejected: 6,
  /** `explain`: the identity is not mapped to any Kubernetes user. */
  notMapped: 7,
  /** `aws-auth check`: the ConfigMap has errors. */
  lintFailed: 8,
  /** `doctor`: a link from the kubeconfig to the cluster is broken (the report names it). */
  linkBroken: 9,
  /** A TLS certificate was not accepted (a TLS-inspecting proxy or private CA without AWS_CA_BUNDLE / ca_bundle). */
  tls: 10,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * `verify`'s checks before it asks STS, by the stable names of its `--json` `reason` (README
 * "eks-auth verify" lists them in this order). Each failure exits 6.
 */
export const TOKEN_CHECK_REASONS = [
  'size',
  'prefix',
  'base64',
  'duplicate-key',
  'url',
  'scheme',
  'host',
  'path',
  'query',
  'unknown-parameter',
  'multiple-values',
  'action',
  'cluster-id-not-signed',
  'expires',
  'date-missing',
  'date-format',
  'expired',
  'version',
  'algorithm',
  'credential',
  'credential-scope',
  'host-not-signed',
  'signed-headers',
  'signature',
  'security-token',
  'date-future',
] as const;

/** `verify`'s outcomes from STS: a rejected, redirected or unreadable answer exits 6, an unreachable STS 5. */
export const STS_REPLAY_REASONS = [
  'sts-rejected',
  'sts-redirect',
  'sts-response',
  'sts-unreachable',
  'sts-throttled',
  'sts-unavailable',
  'clock-skew',
] as const;

type TokenCheckReason = (typeof TOKEN_CHECK_REASONS)[number];
type StsReplayReason = (typeof STS_REPLAY_REASONS)[number];

/** A short machine-readable reason, for --json output and tests. Stable: scripts may match on it. */
export type ErrorReason =
  | TokenCheckReason
  | StsReplayReason
  | 'aws-auth-invalid'
  | 'bad-expiration'
  | 'bad-setting'
  | 'cache-off'
  | 'cache-unsafe'
  | 'cache-unusable'
  | 'cluster-incomplete'
  | 'cluster-not-active'
  | 'cluster-not-found'
  | 'config-malformed'
  | 'config-unreadable'
  | 'conflicting-source'
  | 'credential-process'
  | 'credentials-expired'
  | 'eks-access-denied'
  | 'eks-endpoint-not-found'
  | 'eks-error'
  | 'eks-unreachable'
  | 'incomplete-web-identity'
  | 'invalid-arn'
  | 'invalid-endpoint-url'
  | 'invalid-region'
  | 'kubeconfig-invalid'
  | 'kubeconfig-locked'
  | 'kubeconfig-missing'
  | 'kubeconfig-unreadable'
  | 'kubeconfig-unwritable'
  | 'kubectl-denied'
  | 'kubectl-failed'
  | 'kubectl-network'
  | 'mfa-invalid'
  | 'mfa-required'
  | 'missing-source'
  | 'no-aws-auth'
  | 'no-credentials'
  | 'no-file'
  | 'no-kubectl'
  | 'no-region'
  | 'no-token'
  | 'not-mapped'
  | 'nothing-to-cache'
  | 'partial-credentials'
  | 'profile-loop'
  | 'profile-not-found'
  | 'sts-denied'
  | 'template-error'
  | 'unreadable-file'
  | 'usage'
  | 'aws-auth-needed'
  | 'input-too-large'
  | 'kubeconfig-too-large'
  | 'container-credentials'
  | 'proxy-refused'
  | 'bad-ca-bundle'
  | 'bad-proxy'
  | 'tls-certificate'
  | 'aborted'
  | 'answer-too-large'
  | 'timeout'
  | 'unreachable'
  | 'access-entry-not-found'
  | 'eks-invalid-request'
  | 'web-identity-token';

export interface EksAuthErrorOptions {
  hint?: string;
  cause?: unknown;
  /** A short machine-readable reason, for --json output and tests (e.g. "profile-not-found"). */
  reason?: ErrorReason;
}

export class EksAuthError extends Error {
  override readonly name = 'EksAuthError';
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  readonly reason: ErrorReason | undefined;

  constructor(exitCode: ExitCodeValue, message: string, options: EksAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.reason = options.reason;
  }
}

/**
 * True for an EksAuthError from any bundle: the lazily loaded SDK adapters are separate bundles
 * with their own copy of this class, so `instanceof` alone would miss theirs.
 */
export function isEksAuthError(err: unknown): err is EksAuthError {
  if (err instanceof EksAuthError) return true;
  const e = err as { name?: unknown; exitCode?: unknown } | null;
  return typeof e === 'object' && e !== null && e.name === 'EksAuthError' && typeof e.exitCode === 'number';
}

/**
 * Wraps a failure with what was being attempted, keeping the original as `cause`:
 * `could not assume role arn:…: AccessDenied …`. An EksAuthError keeps its exit code and hint.
 */
export function wrapError(err: unknown, doing: string, fallbackCode: ExitCodeValue, hint?: string): EksAuthError {
  if (isEksAuthError(err)) {
    return new EksAuthError(err.exitCode, `${doing}: ${err.message}`, {
      hint: err.hint ?? hint,
      cause: err,
      reason: err.reason,
    });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new EksAuthError(fallbackCode, `${doing}: ${detail}`, { hint, cause: err });
}
