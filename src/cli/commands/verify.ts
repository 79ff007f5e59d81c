/** `eks-auth verify` for yargs. */
import type { CommandModule } from 'yargs';
import { formatRejectionJson, formatVerifyJson, formatVerifyText, verify } from '../../usecases/verify';
import { EksAuthError, ExitCode } from '../../errors';
import { createHttpsGet } from '../../token/verify';
import type { Deps } from '../../ports';
import { createDeps, verifierHttpSettings } from '../deps';
import { writeStdout } from '../stdio';
import { reportError, runAction } from '../run';

interface VerifyArgs {
  token?: string;
  cluster?: string;
  'sts-endpoint'?: string;
  json?: boolean;
  verbose?: boolean;
}

/** The most a token (or an ExecCredential holding one) read from stdin may be: tokens are a few KiB. */
const MAX_TOKEN_INPUT_BYTES = 1024 * 1024;

/**
 * Reads all of stdin, up to `limit` bytes (more is refused: stdin may be endless, like /dev/zero);
 * refuses to wait on a terminal when nothing was given at all.
 */
export async function readStdin(
  what: string,
  explicit: boolean,
  deps: Pick<Deps, 'stdinIsTerminal'>,
  limit = MAX_TOKEN_INPUT_BYTES,
): Promise<string> {
  if (deps.stdinIsTerminal?.() && !explicit) {
    throw new EksAuthError(ExitCode.usage, `no ${what} given`, {
      reason: 'no-token',
      hint: `pipe it in (eks-auth token … | eks-auth verify --cluster NAME), or pass - to paste it`,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      process.stdin.destroy();
      throw new EksAuthError(ExitCode.usage, `the ${what} on stdin is larger than ${limit} bytes`, {
        reason: 'input-too-large',
        hint: `pass the ${what} itself; is stdin the right input?`,
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify [token]',
  describe: 'Check a token as EKS does (and stricter), replay it to STS, and show the identity behind it',
  builder: (yargs) =>
    yargs
      .positional('token', {
        type: 'string',
        describe: 'The token or ExecCredential JSON; - or absent: read stdin (keeps it out of ps)',
      })
      .option('cluster', {
        type: 'string',
        alias: ['cluster-name', 'cluster-id', 'i'],
        describe: 'The cluster name or id the token must be bound to (sent to STS as x-k8s-aws-id)',
      })
      .option('sts-endpoint', {
        type: 'string',
        describe: 'Also accept tokens for this loopback STS, https://127.0.0.1:PORT (tests only)',
      })
      .option('json', { type: 'boolean', describe: 'Print the result (or the rejection) as JSON' })
      .example('$0 token --cluster demo | $0 verify --cluster demo', 'Would EKS accept my token, and whose is it?')
      .example('$0 verify --cluster demo --json < token.txt', 'The same, as JSON') as never,
  handler: (argv) => {
    const verbose = argv.verbose === true;
    return runAction(verbose, async () => {
      if (!argv.cluster) {
        throw new EksAuthError(ExitCode.usage, 'missing required flag --cluster', {
          hint: 'eks-auth verify --cluster <name> [TOKEN | -]',
        });
      }
      const deps = createDeps({ verbose });
      // yargs hands a positional `-` over as ''.
      const fromStdin = argv.token === undefined || argv.token === '-' || argv.token === '';
      const tokenText = fromStdin ? await readStdin('token', argv.token !== undefined, deps) : (argv.token as string);
      try {
        const report = await verify(
          {
            token: tokenText,
            clusterId: argv.cluster,
            ...(argv['sts-endpoint'] ? { stsEndpoint: argv['sts-endpoint'] } : {}),
          },
          { now: deps.now, log: deps.log, httpGet: createHttpsGet(verifierHttpSettings(deps)) },
        );
        return argv.json ? formatVerifyJson(report) : formatVerifyText(report);
      } catch (err) {
        if (!argv.json || !(err instanceof EksAuthError)) throw err;
        writeStdout(`${formatRejectionJson(err)}\n`);
        return reportError(err, verbose);
      }
    });
  },
};
