/**
 * Executes a credential plan: gets the source credentials, then assumes each role hop on top.
 * Environment and static keys need no SDK code (the hot path); everything else loads the SDK
 * adapters lazily through deps. Reusing the chain's STS sessions is aws/session-cache.ts's job,
 * which wraps this module.
 */
import { EksAuthError, ExitCode, isEksAuthError, wrapError, type ExitCodeValue } from '../errors';
import type { AwsCredentials, Deps, StsEndpoint } from '../ports';
import { findProfile, requireProfile, type AwsConfigFiles } from './config';
import { describeSource, type CredentialPlan, type CredentialSource, type RoleHop } from './profile-chain';
import { shellWord } from '../util/quote';
import { callerSessionName, defaultSessionName } from './session-name';

export interface ExecuteOptions {
  files: AwsConfigFiles;
  endpoint: StsEndpoint;
  /** May we ask the user for an MFA code? */
  interactive: boolean;
  /** Renew every cached session of the chain instead of reusing it (`eks-auth login --force`). */
  refresh?: boolean;
  /** sourceIdentity() of this plan when the caller has it already (token keys its own entry with it). */
  sourceIdentity?: unknown;
}

/** Resolves the plan to credentials. Never logs a secret; registers each one with deps.log.protect. */
export async function executePlan(plan: CredentialPlan, options: ExecuteOptions, deps: Deps): Promise<AwsCredentials> {
  let credentials = await resolveSources(plan, options, deps);
  for (const hop of plan.hops) {
    credentials = await assumeHop(hop, credentials, options, deps);
  }
  return credentials;
}

export async function resolveSources(
  plan: CredentialPlan,
  options: ExecuteOptions,
  deps: Deps,
): Promise<AwsCredentials> {
  const failures: string[] = [];
  // A probe that could not reach its endpoint (or distrusted its certificate) decides the exit code:
  // retrying or fixing the network helps, fixing the profile does not.
  let exitCode: ExitCodeValue = ExitCode.credentials;
  for (const source of plan.sources) {
    try {
      deps.log.verbose(`credentials: trying ${describeSource(source)}`);
      const credentials = await resolveSource(source, options, deps);
      protect(credentials, deps);
      deps.log.verbose(`credentials: using ${describeSource(source)}`);
      return credentials;
    } catch (err) {
      // In the default chain, container and instance metadata are probes: a miss moves on.
      if (!plan.probing) throw err;
      failures.push(`${describeSource(source)}: ${(err as Error).message}`);
      if (
        isEksAuthError(err) &&
        (err.exitCode === ExitCode.tls || (err.exitCode === ExitCode.network && exitCode !== ExitCode.tls))
      )
        exitCode = err.exitCode;
      deps.log.verbose(`credentials: ${describeSource(source)} failed: ${(err as Error).message}`);
    }
  }
  const profile =
    plan.visited.length > 0 ? `profile "${plan.profile}" holds no credentials` : `no profile "${plan.profile}"`;
  const tried = [profile, ...failures].join('; ');
  throw new EksAuthError(exitCode, `unable to locate credentials (${tried})`, {
    hint: `set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass --profile, or configure credentials with \`aws configure\` (profile "${plan.profile}")`,
    reason: 'no-credentials',
  });
}

export function protect(credentials: AwsCredentials, deps: Deps): void {
  deps.log.protect(credentials.secretAccessKey);
  deps.log.protect(credentials.sessionToken);
}

async function resolveSource(source: CredentialSource, options: ExecuteOptions, deps: Deps): Promise<AwsCredentials> {
  switch (source.kind) {
    case 'env':
      return envCredentials(deps);
    case 'static':
      return staticCredentials(options.files, source.profile);
    case 'process': {
      const command = findProfile(options.files, source.profile)?.get('credential_process') as string;
      try {
        return await (await deps.sdkSources()).fromProcess(source.profile, command);
      } catch (err) {
        throw processFailure(source.profile, err);
      }
    }
    case 'sso':
      return withContext(
        (await deps.sdkSources()).fromSso(source.profile, options.files, options.endpoint.http),
        `could not get SSO credentials for profile "${source.profile}"`,
        ExitCode.credentials,
        `if the SSO session has expired, run: aws sso login --profile ${shellWord(source.profile)}`,
      );
    case 'login':
      return withContext(
        (await deps.sdkSources()).fromLogin(source.profile, options.files),
        `could not get the credentials of the aws login session of profile "${source.profile}"`,
        ExitCode.credentials,
        `if the session has expired or was revoked, run: aws login --profile ${shellWord(source.profile)}`,
      );
    case 'web-identity':
      return webIdentityCredentials(source, options, deps);
    case 'container':
      return withContext(
        (await deps.sdkSources()).fromContainer(options.endpoint.http),
        'could not get container credentials',
        ExitCode.credentials,
      );
    case 'imds':
      return withContext(
        (await deps.sdkSources()).fromInstanceMetadata(),
        'could not get EC2 instance metadata credentials',
        ExitCode.credentials,
      );
  }
}

/**
 * A failed credential_process, as the user should see it without --verbose: its exit status and
 * the last lines of its stderr (its own explanation, such as "session expired, run corp-login"),
 * which reach the terminal only through the stderr redactor. The command line is never quoted (it
 * may hold a password), and the cause carries no stderr, so --verbose does not print it again.
 */
function processFailure(profile: string, err: unknown): EksAuthError {
  const name = `credential_process of profile "${profile}"`;
  if (isEksAuthError(err))
    return new EksAuthError(err.exitCode, `${name} failed: ${err.message}`, {
      cause: err,
      reason: 'credential-process',
    });
  // A CredentialProcessError (src/aws/credential-process.ts) says how it ended ("it exited with
  // status 3") and carries the tail of its stderr; read by shape, so this module does not load that one.
  const failed = err as { message?: unknown; stderrTail?: unknown };
  const what = typeof failed.message === 'string' && failed.message !== '' ? `: ${failed.message}` : '';
  const tail = Array.isArray(failed.stderrTail) ? (failed.stderrTail as string[]) : [];
  const said =
    tail.length > 0
      ? `; its last stderr line${tail.length === 1 ? '' : 's'}:\n${tail.map((line) => `  | ${line}`).join('\n')}`
      : '';
  return new EksAuthError(ExitCode.credentials, `${name} failed${what}${said}`, {
    hint: `run the credential_process command of profile "${profile}" by hand to see the whole of its output`,
    cause: err,
    reason: 'credential-process',
  });
}

async function withContext(
  promise: Promise<AwsCredentials>,
  doing: string,
  code: typeof ExitCode.credentials,
  hint?: string,
): Promise<AwsCredentials> {
  try {
    return await promise;
  } catch (err) {
    throw wrapError(err, doing, code, hint);
  }
}

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (or the older AWS_SECURITY_TOKEN), and AWS_CREDENTIAL_EXPIRATION as botocore reads it. */
export function envCredentials(deps: Pick<Deps, 'env'>): AwsCredentials {
  const { env } = deps;
  const credentials: AwsCredentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID as string,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
  };
  const sessionToken = env.AWS_SESSION_TOKEN || env.AWS_SECURITY_TOKEN;
  if (sessionToken) credentials.sessionToken = sessionToken;
  if (env.AWS_CREDENTIAL_EXPIRATION) {
    const expiration = new Date(env.AWS_CREDENTIAL_EXPIRATION);
    if (Number.isNaN(expiration.getTime())) {
      throw new EksAuthError(
        ExitCode.config,
        `AWS_CREDENTIAL_EXPIRATION is not a date: ${env.AWS_CREDENTIAL_EXPIRATION}`,
        {
          hint: 'use an ISO 8601 time such as 2026-01-01T00:00:00Z, or unset it',
          reason: 'bad-setting',
        },
      );
    }
    credentials.expiration = expiration;
  }
  return credentials;
}

export function staticCredentials(files: AwsConfigFiles, profileName: string): AwsCredentials {
  const profile = requireProfile(files, profileName);
  const credentials: AwsCredentials = {
    accessKeyId: profile.get('aws_access_key_id') as string,
    secretAccessKey: profile.get('aws_secret_access_key') as string,
  };
  const sessionToken = profile.get('aws_session_token') ?? profile.get('aws_security_token');
  if (sessionToken) credentials.sessionToken = sessionToken;
  return credentials;
}

export async function webIdentityCredentials(
  source: Extract<CredentialSource, { kind: 'web-identity' }>,
  options: ExecuteOptions,
  deps: Deps,
): Promise<AwsCredentials> {
  const where = source.profile ? `profile "${source.profile}"` : 'AWS_WEB_IDENTITY_TOKEN_FILE';
  let token: string | undefined;
  try {
    token = deps.files.readText(source.tokenFile);
  } catch (err) {
    throw new EksAuthError(
      ExitCode.credentials,
      `cannot read the web identity token file ${source.tokenFile} (${where}): ${(err as Error).message}`,
      {
        cause: err,
        reason: 'web-identity-token',
      },
    );
  }
  if (token === undefined || token.trim() === '') {
    throw new EksAuthError(
      ExitCode.credentials,
      `the web identity token file ${source.tokenFile} (${where}) is ${token === undefined ? 'missing' : 'empty'}`,
      {
        hint: 'in a pod, check the projected service account token volume (IRSA); elsewhere, fix the path',
        reason: 'web-identity-token',
      },
    );
  }
  deps.log.protect(token.trim());
  const sts = await deps.sts();
  try {
    return await sts.assumeRoleWithWebIdentity(
      {
        roleArn: source.roleArn,
        roleSessionName: source.sessionName ?? defaultSessionName(deps),
        webIdentityToken: token.trim(),
        ...(source.durationSeconds ? { durationSeconds: source.durationSeconds } : {}),
      },
      options.endpoint,
    );
  } catch (err) {
    throw wrapError(err, `could not assume role ${source.roleArn} with web identity (${where})`, ExitCode.credentials);
  }
}

/** The session name of a hop: its own, the caller's (--forward-session-name), else `eks-auth-<user>`. */
async function hopSessionName(
  hop: RoleHop,
  source: AwsCredentials,
  options: ExecuteOptions,
  deps: Deps,
): Promise<string> {
  if (hop.sessionName) return hop.sessionName;
  if (hop.forwardSessionName) {
    const identity = await (await deps.sts()).getCallerIdentity(source, options.endpoint).catch((err: unknown) => {
      throw wrapError(
        err,
        `could not read the caller's session name for --forward-session-name (sts:GetCallerIdentity)`,
        ExitCode.credentials,
      );
    });
    const forwarded = callerSessionName(identity);
    deps.log.verbose(
      `credentials: ${forwarded ? `forwarding session name ${forwarded}` : `${identity.arn} has no session name to forward`}`,
    );
    if (forwarded) return forwarded;
  }
  return defaultSessionName(deps);
}

export async function assumeHop(
  hop: RoleHop,
  source: AwsCredentials,
  options: ExecuteOptions,
  deps: Deps,
): Promise<AwsCredentials> {
  const via = hop.profile ? ` (profile "${hop.profile}")` : '';
  deps.log.verbose(`credentials: assuming ${hop.roleArn}${via}`);
  let tokenCode: string | undefined;
  if (hop.mfaSerial) tokenCode = await askMfaCode(hop, options, deps);
  const roleSessionName = await hopSessionName(hop, source, options, deps);
  const sts = await deps.sts();
  try {
    const credentials = await sts.assumeRole(
      {
        roleArn: hop.roleArn,
        roleSessionName,
        ...(hop.externalId ? { externalId: hop.externalId } : {}),
        ...(hop.durationSeconds ? { durationSeconds: hop.durationSeconds } : {}),
        ...(hop.mfaSerial && tokenCode ? { serialNumber: hop.mfaSerial, tokenCode } : {}),
      },
      source,
      options.endpoint,
    );
    protect(credentials, deps);
    return credentials;
  } catch (err) {
    throw wrapError(err, `could not assume role ${hop.roleArn}${via}`, ExitCode.credentials);
  }
}

async function askMfaCode(hop: RoleHop, options: ExecuteOptions, deps: Deps): Promise<string> {
  const profile = hop.profile ?? 'default';
  if (!options.interactive || !deps.prompt) {
    throw new EksAuthError(
      ExitCode.credentials,
      `profile "${profile}" needs an MFA code (mfa_serial ${hop.mfaSerial}) but this session is not interactive`,
      {
        hint: `run \`eks-auth login --profile ${shellWord(profile)}\` in a terminal once; the MFA session is then cached until it expires`,
        reason: 'mfa-required',
      },
    );
  }
  const code = (await deps.prompt.ask(`Enter MFA code for ${hop.mfaSerial}: `)).trim();
  if (!/^\d{6}$/.test(code)) {
    throw new EksAuthError(ExitCode.credentials, `the MFA code for ${hop.mfaSerial} must be 6 digits`, {
      hint: 'enter the current code from your MFA device',
      reason: 'mfa-invalid',
    });
  }
  return code;
}
