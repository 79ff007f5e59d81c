/**
 * The credential flags that `whoami`, `explain`, `login` and `kubeconfig` share with `token`, taken
 * from the one TOKEN_FLAGS table so every command spells them the same way.
 */
import type { Options } from 'yargs';
import { TOKEN_FLAGS } from './token-args';

export { toAwsInput } from './token-args';

const AWS_FLAGS = ['region', 'profile', 'role-arn', 'external-id', 'session-name', 'duration'] as const;

export interface AwsArgs {
  region?: string;
  profile?: string;
  'role-arn'?: string;
  'external-id'?: string;
  'session-name'?: string;
  duration?: number;
}

/** yargs options for the credential flags (with their aliases, e.g. -r/--role for --role-arn). */
export function awsYargsOptions(): Record<string, Options> {
  const options: Record<string, Options> = {};
  for (const name of AWS_FLAGS) {
    const spec = TOKEN_FLAGS[name];
    options[name] = { type: spec.type, alias: [...spec.aliases], describe: spec.describe, group: 'AWS credentials:' };
  }
  return options;
}
