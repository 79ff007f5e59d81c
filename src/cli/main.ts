/**
 * The full command line (yargs): help, completion and every command. Loaded only when the fast
 * path in bin.ts does not handle the invocation, so `eks-auth token` never pays for yargs.
 *
 * Each command lives in src/cli/commands/<name>.ts as a yargs CommandModule whose handler turns
 * argv into a typed input and calls the use case in src/usecases/<name>.ts through runAction.
 */
import yargs, { type Options } from 'yargs';
import { ExitCode } from '../errors';
import { commandName } from './self';
import { version } from './version';
import { writeStderr } from './stdio';
import { eksGetTokenCommand, tokenCommand } from './commands/token';
import { whoamiCommand } from './commands/whoami';
import { kubeconfigCommand } from './commands/kubeconfig';
import { loginCommand } from './commands/login';
import { cacheCommand } from './commands/cache';
import { verifyCommand } from './commands/verify';
import { explainCommand } from './commands/explain';
import { awsAuthCommand } from './commands/aws-auth';
import { doctorCommand } from './commands/doctor';

/**
 * `--verbose`/`-v`, for every command (commands do not declare it again: yargs would list `-v, -v`).
 * No default: unset stays undefined, as in token's fast parser, and commands test `=== true`.
 */
export const VERBOSE_OPTION: Options = {
  type: 'boolean',
  alias: 'v',
  describe: 'Trace credential resolution and show error causes on stderr',
};

export async function main(args: string[]): Promise<void> {
  const name = commandName();
  const cli = yargs(args)
    .scriptName(name)
    .usage('$0 <command> [options]\n\nAuthenticate kubectl to Amazon EKS with AWS IAM, and see why access fails.')
    .option('verbose', VERBOSE_OPTION)
    .version(version())
    .help()
    .alias('h', 'help')
    .completion('completion', 'Print a shell completion script (bash/zsh)')
    .strict()
    .demandCommand(1, 'a command is required')
    .recommendCommands()
    .fail((message, err) => {
      if (err) throw err;
      writeStderr(`error: ${message}`);
      writeStderr(`hint: run \`${name} ${args[0] && !args[0].startsWith('-') ? `${args[0]} ` : ''}--help\` for usage`);
      process.exit(ExitCode.usage);
    });
  cli.wrap(Math.min(120, cli.terminalWidth()));
  // One call per command: each CommandModule has its own argument type, which one array cannot hold.
  cli
    .command(tokenCommand)
    .command(eksGetTokenCommand)
    .command(whoamiCommand)
    .command(kubeconfigCommand)
    .command(loginCommand)
    .command(cacheCommand)
    .command(verifyCommand)
    .command(explainCommand)
    .command(awsAuthCommand)
    .command(doctorCommand);
  await cli.parseAsync();
}
