/**
 * `eks-auth login`: resolves a profile's role chain once, in a terminal, prompting for the MFA code
 * where a hop has mfa_serial, and leaves every STS session of the chain in the cache. Every later
 * `eks-auth token` (kubectl, prompts, scripts) reuses them without prompting until they expire.
 */
import { EksAuthError, ExitCode } from '../errors';
import type { Deps } from '../ports';
import { resolveAwsTarget, type AwsInput } from '../aws/resolve';
import { chainCacheKeys, executeCachedPlan } from '../aws/session-cache';
import { describePlan } from '../aws/profile-chain';
import { formatTimestamp } from '../util/utc';
import { shellWord } from '../util/quote';

export interface LoginInput extends AwsInput {
  /** Start new sessions even when cached ones are still good. */
  force: boolean;
}

/** The ports login uses: all of them, since resolving a chain may read files, call STS or the SDK, prompt and cache. */
export type LoginDeps = Deps;

/** Fills the cache with the chain's sessions and says until when they serve. */
export async function login(input: LoginInput, deps: LoginDeps): Promise<string> {
  const cache = deps.cache;
  if (!cache) {
    throw new EksAuthError(ExitCode.usage, 'login fills the cache, which is turned off', {
      hint: 'unset EKS_AUTH_NO_CACHE (and leave out --no-cache), then run eks-auth login again',
      reason: 'cache-off',
    });
  }
  const target = resolveAwsTarget(input, deps);
  const { plan } = target;
  const options = {
    files: target.files,
    endpoint: target.stsEndpoint,
    interactive: deps.stdinIsTerminal?.() ?? false,
    refresh: input.force,
  };
  const keys = chainCacheKeys(plan, options, deps);
  if (!keys) {
    const sso = plan.sources.some((s) => s.kind === 'sso');
    const awsLogin = plan.sources.some((s) => s.kind === 'login');
    throw new EksAuthError(
      ExitCode.usage,
      `profile "${plan.profile}" has no role session to cache (${describePlan(plan)})`,
      {
        hint: sso
          ? `its credentials come from SSO: run \`aws sso login --profile ${shellWord(plan.profile)}\``
          : awsLogin
            ? `its credentials come from an aws login session: run \`aws login --profile ${shellWord(plan.profile)}\``
            : 'login caches role_arn hops (with or without mfa_serial) and web identity sessions; eks-auth token needs no login for this profile',
        reason: 'nothing-to-cache',
      },
    );
  }
  const credentials = await executeCachedPlan(plan, options, deps);
  const entry = cache.read(keys[keys.length - 1] as string);
  if (!cache.isActive() || entry?.kind !== 'credentials' || entry.credentials.accessKeyId !== credentials.accessKeyId) {
    throw new EksAuthError(ExitCode.config, `the session of profile "${plan.profile}" could not be cached`, {
      hint: 'see the warning above; `eks-auth cache list` shows what the cache holds',
      reason: 'cache-unusable',
    });
  }
  const role = entry.labels.roleArn ?? 'the role';
  return `profile "${plan.profile}": the session of ${role} is cached until ${formatTimestamp(entry.expiresAt)}; eks-auth token reuses it without a prompt until then\n`;
}
