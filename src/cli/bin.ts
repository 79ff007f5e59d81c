/**
 * The eks-auth executable. kubectl runs `eks-auth token …` for every command, so that path is
 * parsed by hand and loads neither yargs nor the AWS SDK; every other invocation loads the full
 * command line.
 */
import { parseTokenArgv } from './token-args';
import { runToken } from './token-run';

const args = process.argv.slice(2);
const tokenArgs = parseTokenArgv(args);
if (tokenArgs) {
  void runToken(tokenArgs);
} else {
  void import('./main').then((cli) => cli.main(args));
}
