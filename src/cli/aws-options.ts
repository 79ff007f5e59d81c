/**
 * The credential flags that `whoami`, `explain`, `login` and `kubeconfig` share with `token`, taken
 * from the one TOKEN_FLAGS table so every command spells them the same way.
 */
import type { Options } from 'yargs';
import type { AwsInput } from '../aws/resolve';
import { EksAuthError, ExitCode } from '../errors';
import { TOKEN_FLAGS } from './token-args';

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

export function toAwsInput(args: AwsArgs): AwsInput {
  if (args.duration !== undefined && (!Number.isInteger(args.duration) || args.duration < 900 || args.duration > 43200)) {
    throw new EksAuthError(ExitCode.usage, `--duration must be a whole number of seconds from 900 to 43200, not ${args.duration}`, { reason: 'usage' });
  }
  const input: AwsInput = {};
  if (args.region) input.region = args.region;
  if (args.profile) input.profile = args.profile;
  if (args['role-arn']) input.roleArn = args['role-arn'];
  if (args['external-id']) input.externalId = args['external-id'];
  if (args['session-name']) input.sessionName = args['session-name'];
  if (args.duration !== undefined) input.durationSeconds = args.duration;
  return input;
}
