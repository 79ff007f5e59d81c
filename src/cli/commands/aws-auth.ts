/** `eks-auth aws-auth check` for yargs. */
import type { Argv, CommandModule } from 'yargs';
import { awsAuthCheck, formatAwsAuthCheck, summariseAwsAuthCheck } from '../../usecases/aws-auth-check';
import { ExitCode } from '../../errors';
import { nodeFiles } from '../deps';
import { runAction } from '../run';
import { writeStderr, writeStdout } from '../stdio';
import { readStdin } from './verify';
import { MAX_INPUT_FILE_BYTES } from '../deps';

interface CheckArgs {
  file: string;
  strict?: boolean;
  verbose?: boolean;
}

const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check <file>',
  describe: 'Lint an aws-auth ConfigMap before kubectl apply; exit 8 on errors',
  builder: (yargs) =>
    yargs
      .positional('file', {
        type: 'string',
        demandOption: true,
        describe: 'ConfigMap manifest, kubectl get -o yaml|json output, or the bare data; - reads stdin',
      })
      .option('strict', { type: 'boolean', default: false, describe: 'Fail on warnings too' })
      .example('$0 aws-auth check aws-auth.yaml && kubectl apply -f aws-auth.yaml', 'Guard an apply')
      .example(
        'kubectl get configmap aws-auth -n kube-system -o yaml | $0 aws-auth check -',
        'Check the live ConfigMap',
      ) as Argv<CheckArgs>,
  handler: (argv) =>
    runAction(argv.verbose === true, async () => {
      // yargs hands a lone `-` positional over as an empty string.
      const stdin = argv.file === '-' || argv.file === '';
      const input = stdin
        ? { file: '<stdin>', text: await readStdin('aws-auth ConfigMap', true, {}, MAX_INPUT_FILE_BYTES) }
        : { file: argv.file };
      const report = await awsAuthCheck({ ...input, strict: argv.strict === true }, { files: nodeFiles });
      if (report.findings.length > 0) writeStdout(`${formatAwsAuthCheck(report)}\n`);
      writeStderr(summariseAwsAuthCheck(report));
      return report.failed ? ExitCode.lintFailed : ExitCode.ok;
    }),
};

/** `eks-auth aws-auth`, with `check` as its subcommand. */
export const awsAuthCommand: CommandModule<object, CheckArgs> = {
  command: 'aws-auth <command>',
  describe: 'Work with the aws-auth ConfigMap',
  builder: (yargs) =>
    yargs.command(checkCommand).demandCommand(1, 'aws-auth needs a subcommand: check') as Argv<CheckArgs>,
  handler: () => {},
};
