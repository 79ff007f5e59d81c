/**
 * `eks-auth doctor`: follows one kubeconfig context from the file to the cluster, link by link, the
 * way kubectl and EKS would, and stops at the first link that is broken:
 *
 *   kubeconfig → credentials → token → clock → sts → cluster-name → authentication → mapping → authorization
 *
 * Every link reports one step (ok, failed, skipped, warning) with what was checked and, when it
 * failed, the fix. The exec entry may run eks-auth, `aws eks get-token` or aws-iam-authenticator:
 * its arguments and env are taken as kubectl would run them, and the token is made here exactly
 * as `eks-auth token` makes it.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { describePlan } from '../aws/profile-chain';
import { resolveAwsContext, type AwsContext, type AwsInput } from '../aws/resolve';
import { CLOCK_HINT, clockSkew, describeClockSkew } from '../aws/clock-skew';
import type { EksCluster } from '../types';
import { EksAuthError, ExitCode, isEksAuthError } from '../errors';
import { recogniseExec } from '../kube/exec-entry';
import {
  currentContext,
  kubeconfigPaths,
  listEntries,
  loadKubeconfigs,
  type KubeconfigFile,
} from '../kube/kubeconfig-file';
import { isRecord } from '../util/is-record';
import type { AwsCredentials, Deps, Env } from '../ports';
import { profileName } from '../util/quote';
import { encodeToken, MAX_TOKEN_BYTES } from '../token/encode';
import { presignGetCallerIdentity } from '../token/presign';
import type { HttpGet } from '../ports';
import type { KubeApiPort } from '../kube/api-request';
import { stsEndpointHost, verify, type VerifyReport } from './verify';
import { notMappedError, type ExplainReport } from './explain';
import type { EksEndpoint } from '../aws/endpoint';
import type { HttpSettings } from '../types';

/** The links, in the order they are checked (the `--json` contract names them so). */
export const DOCTOR_STEPS = [
  'kubeconfig',
  'credentials',
  'token',
  'clock',
  'sts',
  'cluster-name',
  'authentication',
  'mapping',
  'authorization',
] as const;
type DoctorStepName = (typeof DOCTOR_STEPS)[number];

type StepStatus = 'ok' | 'failed' | 'skipped' | 'warning';

interface DoctorStep {
  step: DoctorStepName;
  status: StepStatus;
  message: string;
  hint: string | null;
}

/** The `--json` contract: `{context, ok, brokenLink, steps}`. */
export interface DoctorReport {
  context: string | null;
  ok: boolean;
  brokenLink: DoctorStepName | null;
  steps: DoctorStep[];
}

export interface DoctorInput {
  /** The context to check; default the current context. */
  context?: string;
  /** One kubeconfig file instead of KUBECONFIG / ~/.kube/config, as kubectl's --kubeconfig. */
  kubeconfig?: string;
  /** Where the authorization link checks; default the context's namespace, else `default` (kubectl's rule). */
  namespace?: string;
  /** With `resource`: the request to check, as `kubectl auth can-i VERB RESOURCE`; default `list pods`. */
  verb?: string;
  resource?: string;
  /** A copy of kube-system/aws-auth for the mapping link (a 401 caller cannot read the cluster's). */
  awsAuthFile?: string;
  /** May credential resolution prompt (MFA)? As kubectl's interactiveMode would allow from this terminal. */
  interactive?: boolean;
}

/** What the mapping link asks the explain use case. */
export interface DoctorExplainRequest {
  /** The caller as STS answered it. */
  arn: string;
  accessKeyId: string;
  sessionName?: string;
  /** The cluster the exec entry names, and its region. */
  cluster: string;
  region: string;
  credentials: AwsCredentials;
  /** AWS_ENDPOINT_URL_EKS as the exec entry's settings resolve it, for the access-entry reads. */
  eksEndpoint?: string;
  /** Where aws-auth is: a file the user gave, else the cluster through this context. */
  awsAuthFile?: string;
  kubeconfig?: string;
  context: string;
}

/** The verdict of explain, reduced to what the mapping link prints. */
export interface DoctorExplainVerdict {
  mapped: boolean;
  /** `mapped by mapRoles entry 2 as alice`, or why nothing matched. */
  message: string;
  /** The entry that came closest, in words. */
  nearMiss?: string;
  hint?: string;
}

/** An EKS access policy association, as ListAssociatedAccessPolicies returns it. */
export interface AccessPolicyAssociation {
  policyArn: string;
  accessScope: { type: 'cluster' | 'namespace'; namespaces?: string[] };
}

export interface DoctorDeps extends Deps {
  /** Where kubectl would find `command` (exec.LookPath on PATH), or undefined. */
  findCommand(command: string): string | undefined;
  /** Reads an `eks-auth token …` argument list as the token command does; throws EksAuthError(usage). */
  parseTokenArgs(args: readonly string[]): AwsInput & { clusterId: string };
  /** The `Date` header of an HTTP answer from this origin; rejects when none came. */
  serverDate(url: string): Promise<string | undefined>;
  /** The verifier's STS call (verify use case). */
  httpGet: HttpGet;
  describeCluster(
    name: string,
    aws: {
      region: string;
      credentials: AwsCredentials;
      endpoint?: string;
      resolved?: EksEndpoint;
      http?: HttpSettings;
    },
  ): Promise<EksCluster>;
  kubeApi: KubeApiPort;
  /** The explain use case behind a narrow interface. */
  explain(request: DoctorExplainRequest): Promise<DoctorExplainVerdict>;
  /** The access policies associated with the caller's access entry; undefined when they cannot be read. */
  accessPolicies?(request: DoctorExplainRequest): Promise<AccessPolicyAssociation[] | undefined>;
}

/** A skew beyond this is a broken link: STS refuses a presigned URL 15 minutes after its X-Amz-Date. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const EXEC_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
const INTERACTIVE_MODES = ['Never', 'IfAvailable', 'Always'];

class Broken extends Error {
  constructor(
    readonly step: DoctorStepName,
    message: string,
    readonly hint: string | null,
  ) {
    super(message);
  }
}

/** What the kubeconfig link found: enough for every later link. */
interface ContextFacts {
  name: string;
  namespace: string;
  server: string;
  caPem?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  aws: AwsInput & { clusterId: string };
  env: Env;
  description: string;
}

/** Runs every link in order. Never throws for a broken link: the report says which one. */
export async function doctor(input: DoctorInput, deps: DoctorDeps): Promise<DoctorReport> {
  if ((input.verb === undefined) !== (input.resource === undefined)) {
    throw new EksAuthError(ExitCode.usage, '--verb and --resource go together', {
      hint: 'e.g. --verb get --resource deployments.apps; without both, doctor checks whether you may list pods',
      reason: 'usage',
    });
  }
  const steps: DoctorStep[] = [];
  const ok = (step: DoctorStepName, message: string, status: StepStatus = 'ok', hint: string | null = null) =>
    steps.push({ step, status, message, hint });
  let contextName: string | null = input.context ?? null;
  let broken: DoctorStepName | null = null;
  try {
    const facts = readContext(input, deps);
    contextName = facts.name;
    ok('kubeconfig', `context ${facts.name}: server ${facts.server}, ${facts.description}`);

    const runDeps: Deps = { ...deps, env: facts.env };
    const aws = await checkCredentials(facts, input, runDeps);
    ok(
      'credentials',
      `${describePlan(aws.plan)}; ${profileName(aws.plan.profile)} (from ${aws.plan.profileFrom}), region ${aws.region.region} (from ${aws.region.source})`,
    );

    const token = makeToken(facts, aws, deps);
    ok(
      'token',
      `signed for cluster ${facts.aws.clusterId} at ${aws.stsEndpoint.host}, ${token.length} bytes (EKS accepts up to ${MAX_TOKEN_BYTES})`,
    );

    const clock = await checkClock(aws.stsEndpoint.url, deps);
    ok('clock', clock.message, clock.status, clock.hint);

    const identity = await checkSts(token, facts, aws, deps);
    ok(
      'sts',
      `STS accepts the token for cluster ${facts.aws.clusterId}: ${identity.arn} (account ${identity.account})`,
    );

    const cluster = await checkClusterName(facts, aws, deps);
    ok('cluster-name', cluster.message, cluster.status, cluster.hint);

    const auth = await checkAuthentication(facts, token, deps);
    if (auth.kind === 'unauthorized') {
      steps.push({
        step: 'authentication',
        status: 'failed',
        message: `the API server at ${facts.server} answers 401 Unauthorized, although STS accepts the token for ${facts.aws.clusterId}`,
        hint: 'the identity is not mapped to a Kubernetes user: see the mapping step',
      });
      broken = 'authentication';
      const mapping = await checkMapping(facts, identity, aws, input, deps);
      steps.push({ step: 'mapping', ...mapping });
      if (mapping.status === 'failed') broken = 'mapping';
    } else {
      ok('authentication', auth.message, auth.status, auth.hint);
      ok(
        'mapping',
        auth.username === undefined
          ? 'the API server authenticates the caller'
          : `the cluster maps ${identity.canonicalArn} to ${auth.username}`,
      );
      const authz = await checkAuthorization(facts, token, input, identity, aws, deps);
      ok('authorization', authz.message, authz.status, authz.hint);
      if (authz.status === 'failed') broken = 'authorization';
    }
  } catch (err) {
    if (!(err instanceof Broken)) throw err;
    steps.push({ step: err.step, status: 'failed', message: err.message, hint: err.hint });
    broken = err.step;
  }
  for (const step of DOCTOR_STEPS) {
    if (!steps.some((s) => s.step === step))
      steps.push({ step, status: 'skipped', message: `not checked: ${broken} is broken`, hint: null });
  }
  return { context: contextName, ok: broken === null, brokenLink: broken, steps };
}

/** Turns a thrown failure into the broken link, keeping its message and hint (never a secret: EksAuthError's rule). */
function brokenBy(step: DoctorStepName, err: unknown, doing: string): Broken {
  if (isEksAuthError(err)) return new Broken(step, err.message, err.hint ?? null);
  return new Broken(step, `${doing}: ${err instanceof Error ? err.message : String(err)}`, null);
}

// ---- 1. kubeconfig ----

/** The first entry of that name across the files: client-go merges kubeconfigs first-wins. */
function findMerged(files: KubeconfigFile[], kind: 'clusters' | 'users' | 'contexts', name: string) {
  for (const file of files) {
    const entry = listEntries(file, kind).find((e) => e.name === name);
    if (entry) return { file, value: entry.value };
  }
  return undefined;
}

function readContext(input: DoctorInput, deps: DoctorDeps): ContextFacts {
  const fail = (message: string, hint: string | null): never => {
    throw new Broken('kubeconfig', message, hint);
  };
  const paths = kubeconfigPaths({ explicit: input.kubeconfig, env: deps.env, homedir: deps.homedir });
  let files: KubeconfigFile[];
  try {
    files = loadKubeconfigs(paths);
  } catch (err) {
    throw brokenBy('kubeconfig', err, 'cannot read the kubeconfig');
  }
  const existing = files.filter((f) => f.exists);
  if (existing.length === 0)
    fail(
      `no kubeconfig: ${paths.join(', ')} does not exist`,
      'write one with eks-auth kubeconfig --cluster NAME, or pass --kubeconfig',
    );
  const name = input.context ?? existing.map(currentContext).find((c) => c !== undefined);
  if (name === undefined)
    fail(`${paths.join(', ')} sets no current-context`, 'pass --context NAME, or run kubectl config use-context NAME');
  const context = findMerged(existing, 'contexts', name as string);
  if (!context) fail(`context ${name} is not in ${paths.join(', ')}`, 'kubectl config get-contexts lists the contexts');
  const body = (context as { value: Record<string, unknown> }).value.context;
  if (!isRecord(body)) return fail(`context ${name} has no body`, 'the context needs cluster and user');
  const clusterName = typeof body.cluster === 'string' ? body.cluster : '';
  const userName = typeof body.user === 'string' ? body.user : '';
  const cluster = findMerged(existing, 'clusters', clusterName);
  if (!cluster || !isRecord(cluster.value.cluster))
    return fail(
      `context ${name} names cluster "${clusterName}", which is not in the kubeconfig`,
      'add it with eks-auth kubeconfig --cluster NAME (or aws eks update-kubeconfig)',
    );
  const user = findMerged(existing, 'users', userName);
  if (!user || !isRecord(user.value.user))
    return fail(
      `context ${name} names user "${userName}", which is not in the kubeconfig`,
      'add it with eks-auth kubeconfig --cluster NAME',
    );
  const clusterBody = cluster.value.cluster as Record<string, unknown>;
  const server = typeof clusterBody.server === 'string' ? clusterBody.server : '';
  if (!/^https:\/\//i.test(server))
    fail(
      `cluster ${clusterName} has no https server (${server === '' ? 'none' : server})`,
      'set clusters[].cluster.server to the endpoint from aws eks describe-cluster',
    );
  const caPem = clusterCa(clusterName, clusterBody, cluster.file, deps, fail);

  const exec = (user.value.user as Record<string, unknown>).exec;
  if (!isRecord(exec))
    return fail(
      `user ${userName} has no exec entry: doctor checks EKS exec-credential users`,
      'write one with eks-auth kubeconfig --cluster NAME',
    );
  const apiVersion = typeof exec.apiVersion === 'string' ? exec.apiVersion : '';
  if (!EXEC_VERSIONS.includes(apiVersion)) {
    fail(
      `user ${userName}: exec apiVersion ${apiVersion === '' ? '(none)' : apiVersion} is not one kubectl 1.24+ runs`,
      'set apiVersion: client.authentication.k8s.io/v1 (with interactiveMode: IfAvailable) or client.authentication.k8s.io/v1beta1',
    );
  }
  if (exec.interactiveMode !== undefined && !INTERACTIVE_MODES.includes(String(exec.interactiveMode))) {
    fail(
      `user ${userName}: interactiveMode ${String(exec.interactiveMode)} is not Never, IfAvailable or Always`,
      'set interactiveMode: IfAvailable',
    );
  }
  if (apiVersion === EXEC_VERSIONS[0] && exec.interactiveMode === undefined) {
    // client-go's exec validation: "interactiveMode must be specified for … to use exec authentication plugin".
    fail(
      `user ${userName}: an exec entry of apiVersion v1 needs interactiveMode, or kubectl refuses it`,
      'add interactiveMode: IfAvailable to the exec entry',
    );
  }
  const command = typeof exec.command === 'string' ? exec.command : '';
  if (command === '') return fail(`user ${userName}: the exec entry has no command`, 'set command: eks-auth');
  // client-go resolves a relative command with a path separator against the kubeconfig's directory.
  const lookup = command.includes('/') && !isAbsolute(command) ? resolve(dirname(user.file.path), command) : command;
  if (deps.findCommand(lookup) === undefined) {
    fail(
      `user ${userName}: the command ${command} is not ${command.includes('/') ? 'an executable file' : 'on PATH'}`,
      `install it, or put its directory on PATH (kubectl runs it as ${command})`,
    );
  }
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const entryEnv = readEnv(exec.env);
  // kubectl runs the plugin with its own environment plus the entry's env (the entry wins).
  const env: Env = { ...deps.env, ...Object.fromEntries(entryEnv.map((e) => [e.name, e.value])) };
  const aws = execToAws(command, args, exec, deps, fail);
  const namespace =
    input.namespace ?? (typeof body.namespace === 'string' && body.namespace !== '' ? body.namespace : 'default');
  const envNames = entryEnv.length > 0 ? `, env ${entryEnv.map((e) => e.name).join(' ')}` : '';
  return {
    name: name as string,
    namespace,
    server,
    ...(caPem === undefined ? {} : { caPem }),
    insecureSkipTlsVerify: clusterBody['insecure-skip-tls-verify'] === true,
    ...(typeof clusterBody['tls-server-name'] === 'string' ? { tlsServerName: clusterBody['tls-server-name'] } : {}),
    aws,
    env,
    description: `user ${userName} runs ${command} ${args.join(' ')} (${apiVersion.split('/')[1]}${envNames})`,
  };
}

function clusterCa(
  name: string,
  body: Record<string, unknown>,
  file: KubeconfigFile,
  deps: DoctorDeps,
  fail: (message: string, hint: string | null) => never,
): string | undefined {
  const data = body['certificate-authority-data'];
  if (typeof data === 'string' && data !== '') {
    const pem = Buffer.from(data, 'base64').toString('utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      fail(
        `cluster ${name}: certificate-authority-data is not a base64 PEM certificate`,
        'copy certificateAuthority.data from aws eks describe-cluster',
      );
    return pem;
  }
  const path = body['certificate-authority'];
  if (typeof path === 'string' && path !== '') {
    const full = isAbsolute(path) ? path : resolve(dirname(file.path), path);
    let text: string | undefined;
    try {
      text = deps.files.readText(full);
    } catch (err) {
      fail(`cluster ${name}: cannot read certificate-authority ${full}: ${(err as Error).message}`, 'check the file');
    }
    if (text === undefined)
      fail(
        `cluster ${name}: certificate-authority ${full} does not exist`,
        'set certificate-authority-data from aws eks describe-cluster',
      );
    return text;
  }
  return undefined;
}

function readEnv(env: unknown): { name: string; value: string }[] {
  if (!Array.isArray(env)) return [];
  return env
    .filter(isRecord)
    .filter((e) => typeof e.name === 'string')
    .map((e) => ({ name: e.name as string, value: String(e.value ?? '') }));
}

function execToAws(
  command: string,
  args: string[],
  exec: Record<string, unknown>,
  deps: DoctorDeps,
  fail: (message: string, hint: string | null) => never,
): AwsInput & { clusterId: string } {
  const base = command
    .split(/[\\/]/)
    .pop()
    ?.replace(/\.(exe|cmd|bat)$/i, '');
  if (base === 'eks-auth') {
    try {
      return deps.parseTokenArgs(args);
    } catch (err) {
      throw brokenBy('kubeconfig', err, 'the eks-auth arguments do not parse');
    }
  }
  const recognised = recogniseExec(exec);
  if (recognised === undefined) {
    return fail(
      `the exec command ${command} is not an EKS token plugin doctor knows (eks-auth, aws eks get-token, aws-iam-authenticator)`,
      'switch the entry to eks-auth: eks-auth kubeconfig migrate',
    );
  }
  if ('unsupported' in recognised)
    return fail(
      `the ${recognised.tool} entry cannot be reproduced: ${recognised.unsupported}`,
      'switch the entry to eks-auth: eks-auth kubeconfig migrate',
    );
  const s = recognised.settings;
  const aws: AwsInput & { clusterId: string } = { clusterId: s.cluster };
  if (s.region) aws.region = s.region;
  if (s.roleArn) aws.roleArn = s.roleArn;
  if (s.sessionName) aws.sessionName = s.sessionName;
  if (s.externalId) aws.externalId = s.externalId;
  if (s.forwardSessionName) aws.forwardSessionName = true;
  // `aws --profile P` is a flag (it beats environment keys); AWS_PROFILE from env stays in the env it came from.
  if (s.profileFlag) aws.profile = s.profileFlag;
  return aws;
}

// ---- 2 and 3. credentials and token ----

async function checkCredentials(facts: ContextFacts, input: DoctorInput, deps: Deps): Promise<AwsContext> {
  try {
    return await resolveAwsContext(facts.aws, { ...deps, stdinIsTerminal: () => input.interactive ?? false });
  } catch (err) {
    throw brokenBy('credentials', err, 'cannot resolve credentials');
  }
}

function makeToken(facts: ContextFacts, aws: AwsContext, deps: DoctorDeps): string {
  const signedAt = deps.now();
  const { credentials } = aws;
  if (credentials.expiration && credentials.expiration.getTime() <= signedAt.getTime()) {
    throw new Broken(
      'token',
      `the signing credentials expired at ${credentials.expiration.toISOString()}`,
      'refresh them (aws sso login, new keys) and retry',
    );
  }
  let token: string;
  try {
    token = encodeToken(
      presignGetCallerIdentity({
        credentials,
        endpoint: aws.stsEndpoint,
        clusterId: facts.aws.clusterId,
        signingDate: signedAt,
      }),
    );
  } catch (err) {
    throw brokenBy('token', err, 'cannot sign the token');
  }
  deps.log.protect(token);
  if (token.length > MAX_TOKEN_BYTES) {
    throw new Broken(
      'token',
      `the token is ${token.length} bytes, over the ${MAX_TOKEN_BYTES} bytes EKS accepts (a long session token)`,
      'use credentials with a shorter session token: fewer role-chaining hops, fewer session tags or policies',
    );
  }
  return token;
}

// ---- 4. clock ----

async function checkClock(
  stsUrl: string,
  deps: DoctorDeps,
): Promise<{ status: StepStatus; message: string; hint: string | null }> {
  let header: string | undefined;
  try {
    header = await deps.serverDate(stsUrl);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    // Certificates are valid from a date: one "not yet valid" by this clock points at the clock, not at STS.
    if (/not yet valid/i.test(detail)) {
      throw new Broken(
        'clock',
        `STS's certificate is not yet valid by this machine's clock (${detail}): the clock is behind`,
        CLOCK_HINT,
      );
    }
    return { status: 'warning', message: `could not read the time from ${stsUrl}: ${detail}`, hint: null };
  }
  const skew = clockSkew(header, deps.now());
  if (skew === undefined)
    return { status: 'warning', message: `${stsUrl} sent no usable Date header; clock not compared`, hint: null };
  const described = describeClockSkew(skew);
  if (described === undefined)
    return { status: 'ok', message: 'this machine agrees with STS (within a minute)', hint: null };
  if (Math.abs(skew.skewMs) > MAX_CLOCK_SKEW_MS) {
    throw new Broken(
      'clock',
      `${described} of STS (${header}); tokens are refused 15 minutes after signing, and kubectl's expiry is computed from this clock`,
      CLOCK_HINT,
    );
  }
  return { status: 'ok', message: `${described} of STS (within 5 minutes)`, hint: null };
}

// ---- 5. sts ----

async function checkSts(token: string, facts: ContextFacts, aws: AwsContext, deps: DoctorDeps): Promise<VerifyReport> {
  // A loopback STS (tests, a local STS) is accepted only when the token was signed for it.
  let stsEndpoint: string | undefined;
  try {
    stsEndpointHost(aws.stsEndpoint.url);
    stsEndpoint = aws.stsEndpoint.url;
  } catch {
    stsEndpoint = undefined;
  }
  try {
    return await verify(
      { token, clusterId: facts.aws.clusterId, ...(stsEndpoint ? { stsEndpoint } : {}) },
      { now: deps.now, httpGet: deps.httpGet, log: deps.log },
    );
  } catch (err) {
    throw brokenBy('sts', err, 'STS replay failed');
  }
}

// ---- 6. cluster-name ----

/** An endpoint URL reduced for comparison: lower-case origin, no default port, no trailing slash. */
export function normalizeServer(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`.toLowerCase();
  } catch {
    return url.trim().replace(/\/+$/, '').toLowerCase();
  }
}

const CLUSTER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function checkClusterName(
  facts: ContextFacts,
  aws: AwsContext,
  deps: DoctorDeps,
): Promise<{ status: StepStatus; message: string; hint: string | null }> {
  const name = facts.aws.clusterId;
  const region = aws.region.region;
  if (CLUSTER_ID.test(name)) {
    return {
      status: 'warning',
      message: `${name} is a cluster id (a local cluster on AWS Outposts): DescribeCluster takes names, so it was not looked up`,
      hint: null,
    };
  }
  const endpoint = aws.serviceEndpointUrl('eks');
  let cluster: EksCluster;
  try {
    cluster = await deps.describeCluster(name, {
      region,
      credentials: aws.credentials,
      ...(endpoint ? { endpoint } : {}),
      // The same FIPS / dual-stack host, deadlines, proxy and CA bundle as every other EKS call.
      resolved: aws.eksEndpoint(region),
      http: aws.http,
    });
  } catch (err) {
    if (isEksAuthError(err) && err.reason === 'cluster-not-found') {
      throw new Broken(
        'cluster-name',
        `the exec entry signs for cluster "${name}", but there is no such cluster in ${region} for this account: the API server refuses such a token (401)`,
        `set the entry's cluster name to the cluster's real name (aws eks list-clusters --region ${region}), or its region`,
      );
    }
    const why = isEksAuthError(err) ? err.message : String(err);
    return {
      status: 'warning',
      message: `could not check the cluster name with DescribeCluster: ${why}`,
      hint: isEksAuthError(err) ? (err.hint ?? null) : null,
    };
  }
  if (cluster.endpoint === undefined) {
    return { status: 'warning', message: `cluster ${name} (${cluster.status}) has no endpoint yet`, hint: null };
  }
  if (normalizeServer(cluster.endpoint) !== normalizeServer(facts.server)) {
    throw new Broken(
      'cluster-name',
      `the exec entry signs for cluster ${name}, whose endpoint is ${cluster.endpoint}, but the context's server is ${facts.server}: that cluster refuses the token (401)`,
      `put the name of the cluster at ${facts.server} in the exec entry (aws eks list-clusters, then describe-cluster), or point the context at ${cluster.endpoint}`,
    );
  }
  return {
    status: 'ok',
    message: `cluster ${name} in ${region} (${cluster.arn}) has the context's endpoint`,
    hint: null,
  };
}

// ---- 7. authentication ----

type AuthResult =
  | { kind: 'unauthorized' }
  | {
      kind: 'authenticated';
      status: StepStatus;
      message: string;
      hint: string | null;
      username?: string;
      groups?: string[];
    };

async function kubePost(
  facts: ContextFacts,
  token: string,
  path: string,
  body: unknown,
  deps: DoctorDeps,
  step: DoctorStepName,
) {
  try {
    return await deps.kubeApi({
      server: facts.server,
      ...(facts.caPem === undefined ? {} : { caPem: facts.caPem }),
      insecureSkipTlsVerify: facts.insecureSkipTlsVerify,
      ...(facts.tlsServerName === undefined ? {} : { tlsServerName: facts.tlsServerName }),
      token,
      method: 'POST',
      path,
      body,
    });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const tls = /certificate|self.signed|unable to verify|SSL|TLS/i.test(detail);
    throw new Broken(
      step,
      `could not reach the API server at ${facts.server}: ${detail}`,
      tls
        ? 'the cluster CA does not match: copy certificateAuthority.data from aws eks describe-cluster into certificate-authority-data'
        : 'check the server URL and the network path to it (VPN, private endpoint, proxy)',
    );
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function checkAuthentication(facts: ContextFacts, token: string, deps: DoctorDeps): Promise<AuthResult> {
  let res = { status: 0, body: '' };
  for (const version of ['v1', 'v1beta1']) {
    res = await kubePost(
      facts,
      token,
      `/apis/authentication.k8s.io/${version}/selfsubjectreviews`,
      { apiVersion: `authentication.k8s.io/${version}`, kind: 'SelfSubjectReview' },
      deps,
      'authentication',
    );
    if (res.status !== 404) break;
  }
  if (res.status === 401) return { kind: 'unauthorized' };
  if (res.status === 200 || res.status === 201) {
    const userInfo = (
      parseJson(res.body)?.status as
        | { userInfo?: { username?: unknown; groups?: unknown; extra?: unknown } }
        | undefined
    )?.userInfo;
    const username = typeof userInfo?.username === 'string' ? userInfo.username : undefined;
    const groups = Array.isArray(userInfo?.groups) ? userInfo.groups.map(String) : [];
    const extra = isRecord(userInfo?.extra)
      ? Object.entries(userInfo.extra)
          // The access key id is not a secret, but a session name may be an e-mail: print keys and values as the server has them.
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
          .join(' ')
      : '';
    return {
      kind: 'authenticated',
      status: 'ok',
      message: `the API server accepts the token: username ${username ?? '(none)'}, groups ${groups.length > 0 ? groups.join(', ') : '(none)'}${extra ? `, extra ${extra}` : ''}`,
      hint: null,
      ...(username === undefined ? {} : { username }),
      groups,
    };
  }
  if (res.status === 403 || res.status === 404) {
    // Past authentication: only the review itself is refused or not served (Kubernetes < 1.27).
    return {
      kind: 'authenticated',
      status: 'warning',
      message: `the API server accepts the token, but answers SelfSubjectReview with HTTP ${res.status}: username not shown`,
      hint: null,
    };
  }
  throw new Broken(
    'authentication',
    `the API server at ${facts.server} answered SelfSubjectReview with HTTP ${res.status}`,
    'retry; kubectl get --raw /version shows whether the server is healthy',
  );
}

// ---- 8. mapping ----

async function checkMapping(
  facts: ContextFacts,
  identity: VerifyReport,
  aws: AwsContext,
  input: DoctorInput,
  deps: DoctorDeps,
): Promise<{ status: StepStatus; message: string; hint: string | null }> {
  let verdict: DoctorExplainVerdict;
  try {
    verdict = await deps.explain(explainRequest(facts, identity, aws, input));
  } catch (err) {
    const why = isEksAuthError(err) ? err.message : String(err);
    return {
      status: 'failed',
      message: `${identity.canonicalArn} is most likely not mapped (STS accepts its token for this cluster, the API server does not), and explain could not read the mapping: ${why}`,
      hint: `add an access entry (aws eks create-access-entry --cluster-name ${facts.aws.clusterId} --principal-arn ${identity.canonicalArn}) or a mapRoles/mapUsers line; pass --aws-auth FILE to check a copy of aws-auth`,
    };
  }
  if (verdict.mapped) {
    return {
      status: 'warning',
      message: `explain finds ${identity.canonicalArn} mapped (${verdict.message}), yet the API server refuses it: the mapping read is not the one the cluster uses`,
      hint:
        verdict.hint ??
        'compare with the cluster: kubectl get configmap aws-auth -n kube-system as an admin, and aws eks list-access-entries',
    };
  }
  return {
    status: 'failed',
    message: `${identity.canonicalArn} is not mapped: ${verdict.message}${verdict.nearMiss ? `; near miss: ${verdict.nearMiss}` : ''}`,
    hint:
      verdict.hint ??
      `map ${identity.canonicalArn}: an access entry (aws eks create-access-entry) or a mapRoles/mapUsers entry in aws-auth`,
  };
}

function explainRequest(
  facts: ContextFacts,
  identity: VerifyReport,
  aws: AwsContext,
  input: DoctorInput,
): DoctorExplainRequest {
  const eksEndpoint = aws.serviceEndpointUrl('eks');
  return {
    arn: identity.arn,
    accessKeyId: identity.accessKeyId,
    ...(identity.sessionName === undefined ? {} : { sessionName: identity.sessionName }),
    cluster: facts.aws.clusterId,
    region: aws.region.region,
    credentials: aws.credentials,
    ...(eksEndpoint ? { eksEndpoint } : {}),
    ...(input.awsAuthFile === undefined ? {} : { awsAuthFile: input.awsAuthFile }),
    ...(input.kubeconfig === undefined ? {} : { kubeconfig: input.kubeconfig }),
    context: facts.name,
  };
}

/** An explain report reduced to the mapping link's verdict: access entries first, aws-auth second, as explain reads them. */
export function explainVerdict(report: ExplainReport): DoctorExplainVerdict {
  const r = report.result;
  const cluster = report.cluster ? `cluster ${report.cluster.name}` : 'the cluster';
  const mode = report.cluster?.authenticationMode ? `, authentication mode ${report.cluster.authenticationMode}` : '';
  if (r.mapped) {
    const by =
      r.via === 'accessEntry'
        ? `the access entry ${r.accessEntry?.principalArn ?? report.canonicalArn} of ${cluster}`
        : `${r.via} of ${report.source ?? 'aws-auth'}`;
    return { mapped: true, message: `${by} gives username ${r.username}${mode}` };
  }
  const failure = notMappedError(report);
  const nearMiss = r.accessEntryNearMiss?.message ?? r.nearMiss?.message;
  const read = [
    report.cluster?.authenticationMode && report.cluster.authenticationMode !== 'CONFIG_MAP'
      ? `access entries of ${cluster}`
      : null,
    report.source,
  ].filter((x) => x);
  return {
    mapped: false,
    message: `${r.message} (${read.length > 0 ? read.join(' and ') : 'nothing read'}${mode})`,
    ...(nearMiss ? { nearMiss } : {}),
    ...(failure?.hint && !nearMiss ? { hint: failure.hint } : {}),
  };
}

/** The access policies of the access entry that maps the caller; undefined when no access entry maps it. */
export function explainedPolicies(report: ExplainReport): AccessPolicyAssociation[] | undefined {
  const r = report.result;
  if (!r.mapped || r.via !== 'accessEntry') return undefined;
  return r.accessPolicies.map((p) => ({ policyArn: p.policyArn, accessScope: p.accessScope }));
}

// ---- 9. authorization ----

/** `pods`, `deployments.apps`, `pods/log` as kubectl auth can-i reads them. */
export function parseResource(text: string): { resource: string; group: string; subresource?: string } {
  const [head = '', subresource] = text.split('/', 2);
  const dot = head.indexOf('.');
  const resource = dot < 0 ? head : head.slice(0, dot);
  const group = dot < 0 ? '' : head.slice(dot + 1);
  return { resource, group, ...(subresource ? { subresource } : {}) };
}

/** Whether an access policy's scope covers the namespace (`*` wildcards, as EKS matches them). */
export function scopeCovers(scope: AccessPolicyAssociation['accessScope'], namespace: string): boolean {
  if (scope.type === 'cluster') return true;
  return (scope.namespaces ?? []).some((pattern) => {
    const re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return re.test(namespace);
  });
}

async function checkAuthorization(
  facts: ContextFacts,
  token: string,
  input: DoctorInput,
  identity: VerifyReport,
  aws: AwsContext,
  deps: DoctorDeps,
): Promise<{ status: StepStatus; message: string; hint: string | null }> {
  const verb = input.verb ?? 'list';
  const asked = input.resource ?? 'pods';
  const { resource, group, subresource } = parseResource(asked);
  const ns = facts.namespace;
  const res = await kubePost(
    facts,
    token,
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: ns, verb, group, resource, ...(subresource ? { subresource } : {}) } },
    },
    deps,
    'authorization',
  );
  let policies = '';
  if (deps.accessPolicies) {
    try {
      const found = await deps.accessPolicies(explainRequest(facts, identity, aws, input));
      if (found !== undefined) {
        const applying = found.filter((p) => scopeCovers(p.accessScope, ns)).map((p) => p.policyArn.split('/').pop());
        policies = `; access policies in ${ns}: ${applying.length > 0 ? applying.join(', ') : 'none'}`;
      }
    } catch (err) {
      deps.log.verbose(`access policies not read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const what = `${verb} ${asked} in namespace ${ns}`;
  if (res.status !== 200 && res.status !== 201) {
    return {
      status: 'warning',
      message: `could not ask whether you may ${what}: SelfSubjectAccessReview answered HTTP ${res.status}${policies}`,
      hint: null,
    };
  }
  const status = parseJson(res.body)?.status as { allowed?: unknown; denied?: unknown; reason?: unknown } | undefined;
  if (status?.allowed === true) return { status: 'ok', message: `you may ${what}${policies}`, hint: null };
  const reason = typeof status?.reason === 'string' && status.reason !== '' ? ` (${status.reason})` : '';
  return {
    status: 'failed',
    message: `the cluster authenticates you but does not let you ${what}${reason}${policies}: kubectl answers Forbidden`,
    hint:
      `grant it: a RoleBinding in ${ns} (or a ClusterRoleBinding) for your username or one of your groups, ` +
      `or an access policy (aws eks associate-access-policy --cluster-name ${facts.aws.clusterId} --principal-arn ${identity.canonicalArn} ` +
      `--policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=namespace,namespaces=${ns})`,
  };
}

// ---- output ----

/** One line per link: `✓ clock  this machine agrees with STS`, and the fix under a broken one. */
export function formatDoctorText(report: DoctorReport): string {
  const width = Math.max(...DOCTOR_STEPS.map((s) => s.length));
  const mark: Record<StepStatus, string> = { ok: '✓', failed: '✗', warning: '!', skipped: '-' };
  const lines = [`context: ${report.context ?? '(none)'}`];
  for (const s of report.steps) {
    const fix = s.hint && (s.status === 'failed' || s.status === 'warning') ? `  fix: ${s.hint}` : '';
    lines.push(`${mark[s.status]} ${s.step.padEnd(width)}  ${s.message}${fix}`);
  }
  lines.push(report.ok ? 'every link holds' : `broken link: ${report.brokenLink}`);
  return `${lines.join('\n')}\n`;
}

/** The `--json` contract. */
export function formatDoctorJson(report: DoctorReport): string {
  return `${JSON.stringify({ context: report.context, ok: report.ok, brokenLink: report.brokenLink, steps: report.steps })}\n`;
}
