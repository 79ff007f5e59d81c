/** `eks-auth login` for yargs. */
import type { Argv, CommandModule } from 'yargs';
import { login } from '../../usecases/login';
import { awsYargsOptions, type AwsArgs } from '../aws-options';
import { toAwsInput } from '../token-args';
import { createDeps, withCache } from '../deps';
import { runAction } from '../run';

interface LoginArgs extends AwsArgs {
  verbose?: boolean;
  force?: boolean;
}

export const loginCommand: CommandModule<object, LoginArgs> = {
  command: 'login',
  describe: "Assume a profile's roles once (asking for the MFA code) and cache the sessions for every kubectl call",
  builder: (yargs) =>
    yargs
      .options(awsYargsOptions())
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Start new sessions even when the cached ones are still good',
      })
      .example(
        '$0 login --profile admin-mfa',
        'Enter the MFA code once; kubectl then runs without prompts until the session expires',
      ) as Argv<LoginArgs>,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, async () => {
      const input = toAwsInput(argv);
      return login(
        // A person runs login: the use case prompts whenever there is a terminal to prompt on.
        { ...input, force: argv.force === true },
        withCache(true, createDeps({ verbose })),
      );
    });
  },
};
