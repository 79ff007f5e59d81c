/** `eks-auth token` for yargs: help, completion and error messages. Normal runs take the fast path in bin.ts. */
import type { CommandModule } from 'yargs';
import { flagOptions } from '../aws-options';
import { TOKEN_FLAGS, type TokenArgs, type TokenFlagName } from '../token-args';
import { runToken } from '../token-run';

export const tokenCommand: CommandModule<object, TokenArgs> = {
  command: 'token',
  describe: 'Print an ExecCredential (or bare token) for kubectl to authenticate to an EKS cluster',
  builder: (yargs) =>
    yargs
      // A repeated flag keeps its last value, as in the fast parser and the AWS CLI (not an array).
      .parserConfiguration({ 'duplicate-arguments-array': false })
      .options(flagOptions((Object.keys(TOKEN_FLAGS) as TokenFlagName[]).filter((name) => name !== 'verbose')))
      .example('$0 token --cluster demo --region eu-west-1', 'ExecCredential JSON for kubectl')
      .example(
        '$0 token --cluster demo --role-arn arn:aws:iam::111122223333:role/admin --token-only',
        'A bare token for scripts',
      ) as never,
  handler: (argv) => runToken(argv, 'token'),
};

/** `eks-auth eks get-token …`, so that kubeconfigs written for `aws eks get-token` only change `command`. */
export const eksGetTokenCommand: CommandModule<object, TokenArgs> = {
  command: 'eks <get-token>',
  describe: false,
  // Only `eks get-token`: any other `eks` subcommand is not ours.
  builder: (yargs) =>
    (tokenCommand.builder as (y: typeof yargs) => typeof yargs)(
      yargs.positional('get-token', { type: 'string', choices: ['get-token'] }),
    ) as never,
  handler: (argv) => runToken(argv, 'eks get-token'),
};
