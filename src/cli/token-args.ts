/**
 * The `token` command line: one table of flags that both the fast parser (used on every kubectl
 * call, no yargs) and the yargs command (help, completion, errors) are built from, so the two
 * cannot drift apart. The fast parser handles only well-formed invocations and returns undefined
 * for anything else, which then goes to yargs for a proper message.
 */
import type { AwsInput } from '../aws/resolve';
import { EksAuthError, ExitCode } from '../errors';

interface FlagSpec {
  type: 'string' | 'number' | 'boolean';
  aliases: readonly string[];
  describe: string;
  choices?: readonly string[];
}

/** Every `token` flag, with the peers' spellings as aliases so existing kubeconfigs only change `command`. */
export const TOKEN_FLAGS = {
  cluster: {
    type: 'string',
    aliases: ['cluster-name', 'cluster-id', 'i'],
    describe: 'EKS cluster name, or id for local clusters on Outposts (signed as x-k8s-aws-id)',
  },
  region: {
    type: 'string',
    aliases: [],
    describe: "The cluster's region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)",
  },
  profile: {
    type: 'string',
    aliases: [],
    describe: 'AWS profile (beats AWS_PROFILE and ignores environment keys, as with the AWS CLI)',
  },
  'role-arn': {
    type: 'string',
    aliases: ['role', 'r'],
    describe: 'Assume this role on top of the profile credentials',
  },
  'external-id': { type: 'string', aliases: ['e'], describe: 'External id for --role-arn' },
  'session-name': {
    type: 'string',
    aliases: ['s'],
    describe: 'Role session name for --role-arn (default eks-auth-<local user name>)',
  },
  'forward-session-name': {
    type: 'boolean',
    aliases: [],
    describe:
      "Assume --role-arn under the caller's own session name (from its assumed-role ARN), as aws-iam-authenticator does",
  },
  duration: { type: 'number', aliases: [], describe: 'Session duration in seconds for --role-arn (900-43200)' },
  'token-only': { type: 'boolean', aliases: [], describe: 'Print only the token (same as --output token)' },
  output: {
    type: 'string',
    aliases: ['o'],
    describe: 'json: ExecCredential (default); token: the bare token',
    choices: ['json', 'token'],
  },
  verbose: { type: 'boolean', aliases: ['v'], describe: 'Trace credential resolution on stderr' },
  cache: {
    type: 'boolean',
    aliases: [],
    describe: 'Reuse cached tokens and role sessions (on by default; --no-cache or EKS_AUTH_NO_CACHE=1 turns it off)',
  },
  // aws-iam-authenticator's global flags (cmd/aws-iam-authenticator/root.go), read so that its
  // entries only change `command`. Its `-v` takes a level: authenticatorArgv rewrites `-v debug`.
  'log-verbosity': {
    type: 'string',
    aliases: [],
    describe:
      "aws-iam-authenticator's log level (also AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY): debug or trace means --verbose",
  },
  'log-format': {
    type: 'string',
    aliases: ['l'],
    describe: "aws-iam-authenticator's log format: accepted and ignored (stderr is text)",
  },
  'feature-gates': {
    type: 'string',
    aliases: [],
    describe: "aws-iam-authenticator's server feature gates: accepted and ignored",
  },
  config: {
    type: 'string',
    aliases: ['c'],
    describe: "aws-iam-authenticator's config file: refused, give its clusterID as --cluster",
  },
} as const satisfies Record<string, FlagSpec>;

type Flags = typeof TOKEN_FLAGS;
export type TokenFlagName = keyof Flags;
export type TokenArgs = {
  [K in TokenFlagName]?: Flags[K]['type'] extends 'boolean'
    ? boolean
    : Flags[K]['type'] extends 'number'
      ? number
      : string;
};

const BY_SPELLING = new Map<string, TokenFlagName>();
for (const [name, spec] of Object.entries(TOKEN_FLAGS) as [TokenFlagName, FlagSpec][]) {
  BY_SPELLING.set(name, name);
  for (const alias of spec.aliases) BY_SPELLING.set(alias, name);
}

/** logrus's level names (ParseLevel, case-insensitive), which aws-iam-authenticator's `-v` takes. */
const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace'];

/**
 * aws-iam-authenticator's `-v` is `--log-verbosity <level>` (cobra: `-v debug`, `-v=debug`,
 * `-vdebug`), eks-auth's `-v` is the boolean --verbose. For `token`, a `-v` carrying one of
 * logrus's level names is rewritten to --log-verbosity before either parser sees it.
 */
export function authenticatorArgv(argv: readonly string[]): string[] {
  if (argv[0] !== 'token') return [...argv];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const attached = arg.startsWith('-v') && arg.length > 2 ? arg.slice(arg[2] === '=' ? 3 : 2) : undefined;
    if (attached !== undefined && isLogLevel(attached)) out.push(`--log-verbosity=${attached}`);
    else if (arg === '-v' && isLogLevel(argv[i + 1])) out.push(`--log-verbosity=${argv[++i]}`);
    else out.push(arg);
  }
  return out;
}

function isLogLevel(value: string | undefined): boolean {
  return value !== undefined && LOG_LEVELS.includes(value.toLowerCase());
}

/** The environment variables aws-iam-authenticator's `token` reads through viper (cmd/aws-iam-authenticator). */
export interface AuthenticatorEnv {
  /** --role: viper.BindEnv("role", "DEFAULT_ROLE") in token.go. */
  DEFAULT_ROLE?: string | undefined;
  /** --cluster-id, in root.go. */
  KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID?: string | undefined;
  /** --log-verbosity, in root.go. */
  AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY?: string | undefined;
}

/**
 * `token`'s flags with aws-iam-authenticator's environment filled in where no flag is given (a
 * flag beats its variable, as with viper). Only `token` reads them: `eks get-token` is the AWS
 * CLI's spelling, and the AWS CLI reads none of them.
 */
export function withAuthenticatorEnv(args: TokenArgs, env: AuthenticatorEnv): TokenArgs {
  const out: TokenArgs = { ...args };
  if (out['role-arn'] === undefined && env.DEFAULT_ROLE) out['role-arn'] = env.DEFAULT_ROLE;
  if (out.cluster === undefined && env.KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID)
    out.cluster = env.KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID;
  if (out['log-verbosity'] === undefined && env.AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY) {
    out['log-verbosity'] = env.AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY;
  }
  return out;
}

/** Whether to trace: --verbose, else aws-iam-authenticator's debug or trace level. */
export function tokenVerbose(args: TokenArgs): boolean {
  if (args.verbose !== undefined) return args.verbose;
  const level = args['log-verbosity']?.toLowerCase();
  return level === 'debug' || level === 'trace';
}

/**
 * Parses `token …`, `eks get-token …` (as in `aws eks get-token`) argv without yargs.
 * Undefined when the invocation is anything else or not plainly well formed.
 */
export function parseTokenArgv(argv: readonly string[]): TokenArgs | undefined {
  const out: Record<string, string | number | boolean> = {};
  if (argv[0] === 'token') return parseFlags(argv, 1, argv.length, out, true) ? (out as TokenArgs) : undefined;
  // `aws eks update-kubeconfig` writes [--region, R, eks, get-token, …]: AWS CLI global options come
  // before the command, so an entry switches to eks-auth by changing only `command`.
  let eks = argv.indexOf('eks');
  while (eks !== -1 && argv[eks + 1] !== 'get-token') eks = argv.indexOf('eks', eks + 1);
  if (eks === -1) return undefined;
  // yargs reads the words before `eks get-token` without the command's flag types, so a boolean
  // flag there takes `eks` as its value: leave those invocations to yargs, which reports them.
  if (!parseFlags(argv, 0, eks, out, false) || !parseFlags(argv, eks + 2, argv.length, out, true)) return undefined;
  return out as TokenArgs;
}

/** Parses argv[start, end) as flags into `out`; false when anything is not a plainly valid flag. */
function parseFlags(
  argv: readonly string[],
  start: number,
  end: number,
  out: Record<string, string | number | boolean>,
  booleans: boolean,
): boolean {
  for (let i = start; i < end; i++) {
    const arg = argv[i] as string;
    let spelling: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      spelling = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (eq !== -1) inline = arg.slice(eq + 1);
    } else if (arg.length === 2 && arg[0] === '-' && arg[1] !== '-') {
      spelling = arg.slice(1);
    } else {
      return false;
    }
    let name = BY_SPELLING.get(spelling);
    // `--no-X` negates the boolean flag X, as yargs reads it.
    const negated = name === undefined && spelling.startsWith('no-') ? BY_SPELLING.get(spelling.slice(3)) : undefined;
    if (negated !== undefined && TOKEN_FLAGS[negated].type === 'boolean') name = negated;
    if (!name) return false;
    const spec: FlagSpec = TOKEN_FLAGS[name];
    if (spec.type === 'boolean') {
      if (!booleans) return false;
      if (name === negated) {
        if (inline !== undefined) return false;
        out[name] = false;
        continue;
      }
      if (inline === undefined) out[name] = true;
      else if (inline === 'true' || inline === 'false') out[name] = inline === 'true';
      else return false;
      continue;
    }
    const value = inline ?? (i + 1 < end ? argv[++i] : undefined);
    // A separate value that starts with `-` (even a lone `-`) is a flag or positional to yargs: leave it to yargs.
    if (value === undefined || (inline === undefined && value.startsWith('-'))) return false;
    if (spec.choices && !spec.choices.includes(value)) return false;
    if (spec.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) return false;
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return true;
}

export interface TokenCommandOptions extends AwsInput {
  clusterId: string;
  output: 'json' | 'token';
  verbose: boolean;
}

/** Checks what the parsers cannot (required flags, ranges, conflicts) and names the fields for the use case. */
export function toTokenOptions(args: TokenArgs): TokenCommandOptions {
  if (!args.cluster) {
    throw new EksAuthError(ExitCode.usage, 'missing required flag --cluster', {
      hint: 'eks-auth token --cluster <name> [--region <region>] (aliases: --cluster-name, -i/--cluster-id)',
      reason: 'usage',
    });
  }
  if (args.config !== undefined) {
    throw new EksAuthError(ExitCode.usage, '--config (an aws-iam-authenticator config file) is not read by eks-auth', {
      hint: 'give its clusterID as --cluster <id>, and its role (if any) as --role-arn <arn>',
      reason: 'usage',
    });
  }
  if (args['log-verbosity'] !== undefined && !isLogLevel(args['log-verbosity'])) {
    throw new EksAuthError(
      ExitCode.usage,
      `--log-verbosity (or AWS_IAM_AUTHENTICATOR_LOG_VERBOSITY) must be one of ${LOG_LEVELS.join(', ')}`,
      {
        hint: 'in eks-auth, --verbose (-v) turns tracing on',
        reason: 'usage',
      },
    );
  }
  const tokenOnly = args['token-only'] === true || args.output === 'token';
  const options: TokenCommandOptions = {
    clusterId: args.cluster,
    output: tokenOnly ? 'token' : 'json',
    verbose: tokenVerbose(args),
  };
  return { ...toAwsInput(args), ...options };
}

/** The credential flags every command shares (`--region`, `--profile`, `--role-arn`, …), checked. */
export function toAwsInput(
  args: Pick<
    TokenArgs,
    'region' | 'profile' | 'role-arn' | 'external-id' | 'session-name' | 'forward-session-name' | 'duration'
  >,
): AwsInput {
  if (args['forward-session-name'] === true && args['session-name']) {
    // aws-iam-authenticator refuses the pair too (token.go).
    throw new EksAuthError(ExitCode.usage, '--forward-session-name and --session-name cannot both be given', {
      hint: "keep one: --session-name <name> names the session, --forward-session-name reuses the caller's own",
      reason: 'usage',
    });
  }
  if (
    args.duration !== undefined &&
    (!Number.isInteger(args.duration) || args.duration < 900 || args.duration > 43200)
  ) {
    const given = Number.isNaN(args.duration) ? 'a number' : `${args.duration}`;
    throw new EksAuthError(
      ExitCode.usage,
      `--duration must be a whole number of seconds from 900 to 43200, not ${given}`,
      { reason: 'usage' },
    );
  }
  if (!args['role-arn'] && (args['external-id'] || args['session-name'] || args.duration !== undefined)) {
    throw new EksAuthError(
      ExitCode.usage,
      '--external-id, --session-name and --duration apply to --role-arn, which is not given',
      {
        hint: 'add --role-arn <arn>, or set these in the profile (external_id, role_session_name, duration_seconds)',
        reason: 'usage',
      },
    );
  }
  const input: AwsInput = {};
  if (args.region) input.region = args.region;
  if (args.profile) input.profile = args.profile;
  if (args['role-arn']) input.roleArn = args['role-arn'];
  if (args['external-id']) input.externalId = args['external-id'];
  if (args['session-name']) input.sessionName = args['session-name'];
  // Without a role there is no session to name: ignored, as aws-iam-authenticator ignores it.
  if (args['role-arn'] && args['forward-session-name'] === true) input.forwardSessionName = true;
  if (args.duration !== undefined) input.durationSeconds = args.duration;
  return input;
}
