/**
 * The AWS identity a kubeconfig context signs in as: its user's exec entry (`eks-auth token`,
 * `aws eks get-token` or `aws-iam-authenticator token`) read back into the AWS settings it uses.
 * `explain --from-cluster --context C` explains that identity, the one kubectl presents to the
 * cluster, instead of whatever the shell's AWS settings resolve to.
 */
import { isRecord } from '../util/is-record';
import { recogniseExec } from './exec-entry';
import { currentContext, findEntry, type KubeconfigFile } from './kubeconfig-file';

/** The AWS settings of a context's user, as `eks-auth token` would use them. */
interface ContextAws {
  profile?: string;
  region?: string;
  roleArn?: string;
  sessionName?: string;
  externalId?: string;
}

export type ContextIdentity =
  | { context: string; user: string; aws: ContextAws }
  | { context: string | undefined; user?: string; why: string };

/** kubectl merges KUBECONFIG files first-wins: the first file that defines an entry is the one used. */
function firstEntry(
  files: readonly KubeconfigFile[],
  kind: 'contexts' | 'users',
  name: string,
): Record<string, unknown> | undefined {
  for (const file of files) {
    const entry = findEntry(file, kind, name);
    if (entry) return entry;
  }
  return undefined;
}

/** Reads `eks-auth token` arguments and env back into settings (both spellings of each flag). */
function eksAuthSettings(args: readonly string[], env: unknown): ContextAws {
  const out: ContextAws = {};
  const flags: Record<string, keyof ContextAws> = {
    '--region': 'region',
    '--role-arn': 'roleArn',
    '-r': 'roleArn',
    '--session-name': 'sessionName',
    '--external-id': 'externalId',
    '--profile': 'profile',
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = flags[name];
    if (!key) continue;
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value !== undefined) out[key] = value;
  }
  if (Array.isArray(env)) {
    for (const e of env) {
      if (isRecord(e) && e.name === 'AWS_PROFILE' && typeof e.value === 'string' && out.profile === undefined)
        out.profile = e.value;
    }
  }
  return out;
}

/**
 * The identity of `contextName` (default: the current context, as kubectl picks it) in the merged
 * files. `why` says when it cannot be told: no such context, no user, or a user that is not an
 * EKS token exec entry.
 */
export function contextIdentity(files: readonly KubeconfigFile[], contextName?: string): ContextIdentity {
  const name = contextName ?? files.map(currentContext).find((c) => c !== undefined);
  if (!name) return { context: undefined, why: 'no current context is set' };
  const context = firstEntry(files, 'contexts', name);
  const userName =
    isRecord(context?.context) && typeof context.context.user === 'string' ? context.context.user : undefined;
  if (!context) return { context: name, why: `there is no context named ${name}` };
  if (!userName) return { context: name, why: `context ${name} names no user` };
  const user = firstEntry(files, 'users', userName);
  const exec = isRecord(user?.user) ? user.user.exec : undefined;
  if (!isRecord(exec) || typeof exec.command !== 'string') {
    return {
      context: name,
      user: userName,
      why: `user ${userName} of context ${name} does not sign in with an exec plugin`,
    };
  }
  let args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  let command = exec.command.split(/[\\/]/).pop() ?? '';
  // `node /path/to/eks-auth.js token …`, as written for a kubectl without node on its PATH.
  if (/^node(\.exe)?$/.test(command) && /(^|[\\/])eks-auth(\.js)?$/.test(args[0] ?? '')) {
    command = 'eks-auth';
    args = args.slice(1);
  }
  if (/^eks-auth(\.js|\.exe)?$/.test(command) && args[0] === 'token') {
    return { context: name, user: userName, aws: eksAuthSettings(args.slice(1), exec.env) };
  }
  const recognised = recogniseExec(exec);
  if (!recognised || 'unsupported' in recognised) {
    return {
      context: name,
      user: userName,
      why: `user ${userName} of context ${name} runs ${command}, which is not an EKS token command`,
    };
  }
  const s = recognised.settings;
  const aws: ContextAws = {};
  if (s.profile) aws.profile = s.profile;
  if (s.region) aws.region = s.region;
  if (s.roleArn) aws.roleArn = s.roleArn;
  if (s.sessionName) aws.sessionName = s.sessionName;
  if (s.externalId) aws.externalId = s.externalId;
  return { context: name, user: userName, aws };
}
