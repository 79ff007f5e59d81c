import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import yargs from 'yargs';
import { eksGetTokenCommand, tokenCommand } from '../../../src/cli/commands/token';
import { VERBOSE_OPTION } from '../../../src/cli/main';
import {
  authenticatorArgv,
  parseTokenArgv,
  toTokenOptions,
  tokenVerbose,
  withAuthenticatorEnv,
  TOKEN_FLAGS,
  type TokenArgs,
  type TokenFlagName,
} from '../../../src/cli/token-args';
import { ExitCode } from '../../../src/errors';

const ROLE = 'arn:aws:iam::111122223333:role/admin';

/** argv the fast parser must read, and what it reads. */
const ACCEPTED: { argv: string[]; args: TokenArgs }[] = [
  { argv: ['token', '--cluster', 'demo'], args: { cluster: 'demo' } },
  { argv: ['token', '--cluster-name', 'demo'], args: { cluster: 'demo' } },
  { argv: ['token', '-i', 'demo'], args: { cluster: 'demo' } },
  {
    argv: ['token', '--cluster-id', 'b0f5e2c4-1a2b-4c3d-8e9f-0123456789ab'],
    args: { cluster: 'b0f5e2c4-1a2b-4c3d-8e9f-0123456789ab' },
  },
  { argv: ['token', '--cluster=demo', '--region=eu-west-1'], args: { cluster: 'demo', region: 'eu-west-1' } },
  { argv: ['token', '--cluster=a=b'], args: { cluster: 'a=b' } },
  { argv: ['token', '--cluster', 'demo', '--role', ROLE], args: { cluster: 'demo', 'role-arn': ROLE } },
  {
    argv: [
      'token',
      '-i',
      'demo',
      '-r',
      ROLE,
      '--external-id',
      'ext',
      '--session-name',
      'me',
      '--duration',
      '3600',
      '-o',
      'token',
      '-v',
    ],
    args: {
      cluster: 'demo',
      'role-arn': ROLE,
      'external-id': 'ext',
      'session-name': 'me',
      duration: 3600,
      output: 'token',
      verbose: true,
    },
  },
  {
    argv: ['token', '--cluster', 'demo', '--profile', 'dev', '--token-only'],
    args: { cluster: 'demo', profile: 'dev', 'token-only': true },
  },
  {
    argv: ['token', '--cluster', 'demo', '--verbose=false', '--token-only=true'],
    args: { cluster: 'demo', verbose: false, 'token-only': true },
  },
  // aws-iam-authenticator and `aws eks get-token` spellings, so a kubeconfig only changes `command`.
  { argv: ['eks', 'get-token', '--cluster-name', 'X', '--output', 'json'], args: { cluster: 'X', output: 'json' } },
  { argv: ['eks', 'get-token', '--cluster-name', 'X', '--role-arn', ROLE], args: { cluster: 'X', 'role-arn': ROLE } },
  // `aws eks update-kubeconfig` writes [--region, R, eks, get-token, --cluster-name, N, --output, json].
  {
    argv: ['--region', 'us-west-2', 'eks', 'get-token', '--cluster-name', 'X', '--output', 'json'],
    args: { region: 'us-west-2', cluster: 'X', output: 'json' },
  },
  // A repeated flag keeps its last value (argparse in the AWS CLI does the same).
  {
    argv: ['token', '--cluster', 'a', '--cluster-name', 'b', '--region', 'x', '--region=y'],
    args: { cluster: 'b', region: 'y' },
  },
  { argv: ['token', '--duration', '1e3', '--duration', '900'], args: { duration: 900 } },
  { argv: ['token'], args: {} },
  // A value may look like a flag name or a number; it stays a string.
  { argv: ['token', '--cluster', 'token', '--profile', '123'], args: { cluster: 'token', profile: '123' } },
];

/** argv the fast parser must leave to yargs (which prints a proper error or help). */
const REFUSED: { why: string; argv: string[] }[] = [
  { why: 'not a token command', argv: ['kubeconfig', '--cluster', 'demo'] },
  { why: 'no command', argv: [] },
  { why: 'help', argv: ['token', '--help'] },
  { why: 'an unknown flag', argv: ['token', '--cluster', 'demo', '--regoin', 'x'] },
  { why: 'an unknown short flag', argv: ['token', '-x', 'demo'] },
  { why: 'a missing value at the end', argv: ['token', '--cluster'] },
  { why: 'a flag where the value should be', argv: ['token', '--cluster', '--region', 'x'] },
  { why: 'a lone dash as a value', argv: ['token', '--cluster', '-'] },
  { why: 'a positional', argv: ['token', 'demo'] },
  { why: 'a positional after flags', argv: ['token', '--cluster', 'demo', 'extra'] },
  { why: 'a bad choice', argv: ['token', '--cluster', 'demo', '--output', 'yaml'] },
  { why: 'a non-numeric duration', argv: ['token', '--duration', 'an-hour'] },
  { why: 'an empty duration', argv: ['token', '--duration='] },
  { why: 'a boolean with a non-boolean value', argv: ['token', '--verbose=yes'] },
  { why: 'bundled short flags', argv: ['token', '-vi', 'demo'] },
  { why: 'another eks subcommand', argv: ['eks', 'describe-cluster', '--name', 'demo'] },
  { why: 'eks without get-token', argv: ['eks', '--cluster-name', 'demo'] },
  {
    why: 'a global flag value missing before eks get-token',
    argv: ['--region', 'eks', 'get-token', '--cluster-name', 'X'],
  },
  { why: 'a --flag=value for a negated flag', argv: ['token', '--no-verbose=true'] },
  // yargs would read `eks` as the flag's value there.
  { why: 'a boolean flag before eks get-token', argv: ['--token-only', 'eks', 'get-token', '--cluster-name', 'X'] },
  { why: 'a -- separator', argv: ['token', '--', '--cluster', 'demo'] },
];

/** What yargs, built from the same TOKEN_FLAGS by the token command's builder, makes of argv (handler not run). */
async function parseWithYargs(argv: string[]): Promise<Record<string, unknown>> {
  let captured: Record<string, unknown> | undefined;
  const capture = (parsed: unknown) => {
    captured = parsed as Record<string, unknown>;
  };
  await yargs(argv)
    .option('verbose', VERBOSE_OPTION)
    .command({ ...tokenCommand, handler: capture })
    .command({ ...eksGetTokenCommand, handler: capture })
    .strict()
    .version(false)
    .help(false)
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new Error(message);
    })
    .parseAsync();
  assert.ok(captured, `yargs ran no command for ${JSON.stringify(argv)}`);
  return captured;
}

/** The TOKEN_FLAGS values in a parse result. */
function tokenValues(parsed: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(TOKEN_FLAGS)) if (parsed[name] !== undefined) out[name] = parsed[name];
  return out;
}

describe('parseTokenArgv', () => {
  for (const row of ACCEPTED) {
    test(`reads ${JSON.stringify(row.argv)}`, () => {
      assert.deepEqual(parseTokenArgv(row.argv), row.args);
    });
  }
  for (const row of REFUSED) {
    test(`leaves ${row.why} to yargs: ${JSON.stringify(row.argv)}`, () => {
      assert.equal(parseTokenArgv(row.argv), undefined);
    });
  }

  test('knows every flag and alias of TOKEN_FLAGS', () => {
    for (const [name, spec] of Object.entries(TOKEN_FLAGS)) {
      for (const spelling of [name, ...spec.aliases]) {
        const flag = spelling.length === 1 ? `-${spelling}` : `--${spelling}`;
        const value =
          spec.type === 'boolean' ? [] : spec.type === 'number' ? ['900'] : ['choices' in spec ? spec.choices[0] : 'v'];
        const parsed = parseTokenArgv(['token', flag, ...value]);
        assert.ok(parsed && name in parsed, `${flag} is not read as ${name}`);
      }
    }
  });
});

describe('parseTokenArgv and yargs agree', () => {
  for (const row of ACCEPTED) {
    test(`on ${JSON.stringify(row.argv)}`, async () => {
      assert.deepEqual(tokenValues(await parseWithYargs(row.argv)), tokenValues(row.args as Record<string, unknown>));
    });
  }

  test('yargs refuses other eks subcommands too', async () => {
    await assert.rejects(parseWithYargs(['eks', 'describe-cluster', '--cluster', 'demo']), /Invalid values/);
  });

  // Random well-formed invocations: every flag, every spelling, both value forms, and --no-X.
  const stringValue = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9:/._=@+-]{0,20}$/);
  const numberValue = fc.oneof(
    fc.integer({ min: 0, max: 50000 }).map(String),
    fc.constantFrom('1e3', '0x384', '900.0', '.5', '00900'),
  );
  const flagArg = fc.constantFrom(...(Object.keys(TOKEN_FLAGS) as TokenFlagName[])).chain((name) => {
    const spec = TOKEN_FLAGS[name];
    const spellings = [name, ...spec.aliases];
    return fc.tuple(fc.constantFrom(...spellings), fc.boolean()).chain(([spelling, inline]): fc.Arbitrary<string[]> => {
      const flag = spelling.length === 1 ? `-${spelling}` : `--${spelling}`;
      if (spec.type === 'boolean') {
        return fc.constantFrom(
          [flag],
          [`--${spelling.length === 1 ? name : spelling}=true`],
          [`--${name}=false`],
          [`--no-${name}`],
        );
      }
      const value =
        'choices' in spec ? fc.constantFrom(...spec.choices) : spec.type === 'number' ? numberValue : stringValue;
      return value.map((v) => (inline && spelling.length > 1 ? [`${flag}=${v}`] : [flag, v]));
    });
  });
  const flags = fc.array(flagArg, { maxLength: 8 }).map((list) => list.flat());
  const argv = fc.oneof(
    flags.map((f) => ['token', ...f]),
    flags.map((f) => ['eks', 'get-token', ...f]),
    fc.tuple(flags, flags).map(([before, after]) => [...before, 'eks', 'get-token', ...after]),
  );

  // yargs-parser counts a repeated flag whose later value is the number 1 (the earlier value plus
  // one: `--duration 5 --duration 1` gives 6), because 1 is also its increment marker. The fast
  // parser keeps the last value, as argparse does for the AWS CLI (tested below); yargs is no oracle there.
  const NUMBER_FLAGS = (Object.keys(TOKEN_FLAGS) as TokenFlagName[]).filter(
    (name) => TOKEN_FLAGS[name].type === 'number',
  );
  function repeatsWithOne(args: string[]): boolean {
    return NUMBER_FLAGS.some((name) => {
      const values = args.flatMap((a, i) =>
        a === `--${name}` ? [args[i + 1] ?? ''] : a.startsWith(`--${name}=`) ? [a.slice(name.length + 3)] : [],
      );
      return values.slice(1).some((v) => Number(v) === 1);
    });
  }

  test('a repeated flag takes its last value, as the AWS CLI does', () => {
    assert.deepEqual(parseTokenArgv(['token', '--duration', '5', '--duration', '1']), { duration: 1 });
    assert.deepEqual(parseTokenArgv(['token', '--duration=1e3', '--duration', '1', '--cluster', 'a', '--cluster=b']), {
      duration: 1,
      cluster: 'b',
    });
  });

  test('on random invocations the fast parser accepts', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const fast = parseTokenArgv(args);
        if (fast === undefined || repeatsWithOne(args)) return;
        accepted++;
        assert.deepEqual(tokenValues(await parseWithYargs(args)), tokenValues(fast as Record<string, unknown>));
      }),
      { numRuns: 300 },
    );
    // The property is only worth something if most generated invocations take the fast path.
    assert.ok(accepted > 200, `only ${accepted} of 300 invocations were accepted`);
  });
});

describe('toTokenOptions', () => {
  test('names the fields for the use case', () => {
    assert.deepEqual(
      toTokenOptions({
        cluster: 'demo',
        region: 'eu-west-1',
        profile: 'dev',
        'role-arn': ROLE,
        'external-id': 'ext',
        'session-name': 'me',
        duration: 900,
        verbose: true,
      }),
      {
        clusterId: 'demo',
        region: 'eu-west-1',
        profile: 'dev',
        roleArn: ROLE,
        externalId: 'ext',
        sessionName: 'me',
        durationSeconds: 900,
        output: 'json',
        verbose: true,
      },
    );
  });

  test('--token-only and --output token both mean the bare token', () => {
    assert.equal(toTokenOptions({ cluster: 'demo', 'token-only': true }).output, 'token');
    assert.equal(toTokenOptions({ cluster: 'demo', output: 'token' }).output, 'token');
    assert.equal(toTokenOptions({ cluster: 'demo', output: 'json' }).output, 'json');
    assert.equal(toTokenOptions({ cluster: 'demo', 'token-only': false }).output, 'json');
  });

  const errors: { name: string; args: TokenArgs; message: string | RegExp }[] = [
    { name: 'no --cluster', args: { region: 'x' }, message: 'missing required flag --cluster' },
    { name: 'an empty --cluster', args: { cluster: '' }, message: 'missing required flag --cluster' },
    {
      name: '--duration below 900',
      args: { cluster: 'd', 'role-arn': ROLE, duration: 899 },
      message: '--duration must be a whole number of seconds from 900 to 43200, not 899',
    },
    {
      name: '--duration above 43200',
      args: { cluster: 'd', 'role-arn': ROLE, duration: 43201 },
      message: /not 43201$/,
    },
    {
      name: 'a fractional --duration',
      args: { cluster: 'd', 'role-arn': ROLE, duration: 900.5 },
      message: /not 900.5$/,
    },
    {
      name: 'a NaN --duration (yargs gives NaN for text)',
      args: { cluster: 'd', 'role-arn': ROLE, duration: Number.NaN },
      message: /not a number$/,
    },
    {
      name: '--external-id without --role-arn',
      args: { cluster: 'd', 'external-id': 'ext' },
      message: /apply to --role-arn, which is not given/,
    },
    {
      name: '--session-name without --role-arn',
      args: { cluster: 'd', 'session-name': 'me' },
      message: /apply to --role-arn/,
    },
    { name: '--duration without --role-arn', args: { cluster: 'd', duration: 900 }, message: /apply to --role-arn/ },
  ];
  for (const row of errors) {
    test(`refuses ${row.name} with exit 2`, () => {
      assert.throws(() => toTokenOptions(row.args), {
        name: 'EksAuthError',
        exitCode: ExitCode.usage,
        message: row.message,
      });
    });
  }
});

describe('--no-cache', () => {
  const ROWS: [string[], boolean | undefined | 'yargs'][] = [
    [['token', '--cluster', 'demo'], undefined],
    [['token', '--cluster', 'demo', '--no-cache'], false],
    [['token', '--no-cache', '--cluster', 'demo'], false],
    [['token', '--cluster', 'demo', '--cache'], true],
    [['eks', 'get-token', '--cluster-name', 'demo', '--no-cache'], false],
    // Unusual spellings go to yargs for its own reading or message.
    [['token', '--cluster', 'demo', '--no-cache=true'], 'yargs'],
    [['token', '--no-cluster'], 'yargs'],
  ];
  for (const [argv, expected] of ROWS) {
    test(`the fast parser reads ${argv.slice(1).join(' ')} as ${expected === 'yargs' ? 'one for yargs' : `cache ${expected}`}`, () => {
      const parsed = parseTokenArgv(argv);
      if (expected === 'yargs') assert.equal(parsed, undefined);
      else assert.equal(parsed?.cache, expected);
    });
  }
});

// aws-iam-authenticator's `token` flags, from cmd/aws-iam-authenticator/token.go and root.go
// (cobra/pflag): -i/--cluster-id, -r/--role, -e/--external-id, -s/--session-name, --region,
// --token-only, --forward-session-name, --cache, and the globals -c/--config, -l/--log-format,
// -v/--log-verbosity <level>, --feature-gates. argv as its kubeconfig entries hold it.
const AUTHENTICATOR: { argv: string[]; args: TokenArgs }[] = [
  { argv: ['token', '-i', 'demo'], args: { cluster: 'demo' } },
  {
    argv: ['token', '-i', 'demo', '-r', ROLE, '-s', 'alice', '-e', 'ext-1'],
    args: { cluster: 'demo', 'role-arn': ROLE, 'session-name': 'alice', 'external-id': 'ext-1' },
  },
  {
    argv: ['token', '--cluster-id', 'demo', '--role', ROLE, '--session-name=alice', '--external-id=ext-1'],
    args: { cluster: 'demo', 'role-arn': ROLE, 'session-name': 'alice', 'external-id': 'ext-1' },
  },
  {
    argv: ['token', '-i', 'demo', '-r', ROLE, '--forward-session-name'],
    args: { cluster: 'demo', 'role-arn': ROLE, 'forward-session-name': true },
  },
  {
    argv: ['token', '-i', 'demo', '--region', 'eu-west-1', '--token-only', '--cache'],
    args: { cluster: 'demo', region: 'eu-west-1', 'token-only': true, cache: true },
  },
  { argv: ['token', '-i', 'demo', '-v', 'debug'], args: { cluster: 'demo', 'log-verbosity': 'debug' } },
  { argv: ['token', '-i', 'demo', '-v=info'], args: { cluster: 'demo', 'log-verbosity': 'info' } },
  { argv: ['token', '-vTRACE', '-i', 'demo'], args: { cluster: 'demo', 'log-verbosity': 'TRACE' } },
  {
    argv: ['token', '-i', 'demo', '--log-verbosity', 'warning'],
    args: { cluster: 'demo', 'log-verbosity': 'warning' },
  },
  { argv: ['token', '-i', 'demo', '-l', 'json', '--log-format=text'], args: { cluster: 'demo', 'log-format': 'text' } },
  {
    argv: ['token', '-i', 'demo', '--feature-gates', 'SSORoleMatch=true'],
    args: { cluster: 'demo', 'feature-gates': 'SSORoleMatch=true' },
  },
  {
    argv: ['token', '-i', 'demo', '-c', '/etc/aws-iam-authenticator.yaml'],
    args: { cluster: 'demo', config: '/etc/aws-iam-authenticator.yaml' },
  },
  // eks-auth's own boolean -v still works where no level follows.
  { argv: ['token', '-i', 'demo', '-v'], args: { cluster: 'demo', verbose: true } },
  { argv: ['token', '-v', '-i', 'demo'], args: { verbose: true, cluster: 'demo' } },
];

describe("aws-iam-authenticator's token command line", () => {
  for (const row of AUTHENTICATOR) {
    test(`the fast parser reads ${row.argv.slice(1).join(' ')}`, () => {
      assert.deepEqual(parseTokenArgv(authenticatorArgv(row.argv)), row.args);
    });
    test(`yargs agrees on ${row.argv.slice(1).join(' ')}`, async () => {
      assert.deepEqual(
        tokenValues(await parseWithYargs(authenticatorArgv(row.argv))),
        tokenValues(row.args as Record<string, unknown>),
      );
    });
  }

  test('-v takes a level only for token: eks get-token is the AWS CLI spelling', () => {
    assert.deepEqual(authenticatorArgv(['eks', 'get-token', '-v', 'debug']), ['eks', 'get-token', '-v', 'debug']);
    assert.deepEqual(authenticatorArgv(['token', '-v', 'verbose']), ['token', '-v', 'verbose']);
  });

  test('debug and trace levels trace; --verbose decides when given', () => {
    assert.equal(tokenVerbose({ 'log-verbosity': 'debug' }), true);
    assert.equal(tokenVerbose({ 'log-verbosity': 'Trace' }), true);
    assert.equal(tokenVerbose({ 'log-verbosity': 'info' }), false);
    assert.equal(tokenVerbose({ 'log-verbosity': 'debug', verbose: false }), false);
    assert.equal(tokenVerbose({}), false);
  });

  test('DEFAULT_ROLE is the role when no -r is given, as viper binds it', () => {
    const args = withAuthenticatorEnv({ cluster: 'demo' }, { DEFAULT_ROLE: ROLE });
    assert.equal(toTokenOptions(args).roleArn, ROLE);
    const other = 'arn:aws:iam::111122223333:role/other';
    assert.equal(
      toTokenOptions(withAuthenticatorEnv({ cluster: 'demo', 'role-arn': other }, { DEFAULT_ROLE: ROLE })).roleArn,
      other,
    );
    assert.equal(toTokenOptions(withAuthenticatorEnv({ cluster: 'demo' }, { DEFAULT_ROLE: '' })).roleArn, undefined);
    // -s and -e apply to the role from DEFAULT_ROLE.
    const named = toTokenOptions(
      withAuthenticatorEnv({ cluster: 'demo', 'session-name': 'alice', 'external-id': 'x' }, { DEFAULT_ROLE: ROLE }),
    );
    assert.deepEqual([named.roleArn, named.sessionName, named.externalId], [ROLE, 'alice', 'x']);
  });

  test('KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID and AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY fill in missing flags', () => {
    const env = { KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID: 'from-env', AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY: 'debug' };
    assert.deepEqual(toTokenOptions(withAuthenticatorEnv({}, env)), {
      clusterId: 'from-env',
      output: 'json',
      verbose: true,
    });
    assert.equal(toTokenOptions(withAuthenticatorEnv({ cluster: 'flag', verbose: false }, env)).clusterId, 'flag');
    assert.equal(toTokenOptions(withAuthenticatorEnv({ cluster: 'flag', verbose: false }, env)).verbose, false);
  });

  test('--forward-session-name reaches the use case with a role, and is ignored without one', () => {
    assert.equal(
      toTokenOptions({ cluster: 'demo', 'role-arn': ROLE, 'forward-session-name': true }).forwardSessionName,
      true,
    );
    assert.equal(toTokenOptions({ cluster: 'demo', 'forward-session-name': true }).forwardSessionName, undefined);
  });

  const refused: { name: string; args: TokenArgs; message: RegExp; hint: RegExp }[] = [
    {
      name: '--config',
      args: { cluster: 'demo', config: 'c.yaml' },
      message: /--config .* is not read by eks-auth/,
      hint: /--cluster <id>.*--role-arn/,
    },
    {
      name: 'a log level logrus does not know',
      args: { cluster: 'demo', 'log-verbosity': 'loud' },
      message: /must be one of panic, fatal/,
      hint: /--verbose/,
    },
    {
      name: '--forward-session-name with --session-name (aws-iam-authenticator refuses it too)',
      args: { cluster: 'demo', 'role-arn': ROLE, 'forward-session-name': true, 'session-name': 'me' },
      message: /cannot both be given/,
      hint: /--session-name <name>/,
    },
  ];
  for (const row of refused) {
    test(`refuses ${row.name}, naming the eks-auth spelling`, () => {
      assert.throws(
        () => toTokenOptions(row.args),
        (err: Error & { exitCode?: number; hint?: string }) => {
          assert.equal(err.exitCode, ExitCode.usage);
          assert.match(err.message, row.message);
          assert.match(err.hint ?? '', row.hint);
          return true;
        },
      );
    });
  }
});
