/**
 * The eks-auth executable. kubectl runs `eks-auth token …` for every command, so that path is
 * parsed by hand and loads neither yargs nor the AWS SDK; every other invocation loads the full
 * command line.
 */
import { authenticatorArgv, parseTokenArgv } from './token-args';
import { runToken } from './token-run';

const args = authenticatorArgv(process.argv.slice(2));
const tokenArgs = parseTokenArgv(args);
if (tokenArgs) {
  // Everything is written (synchronously) and every lock released when runToken settles: exit
  // there instead of tearing the V8 heap down (0.4 ms of a cache hit), and without waiting for
  // the SDK's idle keep-alive sockets after a role-chain miss.
  void runToken(tokenArgs, args[0] === 'token' ? 'token' : 'eks get-token').then(() => process.exit());
} else {
  void import('./main').then((cli) => cli.main(args));
}
