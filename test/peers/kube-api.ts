/**
 * A fake kube-apiserver that authenticates EKS tokens the way EKS does: it decodes the bearer token,
 * checks the presigned URL (the rules of aws-iam-authenticator's pkg/token), replays it against
 * the STS front with its own `x-k8s-aws-id` and accepts the caller as the ARN STS answers.
 *
 * It serves just enough for kubectl: /version, discovery (/api, /apis, /api/v1,
 * /apis/authentication.k8s.io/v1), pods in `default` (one pod, `hello`), ConfigMaps given by the test,
 * and SelfSubjectReview (`kubectl auth whoami`, username = the ARN).
 *
 * With `mapIdentities: 'aws-auth'` it maps the caller through the served kube-system/aws-auth as the
 * EKS authenticator does (an unmapped caller gets 401) and SelfSubjectReview shows the mapped user;
 * with `rbac` it answers SelfSubjectAccessReview from those bindings. With `accessEntries` it maps callers
 * as an EKS cluster in authentication mode API does (accessEntryUser): unmapped callers get 401.
 */
import { Agent, createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decodeToken } from '../../src/token/encode';
import { httpsRequest } from './https-request';
import type { CleanupContext } from './processes';
import { makeTlsCert, type TlsCert } from './tls';

export interface ConfigMapFixture {
  data?: Record<string, string>;
  /** Merged into the served metadata (labels, annotations...). */
  metadata?: Record<string, unknown>;
}

export interface KubeApiOptions {
  /** The cluster name or id this server expects in `x-k8s-aws-id`. */
  clusterId: string;
  /** The STS front, `https://127.0.0.1:PORT`: token URLs must point exactly there. */
  stsUrl: string;
  /** PEM of the CA that signed the STS front's certificate. */
  caPem: string;
  /** This server's certificate; a new one (openssl) when omitted. */
  tls?: TlsCert;
  /** ConfigMaps by `namespace/name`, e.g. `{'kube-system/aws-auth': {data: {mapRoles: '...'}}}`. */
  configMaps?: Record<string, ConfigMapFixture>;
  /** Map callers through kube-system/aws-auth (unmapped: 401); default: every caller is its ARN. */
  mapIdentities?: 'aws-auth';
  /** Bindings SelfSubjectAccessReview answers from; none: every review is denied. */
  rbac?: RbacBinding[];
  /** Map callers by EKS access entries, as a cluster in authentication mode API does (see accessEntryUser). */
  accessEntries?: KubeAccessEntry[];
  t?: CleanupContext;
}

/** An access entry as this server applies it (principal ARN, username template, groups). */
export interface KubeAccessEntry {
  principalArn: string;
  username?: string;
  kubernetesGroups?: string[];
}

/** The user the authenticator hands on: what SelfSubjectReview shows and RBAC sees. */
export interface KubeUser {
  username: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** One RoleBinding/ClusterRoleBinding with its rules folded in. */
export interface RbacBinding {
  /** Undefined: cluster-wide (a ClusterRoleBinding). */
  namespace?: string;
  users?: string[];
  groups?: string[];
  verbs: string[];
  /** `pods`, `pods/log`, or `*`. */
  resources: string[];
  /** Default `['']`, the core group. */
  apiGroups?: string[];
}

/** What the server decided for one request. */
export interface AuthOutcome {
  ok: boolean;
  /** The caller's ARN as STS returned it (only when ok). */
  arn?: string;
  /** STS's UserId and the token's access key id (only when ok). */
  userId?: string;
  accessKeyId?: string;
  /** The HTTP status the STS front answered, or 401 when the token failed before reaching it. */
  status: number;
  /** Why it failed: `no-token`, `decode`, `url`, `sts-403`, `sts-unreachable`... */
  reason?: string;
  method: string;
  path: string;
}

export interface KubeApi {
  /** `https://127.0.0.1:PORT`, for the kubeconfig's cluster.server. */
  server: string;
  caFile: string;
  caPem: string;
  /** base64 of the CA PEM, for the kubeconfig's certificate-authority-data. */
  caData: string;
  /** Every authentication decision, in order. */
  outcomes: AuthOutcome[];
  /** Requests received so far, authenticated or not. */
  readonly requests: number;
  /** The served ConfigMaps; tests may change them between cases. */
  configMaps: Record<string, ConfigMapFixture>;
  /** With access entries, callers without one get 401, as on an EKS cluster in mode API; tests may change them. */
  accessEntries: KubeAccessEntry[] | undefined;
  stop(): Promise<void>;
}

const ALLOWED_QUERY_KEYS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

const UNAUTHORIZED = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};
const CREATED = '2026-01-01T00:00:00Z';

type Checked = { url: URL } | { reason: string };

/**
 * The presigned-URL checks aws-iam-authenticator (pkg/token) makes before the STS call,
 * then a rebuilt URL carrying only the validated parameters (the CVE-2022-2385 fix).
 */
export function checkTokenUrl(token: string, stsOrigin: string): Checked {
  let raw: string;
  try {
    raw = decodeToken(token);
  } catch {
    return { reason: 'decode' };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { reason: 'url' };
  }
  if (url.origin !== stsOrigin || url.username || url.password || url.pathname !== '/') return { reason: 'host' };
  const seen = new Set<string>();
  for (const [key] of url.searchParams) {
    const lower = key.toLowerCase();
    if (!ALLOWED_QUERY_KEYS.has(lower)) return { reason: 'query-key' };
    if (seen.has(lower)) return { reason: 'duplicate-key' };
    seen.add(lower);
  }
  const params = url.searchParams;
  if (params.get('Action') !== 'GetCallerIdentity') return { reason: 'action' };
  if (!(params.get('X-Amz-SignedHeaders') ?? '').split(';').includes('x-k8s-aws-id'))
    return { reason: 'cluster-not-signed' };
  const expires = params.get('X-Amz-Expires');
  if (expires === null || !/^\d+$/.test(expires) || Number(expires) > 900) return { reason: 'expires' };
  if (!params.get('X-Amz-Date')) return { reason: 'date' };
  const rebuilt = new URL('/', stsOrigin);
  for (const [key, value] of params) rebuilt.searchParams.append(key, value);
  return { url: rebuilt };
}

/** Starts the fake apiserver on 127.0.0.1 (a free port). */
export async function startKubeApi(options: KubeApiOptions): Promise<KubeApi> {
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-kube-api-'));
  const tls = options.tls ?? makeTlsCert(dir);
  const stsOrigin = new URL(options.stsUrl).origin;
  const stsAgent = new Agent({ keepAlive: true, ca: options.caPem, maxSockets: 64 });
  const outcomes: AuthOutcome[] = [];
  const configMaps = options.configMaps ?? {};
  let requests = 0;

  async function authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    const base = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/' };
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) return { ...base, ok: false, status: 401, reason: 'no-token' };
    const checked = checkTokenUrl(header.slice('Bearer '.length).trim(), stsOrigin);
    if ('reason' in checked) return { ...base, ok: false, status: 401, reason: checked.reason };
    try {
      const res = await httpsRequest(checked.url, {
        agent: stsAgent,
        headers: { 'x-k8s-aws-id': options.clusterId, accept: 'application/json' },
        timeoutMs: 10_000,
      });
      if (res.status !== 200) return { ...base, ok: false, status: res.status, reason: `sts-${res.status}` };
      const result = JSON.parse(res.body)?.GetCallerIdentityResponse?.GetCallerIdentityResult;
      const arn = result?.Arn;
      if (typeof arn !== 'string') return { ...base, ok: false, status: res.status, reason: 'sts-response' };
      const accessKeyId = (checked.url.searchParams.get('X-Amz-Credential') ?? '').split('/')[0] ?? '';
      return { ...base, ok: true, status: 200, arn, userId: String(result?.UserId ?? ''), accessKeyId };
    } catch {
      return { ...base, ok: false, status: 401, reason: 'sts-unreachable' };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const outcome = await authenticate(req);
    const byEntries = api.accessEntries;
    const user = !outcome.ok
      ? undefined
      : byEntries
        ? accessEntryUser(byEntries, outcome.arn ?? '')
        : identify(outcome, configMaps, options.mapIdentities);
    if (outcome.ok && user === undefined) Object.assign(outcome, { ok: false, status: 401, reason: 'not-mapped' });
    outcomes.push(outcome);
    if (!outcome.ok || outcome.arn === undefined || user === undefined) return send(res, 401, UNAUTHORIZED);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      // kubectl auth can-i posts protobuf (the typed client's default); the answer may be JSON either way.
      const json = (req.headers['content-type'] ?? '').includes('protobuf')
        ? JSON.stringify(accessReviewFromProtobuf(raw))
        : raw.toString('utf8');
      return send(res, 201, selfSubjectAccessReview(json, user, options.rbac ?? []));
    }
    const [status, answer] = route(req, user, server.address());
    send(res, status, answer);
  }

  function route(req: IncomingMessage, user: KubeUser, address: ReturnType<Server['address']>): [number, unknown] {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const get = req.method === 'GET';
    if (get && path === '/version') return [200, VERSION];
    if (get && path === '/api') {
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      return [
        200,
        {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }],
        },
      ];
    }
    if (get && path === '/apis') return [200, API_GROUPS];
    if (get && path === '/api/v1') return [200, CORE_RESOURCES];
    if (get && path === '/apis/authentication.k8s.io/v1') return [200, AUTHENTICATION_RESOURCES];
    if (get && path === '/apis/authorization.k8s.io/v1') return [200, AUTHORIZATION_RESOURCES];
    if (req.method === 'POST' && path === '/apis/authentication.k8s.io/v1/selfsubjectreviews') {
      return [201, selfSubjectReview(user)];
    }
    const pods = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path);
    if (get && pods) {
      const names = pods[1] === 'default' ? ['hello'] : [];
      return [200, wantsTable(req) ? podTable(names, pods[1] as string) : podList(names, pods[1] as string)];
    }
    const cm = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/.exec(path);
    if (get && cm) {
      const [, namespace = '', name = ''] = cm;
      const fixture = configMaps[`${namespace}/${name}`];
      if (!fixture) return [404, notFound('configmaps', name)];
      return [200, configMap(namespace, name, fixture)];
    }
    return [
      404,
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        code: 404,
      },
    ];
  }

  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    handle(req, res).catch(() => send(res, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500 }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  const caFile = join(dir, 'kube-api-ca.pem');
  writeFileSync(caFile, tls.certPem);

  let stopping: Promise<void> | undefined;
  const api: KubeApi = {
    server: `https://127.0.0.1:${port}`,
    caFile,
    caPem: tls.certPem,
    caData: Buffer.from(tls.certPem).toString('base64'),
    outcomes,
    get requests() {
      return requests;
    },
    configMaps,
    accessEntries: options.accessEntries,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        stsAgent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => rmSync(dir, { recursive: true, force: true }));
      return stopping;
    },
  };
  options.t?.after(() => api.stop());
  return api;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

function notFound(kind: string, name: string): unknown {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${kind} "${name}" not found`,
    reason: 'NotFound',
    details: { name, kind },
    code: 404,
  };
}

const VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0-eks-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: CREATED,
  goVersion: 'go1.24.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const API_GROUPS = {
  kind: 'APIGroupList',
  apiVersion: 'v1',
  groups: [
    {
      name: 'authentication.k8s.io',
      versions: [{ groupVersion: 'authentication.k8s.io/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'authentication.k8s.io/v1', version: 'v1' },
    },
    {
      name: 'authorization.k8s.io',
      versions: [{ groupVersion: 'authorization.k8s.io/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'authorization.k8s.io/v1', version: 'v1' },
    },
  ],
};

const CORE_RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
    {
      name: 'configmaps',
      singularName: 'configmap',
      namespaced: true,
      kind: 'ConfigMap',
      verbs: ['get', 'list'],
      shortNames: ['cm'],
    },
  ],
};

const AUTHORIZATION_RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'authorization.k8s.io/v1',
  resources: [
    {
      name: 'selfsubjectaccessreviews',
      singularName: 'selfsubjectaccessreview',
      namespaced: false,
      kind: 'SelfSubjectAccessReview',
      verbs: ['create'],
    },
  ],
};

const AUTHENTICATION_RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'authentication.k8s.io/v1',
  resources: [
    {
      name: 'selfsubjectreviews',
      singularName: 'selfsubjectreview',
      namespaced: false,
      kind: 'SelfSubjectReview',
      verbs: ['create'],
    },
  ],
};

function selfSubjectReview(user: KubeUser): unknown {
  return {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    status: { userInfo: { username: user.username, groups: user.groups, extra: user.extra } },
  };
}

/** The caller as the cluster sees it: its ARN unmapped (the default), or mapped through aws-auth; undefined when not mapped. */
function identify(
  outcome: AuthOutcome,
  configMaps: Record<string, ConfigMapFixture>,
  mode: 'aws-auth' | undefined,
): KubeUser | undefined {
  const arn = outcome.arn ?? '';
  if (mode === undefined) return { username: arn, groups: ['system:authenticated'], extra: { arn: [arn] } };
  return mapByAwsAuth(
    { arn, userId: outcome.userId ?? '', accessKeyId: outcome.accessKeyId ?? '' },
    configMaps['kube-system/aws-auth'],
  );
}

/**
 * aws-auth as the EKS authenticator applies it, written from its documentation (aws-iam-authenticator
 * README "Full Configuration Format", EKS user guide "aws-auth ConfigMap"), not from src/kube/aws-auth.ts,
 * which the tests check against it: an assumed-role session maps as arn:P:iam::A:role/NAME (no path),
 * ARNs compare case-insensitively, mapRoles before mapUsers, then mapAccounts (username = the
 * canonical ARN, no groups). Extra carries what EKS adds: arn, canonicalArn, sessionName, accessKeyId, principalId.
 */
export function mapByAwsAuth(
  caller: { arn: string; userId: string; accessKeyId: string },
  awsAuth: ConfigMapFixture | undefined,
): KubeUser | undefined {
  const parts = caller.arn.split(':');
  const [partition = 'aws', account = ''] = [parts[1], parts[4]];
  const resource = parts.slice(5).join(':');
  let canonical = caller.arn;
  let sessionName = '';
  if (parts[2] === 'sts' && resource.startsWith('assumed-role/')) {
    const [, role = '', session = ''] = resource.split('/');
    canonical = `arn:${partition}:iam::${account}:role/${role}`;
    sessionName = session;
  }
  const list = (key: string): Record<string, unknown>[] => {
    const text = awsAuth?.data?.[key];
    if (text === undefined) return [];
    const parsed: unknown = parseYaml(text);
    return Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : [];
  };
  const fill = (template: string) =>
    template
      .replaceAll('{{AccountID}}', account)
      .replaceAll('{{SessionNameRaw}}', sessionName)
      .replaceAll('{{SessionName}}', sessionName.replaceAll('@', '-'))
      .replaceAll('{{AccessKeyID}}', caller.accessKeyId);
  const same = (a: unknown) => typeof a === 'string' && a.toLowerCase() === canonical.toLowerCase();
  const entry = list('mapRoles').find((e) => same(e.rolearn)) ?? list('mapUsers').find((e) => same(e.userarn));
  let username: string;
  let groups: string[];
  if (entry) {
    username = fill(typeof entry.username === 'string' ? entry.username : canonical);
    groups = (Array.isArray(entry.groups) ? entry.groups.map(String) : []).map(fill);
  } else if (list('mapAccounts').map(String).includes(account)) {
    username = canonical;
    groups = [];
  } else {
    return undefined;
  }
  const extra: Record<string, string[]> = {
    arn: [caller.arn],
    canonicalArn: [canonical],
    accessKeyId: [caller.accessKeyId],
    principalId: [caller.userId.split(':')[0] ?? ''],
  };
  if (sessionName) extra.sessionName = [sessionName];
  return { username, groups: [...groups, 'system:authenticated'], extra };
}

/** Length-delimited and varint fields of one protobuf message: field number → values (bytes, or numbers). */
function protoFields(buf: Buffer): Map<number, (Buffer | number)[]> {
  const fields = new Map<number, (Buffer | number)[]>();
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = buf[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < buf.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    let value: Buffer | number;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = varint();
      value = buf.subarray(at, at + length);
      at += length;
    } else if (wire === 1) {
      value = 0;
      at += 8;
    } else if (wire === 5) {
      value = 0;
      at += 4;
    } else throw new Error(`protobuf wire type ${wire} not read here`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

/**
 * The spec of a protobuf SelfSubjectAccessReview, as JSON. The body is the apimachinery envelope
 * (`k8s\0`, then runtime.Unknown: 2 = raw), the review's fields are from k8s.io/api
 * authorization/v1 generated.proto: review 2 = spec; spec 1 = resourceAttributes; attributes
 * 1 namespace, 2 verb, 3 group, 4 version, 5 resource, 6 subresource, 7 name.
 */
function accessReviewFromProtobuf(body: Buffer): unknown {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0') return {};
  const first = (fields: Map<number, (Buffer | number)[]>, n: number): Buffer | undefined => {
    const v = fields.get(n)?.[0];
    return Buffer.isBuffer(v) ? v : undefined;
  };
  const raw = first(protoFields(body.subarray(4)), 2);
  const spec = raw && first(protoFields(raw), 2);
  const attrs = spec && first(protoFields(spec), 1);
  if (!attrs) return { spec: {} };
  const fields = protoFields(attrs);
  const names = ['', 'namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
  const resourceAttributes: Record<string, string> = {};
  names.forEach((name, n) => {
    const v = first(fields, n);
    if (name && v) resourceAttributes[name] = v.toString('utf8');
  });
  return { spec: { resourceAttributes } };
}

/** A SelfSubjectAccessReview answered from the bindings, as the RBAC authorizer decides it (allow-only). */
export function selfSubjectAccessReview(requestBody: string, user: KubeUser, rbac: RbacBinding[]): unknown {
  let spec: { resourceAttributes?: Record<string, string | undefined> } = {};
  try {
    spec = (JSON.parse(requestBody) as { spec?: typeof spec }).spec ?? {};
  } catch {
    // an empty spec is denied below
  }
  const a = spec.resourceAttributes ?? {};
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? '');
  const index = rbac.findIndex(
    (b) =>
      ((b.users ?? []).includes(user.username) || (b.groups ?? []).some((g) => user.groups.includes(g))) &&
      (b.namespace === undefined || b.namespace === a.namespace) &&
      (b.verbs.includes('*') || b.verbs.includes(a.verb ?? '')) &&
      (b.resources.includes('*') || b.resources.includes(resource)) &&
      ((b.apiGroups ?? ['']).includes('*') || (b.apiGroups ?? ['']).includes(a.group ?? '')),
  );
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: index >= 0 ? { allowed: true, reason: `RBAC: allowed by test binding ${index}` } : { allowed: false },
  };
}

/**
 * The user EKS makes of a caller through access entries, written from the EKS user guide
 * (creating-access-entries, set-custom-username) without eks-auth's code: the caller's ARN (a role
 * session as its role) equals the entry's ARN without its path, ignoring case; the username is the
 * entry's, else `assumed-role/NAME/{{SessionName}}` for a role and the ARN for a user; `{{SessionName}}`
 * turns `@` into `-`. Undefined when no entry matches.
 */
export function accessEntryUser(entries: readonly KubeAccessEntry[], callerArn: string): KubeUser | undefined {
  const [, partition = '', service = '', , account = '', resource = ''] = callerArn.split(':');
  const parts = resource.split('/');
  const session = service === 'sts' && parts[0] === 'assumed-role' ? parts[parts.length - 1] : undefined;
  const canonical =
    session === undefined ? callerArn : `arn:${partition}:iam::${account}:role/${parts.slice(1, -1).join('/')}`;
  const withoutPath = (arn: string) => arn.replace(/:role\/(?:[^/]+\/)+([^/]+)$/, ':role/$1');
  const entry = entries.find((e) => withoutPath(e.principalArn).toLowerCase() === canonical.toLowerCase());
  if (!entry) return undefined;
  const template =
    entry.username ??
    (entry.principalArn.includes(':role/')
      ? `arn:${partition}:sts::${account}:assumed-role/${entry.principalArn.split('/').pop()}/{{SessionName}}`
      : entry.principalArn);
  const username = template
    .replaceAll('{{AccountID}}', account)
    .replaceAll('{{SessionNameRaw}}', session ?? '')
    .replaceAll('{{SessionName}}', (session ?? '').replaceAll('@', '-'));
  return { username, groups: [...(entry.kubernetesGroups ?? []), 'system:authenticated'], extra: { arn: [callerArn] } };
}

function podList(names: string[], namespace: string): unknown {
  return {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '1' },
    items: names.map((name) => ({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: CREATED },
      spec: { containers: [{ name, image: `example/${name}` }] },
      status: { phase: 'Running' },
    })),
  };
}

// kubectl get asks for a server-side Table first; serving one keeps its output like a real cluster's.
function podTable(names: string[], namespace: string): unknown {
  const column = (name: string, format = '') => ({ name, type: 'string', format, description: name, priority: 0 });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '1' },
    columnDefinitions: [column('Name', 'name'), column('Ready'), column('Status'), column('Restarts'), column('Age')],
    rows: names.map((name) => ({
      cells: [name, '1/1', 'Running', '0', '1d'],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { name, namespace, creationTimestamp: CREATED },
      },
    })),
  };
}

function configMap(namespace: string, name: string, fixture: ConfigMapFixture): unknown {
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      resourceVersion: '1',
      creationTimestamp: CREATED,
      ...fixture.metadata,
    },
    data: fixture.data ?? {},
  };
}
