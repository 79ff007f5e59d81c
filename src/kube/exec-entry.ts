/**
 * The kubeconfig `users[].user.exec` entry: the one eks-auth writes, and the ones written for
 * `aws eks get-token` (AWS CLI, eksctl, `aws eks update-kubeconfig`) and `aws-iam-authenticator
 * token` (its docs, Terraform modules, kops), recognised in any apiVersion so that `kubeconfig
 * migrate` can translate them.
 */
import { isRecord } from '../util/is-record';

/** The apiVersion eks-auth writes: kubectl 1.22+ understands it; v1alpha1 was removed in 1.24. */
export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1';

/** Shown by kubectl when the command is not found. */
export const INSTALL_HINT = [
  'eks-auth is needed to authenticate to this Amazon EKS cluster. Install it with:',
  '  npm install -g eks-auth',
  'or put the single-file eks-auth binary from its release page on your PATH.',
].join('\n');

interface ExecEnvVar {
  name: string;
  value: string;
}

/** What an EKS exec entry asks for, whichever tool it runs. */
export interface EksExecSettings {
  /** The cluster name, or the cluster id of a local cluster on Outposts: signed as x-k8s-aws-id. */
  cluster: string;
  region?: string;
  roleArn?: string;
  sessionName?: string;
  externalId?: string;
  /** --forward-session-name (aws-iam-authenticator's flag of that name). */
  forwardSessionName?: boolean;
  /** Written as env AWS_PROFILE: where the old entry had it in its env, below any profile flag. */
  profile?: string;
  /**
   * Written as `--profile`: where the old entry passed it as a flag, which beats AWS_PROFILE and
   * ignores keys in the environment (in the AWS CLI and in eks-auth alike).
   */
  profileFlag?: string;
  /** The old entry's interactiveMode, kept when it is one kubectl knows. */
  interactiveMode?: InteractiveMode;
  /** Other env entries, carried over unchanged. */
  env?: ExecEnvVar[];
}

/** The `exec` object of a kubeconfig user, as eks-auth writes it. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env?: ExecEnvVar[];
  interactiveMode: InteractiveMode;
  installHint: string;
}

/** kubectl's exec interactiveMode values (client.authentication.k8s.io). */
type InteractiveMode = 'Never' | 'IfAvailable' | 'Always';
const INTERACTIVE_MODES: readonly string[] = ['Never', 'IfAvailable', 'Always'];

/**
 * Builds the eks-auth exec entry. `command` is `eks-auth` or the absolute path of the executable;
 * `launch` goes before `token` (`kubectl` with [`eks-auth`] runs the kubectl plugin, an absolute
 * node with [the script] runs the JavaScript bundle).
 */
export function buildExecConfig(settings: EksExecSettings, command = 'eks-auth', launch: string[] = []): ExecConfig {
  const args = [...launch, 'token', '--cluster', settings.cluster];
  if (settings.region) args.push('--region', settings.region);
  if (settings.roleArn) args.push('--role-arn', settings.roleArn);
  if (settings.sessionName) args.push('--session-name', settings.sessionName);
  if (settings.externalId) args.push('--external-id', settings.externalId);
  if (settings.forwardSessionName) args.push('--forward-session-name');
  if (settings.profileFlag) args.push('--profile', settings.profileFlag);
  const env: ExecEnvVar[] = [];
  if (settings.profile && !settings.profileFlag) env.push({ name: 'AWS_PROFILE', value: settings.profile });
  for (const entry of settings.env ?? []) {
    if (entry.name !== 'AWS_PROFILE') env.push({ name: entry.name, value: entry.value });
  }
  return {
    apiVersion: EXEC_API_VERSION,
    command,
    args,
    ...(env.length > 0 ? { env } : {}),
    interactiveMode: settings.interactiveMode ?? 'IfAvailable',
    installHint: INSTALL_HINT,
  };
}

type ExecTool = 'aws-cli' | 'aws-iam-authenticator' | 'eks-auth';

/** A recognised EKS exec entry: its settings, or why it cannot be translated. */
export type RecognisedExec =
  | { tool: ExecTool; apiVersion: string; settings: EksExecSettings; notes: string[] }
  | { tool: ExecTool; apiVersion: string; unsupported: string };

/**
 * Recognises an exec entry that gets an EKS token. Undefined for anything else (OIDC plugins,
 * gke-gcloud-auth-plugin, a wrapper script): those are not ours to touch.
 */
export function recogniseExec(exec: unknown): RecognisedExec | undefined {
  if (!isRecord(exec) || typeof exec.command !== 'string') return undefined;
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const apiVersion = typeof exec.apiVersion === 'string' ? exec.apiVersion : '';
  const env = readEnv(exec.env);
  const name = baseName(exec.command);
  // interactiveMode: Never says the user must not be prompted (an IDE, a CI job): keep it.
  const mode =
    typeof exec.interactiveMode === 'string' && INTERACTIVE_MODES.includes(exec.interactiveMode)
      ? (exec.interactiveMode as InteractiveMode)
      : undefined;
  if (name === 'aws') return withVersion(recogniseAwsCli(args, env), apiVersion, mode);
  if (name === 'aws-iam-authenticator' || name === 'heptio-authenticator-aws') {
    return withVersion(recogniseAuthenticator(args, env), apiVersion, mode);
  }
  if ((name === 'eks-auth' || name === 'kubectl-eks_auth') && args[0] === 'token')
    return { tool: 'eks-auth', apiVersion, unsupported: 'already eks-auth' };
  // The kubectl plugin: `kubectl eks-auth token …`.
  if (name === 'kubectl' && args[0] === 'eks-auth' && args[1] === 'token')
    return { tool: 'eks-auth', apiVersion, unsupported: 'already eks-auth' };
  return undefined;
}

/** One line for summaries: `AWS_PROFILE=dev aws --region r eks get-token … (…/v1beta1)`. */
export function describeExec(exec: unknown): string {
  if (!isRecord(exec)) return '(no exec entry)';
  const env = readEnv(exec.env).map((e) => `${e.name}=${quoteWord(e.value)}`);
  const args = Array.isArray(exec.args) ? exec.args.map((a) => quoteWord(String(a))) : [];
  const words = [...env, quoteWord(String(exec.command ?? '')), ...args];
  const version = typeof exec.apiVersion === 'string' ? exec.apiVersion : 'no apiVersion';
  return `${words.join(' ')} (${version})`;
}

type Recognised =
  | Omit<Extract<RecognisedExec, { settings: EksExecSettings }>, 'apiVersion'>
  | Omit<Extract<RecognisedExec, { unsupported: string }>, 'apiVersion'>;

function withVersion(
  r: Recognised | undefined,
  apiVersion: string,
  mode: InteractiveMode | undefined,
): RecognisedExec | undefined {
  if (r === undefined) return undefined;
  if ('settings' in r && mode) r.settings.interactiveMode = mode;
  return { ...r, apiVersion } as RecognisedExec;
}

// AWS CLI global options that do not change the token, with whether they take a value.
const AWS_IGNORED_OPTIONS: Record<string, boolean> = {
  '--output': true,
  '--color': true,
  '--query': true,
  '--cli-read-timeout': true,
  '--cli-connect-timeout': true,
  '--debug': false,
  '--no-paginate': false,
  '--no-cli-pager': false,
  '--no-cli-auto-prompt': false,
  // get-token builds its STS client from the region alone (awscli customizations/eks/get_token.py,
  // STSClientFactory.get_sts_client): --endpoint-url never reached the token. Noted when dropped.
  '--endpoint-url': true,
};

/** `aws [globals] eks get-token --cluster-name N|--cluster-id I [--role-arn A]`, as the AWS CLI parses it. */
function recogniseAwsCli(args: string[], env: ExecEnvVar[]): Recognised | undefined {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  const notes: string[] = [];
  // Global options come before `eks`: an unknown one there must not hide a get-token entry.
  const getToken = args.some((arg, i) => arg === 'eks' && args[i + 1] === 'get-token');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let option = eq > 0 ? arg.slice(0, eq) : arg;
    // argparse accepts unambiguous prefixes; `aws eks update-kubeconfig` itself writes `--role`.
    if (option === '--role') option = '--role-arn';
    if (option in AWS_IGNORED_OPTIONS) {
      if (AWS_IGNORED_OPTIONS[option] && eq < 0) i++;
      if (option === '--endpoint-url') {
        notes.push(
          '--endpoint-url dropped: aws eks get-token never used it for STS (set AWS_ENDPOINT_URL_STS for a local STS)',
        );
      }
      continue;
    }
    if (!['--region', '--profile', '--cluster-name', '--cluster-id', '--role-arn'].includes(option)) {
      if (!getToken) return undefined;
      return { tool: 'aws-cli', unsupported: `option ${option} has no eks-auth equivalent` };
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) return { tool: 'aws-cli', unsupported: `option ${option} has no value` };
    values[option] = value;
  }
  if (positional[0] !== 'eks' || positional[1] !== 'get-token') return undefined;
  if (positional.length > 2) return { tool: 'aws-cli', unsupported: `unexpected argument ${positional[2]}` };
  if (values['--cluster-id'] && values['--cluster-name']) {
    // get-token refuses the pair (validate_mutually_exclusive): the entry never worked.
    return { tool: 'aws-cli', unsupported: 'both --cluster-name and --cluster-id' };
  }
  const cluster = values['--cluster-id'] ?? values['--cluster-name'];
  if (!cluster) return { tool: 'aws-cli', unsupported: 'no --cluster-name or --cluster-id' };
  const settings: EksExecSettings = { cluster };
  if (values['--region']) settings.region = values['--region'];
  if (values['--role-arn']) settings.roleArn = values['--role-arn'];
  // The AWS CLI ranks --profile above AWS_PROFILE and then ignores environment keys: a flag stays a
  // flag, so that keys left in the entry's env do not win over it.
  const profile = env.find((e) => e.name === 'AWS_PROFILE')?.value;
  if (values['--profile']) settings.profileFlag = values['--profile'];
  else if (profile) settings.profile = profile;
  const rest = env.filter((e) => e.name !== 'AWS_PROFILE');
  if (rest.length > 0) settings.env = rest;
  return { tool: 'aws-cli', settings, notes };
}

/** aws-iam-authenticator's token flags (pflag syntax: `-i X`, `-iX`, `-i=X`, `--cluster-id=X`). */
const AUTHENTICATOR_FLAGS: Record<string, { key: string; value: boolean }> = {
  '-i': { key: 'cluster', value: true },
  '--cluster-id': { key: 'cluster', value: true },
  '-r': { key: 'role', value: true },
  '--role': { key: 'role', value: true },
  '-e': { key: 'externalId', value: true },
  '--external-id': { key: 'externalId', value: true },
  '-s': { key: 'sessionName', value: true },
  '--session-name': { key: 'sessionName', value: true },
  '--region': { key: 'region', value: true },
  '--cache': { key: 'cache', value: false },
  '--forward-session-name': { key: 'forwardSessionName', value: false },
  '--token-only': { key: 'tokenOnly', value: false },
  '-c': { key: 'config', value: true },
  '--config': { key: 'config', value: true },
  '-l': { key: 'ignored', value: true },
  '--log-format': { key: 'ignored', value: true },
  '-v': { key: 'ignored', value: true },
  '--log-verbosity': { key: 'ignored', value: true },
  '--feature-gates': { key: 'ignored', value: true },
};

function recogniseAuthenticator(args: string[], env: ExecEnvVar[]): Recognised | undefined {
  const tool = 'aws-iam-authenticator';
  const values: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    let flag: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      flag = eq > 0 ? arg.slice(0, eq) : arg;
      inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    } else {
      flag = arg.slice(0, 2);
      const rest = arg.slice(2);
      inline = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
    }
    const spec = AUTHENTICATOR_FLAGS[flag];
    if (!spec) {
      if (positional[0] !== 'token') return undefined;
      return { tool, unsupported: `flag ${flag} has no eks-auth equivalent` };
    }
    let value: string | undefined;
    if (spec.value) {
      value = inline ?? args[++i];
      if (value === undefined) return { tool, unsupported: `flag ${flag} has no value` };
    } else {
      value = inline ?? 'true';
    }
    values[spec.key] = value;
  }
  if (positional[0] !== 'token') return undefined;
  if (positional.length > 1) return { tool, unsupported: `unexpected argument ${positional[1]}` };
  if (values.config !== undefined)
    return { tool, unsupported: `--config ${values.config} (settings in a config file)` };
  if (values.tokenOnly === 'true') return { tool, unsupported: '--token-only does not print an ExecCredential' };
  // Flags win over the environment variables aws-iam-authenticator also reads (viper precedence).
  const fromEnv = (name: string): string | undefined => env.find((e) => e.name === name)?.value;
  const cluster = values.cluster ?? fromEnv('KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID');
  if (!cluster) return { tool, unsupported: 'no cluster id (-i)' };
  const settings: EksExecSettings = { cluster };
  const role = values.role ?? fromEnv('DEFAULT_ROLE');
  if (values.region) settings.region = values.region;
  if (role) settings.roleArn = role;
  const notes: string[] = [];
  const forward = values.forwardSessionName !== undefined && values.forwardSessionName !== 'false';
  if (role) {
    // aws-iam-authenticator refuses --forward-session-name with --session-name (token.go).
    if (forward && values.sessionName) return { tool, unsupported: 'both --forward-session-name and --session-name' };
    if (forward) settings.forwardSessionName = true;
    if (values.sessionName) settings.sessionName = values.sessionName;
    if (values.externalId) settings.externalId = values.externalId;
  } else if (values.sessionName || values.externalId) {
    // aws-iam-authenticator uses them only to assume a role; eks-auth refuses them without one.
    notes.push('--session-name and --external-id dropped: without a role (-r) they had no effect');
  }
  const profile = fromEnv('AWS_PROFILE');
  if (profile) settings.profile = profile;
  const translated = new Set(['AWS_PROFILE', 'KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID', 'DEFAULT_ROLE']);
  const rest = env.filter((e) => !translated.has(e.name));
  if (rest.length > 0) settings.env = rest;
  if (values.cache !== undefined && values.cache !== 'false') notes.push('--cache is not carried over');
  return { tool, settings, notes };
}

function readEnv(env: unknown): ExecEnvVar[] {
  if (!Array.isArray(env)) return [];
  const out: ExecEnvVar[] = [];
  for (const entry of env) {
    if (isRecord(entry) && typeof entry.name === 'string')
      out.push({ name: entry.name, value: String(entry.value ?? '') });
  }
  return out;
}

function baseName(command: string): string {
  const last = command.split(/[\\/]/).pop() ?? command;
  return last.replace(/\.(exe|cmd|bat)$/i, '');
}

function quoteWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
