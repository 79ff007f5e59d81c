/**
 * `eks-auth kubeconfig`: writes the cluster, user and context entries for an EKS cluster, with a
 * user that runs `eks-auth token`. Entry names are compatible with `aws eks update-kubeconfig`
 * (the cluster ARN), so running it over entries that command wrote replaces them in place.
 */
import type { ClusterLookupInput } from '../types';
import { findProfile, loadAwsConfigFiles } from '../aws/config';
import { selectProfile } from '../aws/profile-chain';
import { resolveRegion } from '../aws/settings';
import { EksAuthError, ExitCode } from '../errors';
import { buildExecConfig, type EksExecSettings } from '../kube/exec-entry';
import { isRecord } from '../util/is-record';
import {
  chooseKubeconfig,
  currentContextFile,
  findEntry,
  kubeconfigPaths,
  loadKubeconfigs,
  readKubeconfig,
  serializeKubeconfig,
  setCurrentContext,
  setEntry,
  setEntryBody,
  withKubeconfigLock,
  writeKubeconfigFile,
  warnAboutExtraDocuments,
  type Change,
  type KubeconfigFile,
} from '../kube/kubeconfig-file';
import type { Deps, LookupCluster } from '../ports';

export interface KubeconfigInput {
  cluster: string;
  region?: string;
  profile?: string;
  roleArn?: string;
  sessionName?: string;
  externalId?: string;
  /** Names the context (and the user, unless `userAlias`); default: the cluster ARN. */
  alias?: string;
  userAlias?: string;
  /** `--kubeconfig`: the one file to edit. */
  kubeconfig?: string;
  dryRun?: boolean;
  /** Set current-context (default true; `--no-switch`). */
  switchContext?: boolean;
  /** `--server` with `--certificate-authority` or `--ca-data`: no DescribeCluster call. */
  server?: string;
  certificateAuthorityFile?: string;
  caData?: string;
  /** The absolute path of the eks-auth executable (`--absolute-command`), or `kubectl`; default `eks-auth`. */
  absoluteCommand?: string;
  /** Arguments before `token`: [`eks-auth`] for the kubectl plugin, [script] for node. */
  launchArgs?: string[];
}

export interface KubeconfigDeps extends Pick<Deps, 'env' | 'homedir' | 'files' | 'log'> {
  lookupCluster: LookupCluster;
}

/** What the cluster entry gets, from EKS or from the command line. */
interface ClusterFacts {
  entryName: string;
  tokenCluster: string;
  region: string;
  server: string;
  caData: string;
}

/** The flags whose values are written into the kubeconfig, by input field. */
const WRITTEN_FLAGS: Partial<Record<keyof KubeconfigInput, string>> = {
  cluster: '--cluster',
  region: '--region',
  profile: '--profile',
  roleArn: '--role-arn',
  sessionName: '--session-name',
  externalId: '--external-id',
  alias: '--alias',
  userAlias: '--user-alias',
  server: '--server',
  caData: '--ca-data',
  absoluteCommand: 'the eks-auth path',
};

/**
 * Refuses control characters (C0, DEL, C1) in a value written into a kubeconfig: YAML would escape
 * them, but they make names no one can type, and they reach terminals through `kubectl config`.
 */
function refuseControlCharacters(what: string, value: string): void {
  let index = 0;
  while (index < value.length && !isControl(value.charCodeAt(index))) index++;
  if (index === value.length) return;
  const code = `U+${value.charCodeAt(index).toString(16).toUpperCase().padStart(4, '0')}`;
  throw new EksAuthError(
    ExitCode.usage,
    `${what} ${JSON.stringify(value)} contains a control character (${code} at position ${index + 1})`,
    {
      hint: `names written into a kubeconfig must be printable: retype ${what} without it`,
      reason: 'usage',
    },
  );
}

/** C0 controls, DEL and C1 controls (U+0000–U+001F, U+007F–U+009F). */
function isControl(c: number): boolean {
  return c <= 0x1f || (c >= 0x7f && c <= 0x9f);
}

/** Writes (or, with dryRun, prints) the entries. Returns the text for stdout. */
export async function kubeconfig(input: KubeconfigInput, deps: KubeconfigDeps): Promise<string> {
  for (const [field, what] of Object.entries(WRITTEN_FLAGS) as [keyof KubeconfigInput, string][]) {
    const value = input[field];
    if (typeof value === 'string') refuseControlCharacters(what, value);
  }
  if (!input.roleArn && (input.sessionName || input.externalId)) {
    throw new EksAuthError(ExitCode.usage, '--session-name and --external-id apply to --role-arn, which is not given', {
      hint: 'add --role-arn <arn>, or set role_session_name / external_id in the AWS profile',
    });
  }
  // The profile `token` will use (written as AWS_PROFILE in the entry unless it is the default one).
  const selected = selectProfile(input.profile, deps.env);
  if (!input.profile) refuseControlCharacters('AWS_PROFILE', selected.profile);
  const profile = selected.profileFrom === 'default' ? undefined : selected.profile;
  const facts = input.server ? manualFacts(input, selected.profile, deps) : await lookupFacts(input, deps);
  const contextName = input.alias || facts.entryName;
  const userName = input.userAlias || input.alias || facts.entryName;
  const settings: EksExecSettings = { cluster: facts.tokenCluster, region: facts.region };
  if (input.roleArn) settings.roleArn = input.roleArn;
  if (input.sessionName) settings.sessionName = input.sessionName;
  if (input.externalId) settings.externalId = input.externalId;
  if (profile) settings.profile = profile;
  const exec = buildExecConfig(settings, input.absoluteCommand, input.launchArgs);
  const switchContext = input.switchContext !== false;

  const files = loadKubeconfigs(kubeconfigPaths({ explicit: input.kubeconfig, env: deps.env, homedir: deps.homedir }));
  const target = chooseKubeconfig(files, facts.entryName);
  const contextFile = switchContext ? currentContextFile(files, target) : undefined;
  warnAboutShadowing(files, target, userName, contextName, deps);

  const apply = (file: KubeconfigFile, ccFile: KubeconfigFile | undefined) => {
    const changes: Change[] = [
      setEntry(file, 'clusters', clusterEntry(findEntry(file, 'clusters', facts.entryName), facts)),
      setEntryBody(file, 'users', userName, { exec }),
      setEntry(
        file,
        'contexts',
        contextEntry(findEntry(file, 'contexts', contextName), contextName, facts.entryName, userName),
      ),
    ];
    const switched = ccFile ? setCurrentContext(ccFile, contextName) : 'unchanged';
    return { changes, switched };
  };

  if (input.dryRun) {
    warnAboutExtraDocuments(target, deps);
    apply(target, contextFile === target ? target : undefined);
    if (contextFile && contextFile !== target) {
      deps.log.warn(`current-context would be set to ${contextName} in ${contextFile.path}, which kubectl reads first`);
    }
    return serializeKubeconfig(target);
  }

  const lockPaths = [target.path, ...(contextFile ? [contextFile.path] : [])];
  return withKubeconfigLock(lockPaths, () => {
    // Re-read under the lock: another writer may have finished in between.
    const fresh = readKubeconfig(target.path);
    warnAboutExtraDocuments(fresh, deps);
    const freshCc =
      contextFile === undefined ? undefined : contextFile === target ? fresh : readKubeconfig(contextFile.path);
    const { changes, switched } = apply(fresh, freshCc);
    const entriesChanged = changes.some((c) => c !== 'unchanged');
    const lines: string[] = [];
    if (entriesChanged || (switched !== 'unchanged' && freshCc === fresh))
      writeKubeconfigFile(fresh.path, serializeKubeconfig(fresh));
    if (freshCc && freshCc !== fresh && switched !== 'unchanged')
      writeKubeconfigFile(freshCc.path, serializeKubeconfig(freshCc));
    if (!entriesChanged) lines.push(`Context ${contextName} in ${fresh.path} is up to date`);
    else lines.push(`${changes[2] === 'added' ? 'Added' : 'Updated'} context ${contextName} in ${fresh.path}`);
    if (freshCc && switched !== 'unchanged' && (freshCc !== fresh || !entriesChanged)) {
      lines.push(`Switched current-context to ${contextName} in ${freshCc.path}`);
    }
    return lines.join('\n');
  });
}

async function lookupFacts(input: KubeconfigInput, deps: KubeconfigDeps): Promise<ClusterFacts> {
  const aws: ClusterLookupInput = {};
  if (input.profile) aws.profile = input.profile;
  if (input.region) aws.region = input.region;
  // DescribeCluster runs as the identity the token will use: with a cross-account role the
  // cluster is only visible to the role.
  if (input.roleArn) aws.roleArn = input.roleArn;
  if (input.externalId) aws.externalId = input.externalId;
  if (input.sessionName) aws.sessionName = input.sessionName;
  const { cluster, region } = await deps.lookupCluster(input.cluster, aws);
  const where = `cluster "${input.cluster}" in ${region}`;
  if (cluster.status !== 'ACTIVE' && cluster.status !== 'UPDATING') {
    const waiting = cluster.status === 'CREATING' || cluster.status === 'PENDING';
    throw new EksAuthError(ExitCode.config, `${where} is ${cluster.status}, not ACTIVE`, {
      hint: waiting
        ? `wait until it is active (aws eks wait cluster-active --name ${input.cluster} --region ${region}), then run this again`
        : `it cannot serve requests; see aws eks describe-cluster --name ${input.cluster} --region ${region}`,
      reason: 'cluster-not-active',
    });
  }
  if (!cluster.endpoint || !cluster.certificateAuthorityData) {
    throw new EksAuthError(ExitCode.config, `EKS returned no endpoint or certificate authority for ${where}`, {
      hint: 'pass --server and --ca-data (or --certificate-authority) to write the entry without the lookup',
      reason: 'cluster-incomplete',
    });
  }
  return {
    entryName: cluster.arn,
    // `aws eks get-token` binds tokens for local clusters on Outposts to the cluster id.
    tokenCluster: cluster.isLocalCluster && cluster.id ? cluster.id : cluster.name,
    region,
    server: cluster.endpoint,
    caData: cluster.certificateAuthorityData,
  };
}

/** `profile`: the profile in effect (selectProfile), whose region applies when --region is not given. */
function manualFacts(input: KubeconfigInput, profile: string, deps: KubeconfigDeps): ClusterFacts {
  const server = input.server ?? '';
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:' || url.username !== '' || url.password !== '') {
    // A URL with userinfo may carry a password: never repeat it, never write it to the kubeconfig.
    const shown = server.includes('@') ? 'given' : server;
    throw new EksAuthError(ExitCode.usage, `--server ${shown} is not an https:// URL without a user name or password`, {
      hint: 'pass the cluster endpoint, as `aws eks describe-cluster --query cluster.endpoint` shows it',
    });
  }
  let caData: string;
  if (input.caData !== undefined) {
    caData = input.caData.replace(/\s+/g, '');
    checkCaPem(
      Buffer.from(caData, 'base64').toString('utf8'),
      '--ca-data',
      'pass base64 of the PEM certificate, as `aws eks describe-cluster --query cluster.certificateAuthority.data` shows it',
    );
  } else if (input.certificateAuthorityFile !== undefined) {
    const file = input.certificateAuthorityFile;
    const pem = deps.files.readText(file);
    if (pem === undefined) {
      throw new EksAuthError(ExitCode.config, `certificate authority file ${file} does not exist`, {
        hint: 'pass the PEM file of the cluster CA',
      });
    }
    checkCaPem(pem, `certificate authority file ${file}`, 'pass the PEM file of the cluster CA');
    caData = Buffer.from(pem, 'utf8').toString('base64');
  } else {
    throw new EksAuthError(ExitCode.usage, '--server needs --certificate-authority FILE or --ca-data BASE64', {
      hint: 'EKS endpoints use the cluster CA: take it from `aws eks describe-cluster --query cluster.certificateAuthority.data`',
    });
  }
  const awsFiles = loadAwsConfigFiles(deps);
  const region = resolveRegion(input.region, deps.env, findProfile(awsFiles, profile)).region;
  // Without DescribeCluster the ARN is unknown: entries are named after the cluster.
  return { entryName: input.cluster, tokenCluster: input.cluster, region, server, caData };
}

function checkCaPem(pem: string, what: string, hint: string): void {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new EksAuthError(ExitCode.usage, `${what} is not a PEM certificate`, { hint });
  }
}

function clusterEntry(
  existing: Record<string, unknown> | undefined,
  facts: ClusterFacts,
): Record<string, unknown> & { name: string } {
  const body = isRecord(existing?.cluster) ? { ...existing.cluster } : {};
  // kubectl refuses certificate-authority next to -data, and either next to insecure-skip-tls-verify.
  delete body['certificate-authority'];
  delete body['insecure-skip-tls-verify'];
  const cluster = { ...body, 'certificate-authority-data': facts.caData, server: facts.server };
  return existing ? { ...existing, name: facts.entryName, cluster } : { cluster, name: facts.entryName };
}

function contextEntry(
  existing: Record<string, unknown> | undefined,
  name: string,
  cluster: string,
  user: string,
): Record<string, unknown> & { name: string } {
  const context = { ...(isRecord(existing?.context) ? existing.context : {}), cluster, user };
  return existing ? { ...existing, name, context } : { context, name };
}

/** kubectl merges KUBECONFIG first-wins: a same-named entry in an earlier file hides ours. */
function warnAboutShadowing(
  files: KubeconfigFile[],
  target: KubeconfigFile,
  user: string,
  context: string,
  deps: KubeconfigDeps,
): void {
  for (const file of files.slice(0, files.indexOf(target))) {
    if (findEntry(file, 'users', user))
      deps.log.warn(`user ${user} is also defined in ${file.path}, which kubectl reads first: that entry wins`);
    if (findEntry(file, 'contexts', context))
      deps.log.warn(`context ${context} is also defined in ${file.path}, which kubectl reads first: that entry wins`);
  }
}
