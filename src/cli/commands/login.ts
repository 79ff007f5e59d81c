/** `eks-auth login` for yargs. */
import { isatty } from 'node:tty';
import type { Argv, CommandModule } from 'yargs';
import { login } from '../../commands/login';
import { EksAuthError, ExitCode } from '../../errors';
import { createDeps } from '../deps';
import { runAction } from '../run';
import { cliCache } from '../token-run';

interface LoginArgs {
  verbose?: boolean;
  profile?: string;
  region?: string;
  'role-arn'?: string;
  'external-id'?: string;
  'session-name'?: string;
  duration?: number;
  force?: boolean;
}

export const loginCommand: CommandModule<object, LoginArgs> = {
  command: 'login',
  describe: 'Assume a profile\'s roles once (asking for the MFA code) and cache the sessions for every kubectl call',
  builder: (yargs) =>
    yargs
      .options({
        profile: { type: 'string', describe: 'AWS profile (default: AWS_PROFILE, else default)' },
        region: { type: 'string', describe: 'Region of the STS endpoint (else AWS_REGION, AWS_DEFAULT_REGION, the profile\'s region)' },
        'role-arn': { type: 'string', alias: ['role'], describe: 'A role assumed on top of the profile, as `eks-auth token --role-arn` does' },
        'external-id': { type: 'string', describe: 'External id for --role-arn' },
        'session-name': { type: 'string', describe: 'Role session name for --role-arn' },
        duration: { type: 'number', describe: 'Session duration in seconds for --role-arn (900-43200)' },
        force: { type: 'boolean', default: false, describe: 'Start new sessions even when the cached ones are still good' },
      })
      .example('$0 login --profile admin-mfa', 'Enter the MFA code once; kubectl then runs without prompts until the session expires') as Argv<LoginArgs>,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, async () => {
      if (argv.duration !== undefined && (!Number.isInteger(argv.duration) || argv.duration < 900 || argv.duration > 43200)) {
        throw new EksAuthError(ExitCode.usage, `--duration must be a whole number of seconds from 900 to 43200, not ${argv.duration}`, { reason: 'usage' });
      }
      if (!argv['role-arn'] && (argv['external-id'] || argv['session-name'] || argv.duration !== undefined)) {
        throw new EksAuthError(ExitCode.usage, '--external-id, --session-name and --duration apply to --role-arn, which is not given', { reason: 'usage' });
      }
      const deps = createDeps({ verbose });
      const cache = cliCache(true, deps);
      return login(
        {
          ...(argv.profile ? { profile: argv.profile } : {}),
          ...(argv.region ? { region: argv.region } : {}),
          ...(argv['role-arn'] ? { roleArn: argv['role-arn'] } : {}),
          ...(argv['external-id'] ? { externalId: argv['external-id'] } : {}),
          ...(argv['session-name'] ? { sessionName: argv['session-name'] } : {}),
          ...(argv.duration !== undefined ? { durationSeconds: argv.duration } : {}),
          // A person runs login: prompt whenever there is a terminal to prompt on.
          interactive: isatty(0),
          force: argv.force === true,
        },
        cache ? { ...deps, cache } : deps,
      );
    });
  },
};
