/**
 * yargs options built from the one TOKEN_FLAGS table: all of `token`'s, and the credential flags
 * that `whoami`, `explain` and `login` share with it, so every command spells them the same way.
 * (`kubeconfig` writes its flags into the entry and takes a subset with its own help.)
 */
import type { Options } from 'yargs';
import { TOKEN_FLAGS, type TokenFlagName } from './token-args';

const AWS_FLAGS = [
  'region',
  'profile',
  'role-arn',
  'external-id',
  'session-name',
  'forward-session-name',
  'duration',
] as const;

export interface AwsArgs {
  region?: string;
  profile?: string;
  'role-arn'?: string;
  'external-id'?: string;
  'session-name'?: string;
  'forward-session-name'?: boolean;
  duration?: number;
}

/**
 * `--cache`/`--no-cache` for commands that resolve credentials but print no token (whoami, explain,
 * kubeconfig): they reuse and refresh the role sessions that `token` and `login` cache, so an MFA
 * profile logged in once is not asked for a code again.
 */
export const SESSION_CACHE_OPTION: Options = {
  type: 'boolean',
  describe:
    'Reuse the role sessions that token and login cached (on by default; --no-cache or EKS_AUTH_NO_CACHE=1 turns it off)',
  group: 'AWS credentials:',
};

/** yargs options for the credential flags (with their aliases, e.g. -r/--role for --role-arn). */
export function awsYargsOptions(): Record<string, Options> {
  return flagOptions(AWS_FLAGS, 'AWS credentials:');
}

/** yargs options for these TOKEN_FLAGS entries, under a help group when given. */
export function flagOptions(names: readonly TokenFlagName[], group?: string): Record<string, Options> {
  const options: Record<string, Options> = {};
  for (const name of names) {
    const spec = TOKEN_FLAGS[name];
    options[name] = {
      type: spec.type,
      alias: [...spec.aliases],
      describe: spec.describe,
      ...('choices' in spec ? { choices: [...spec.choices] } : {}),
      ...(group ? { group } : {}),
    };
  }
  return options;
}
