/**
 * A local EKS API for tests (moto has no access-entry routes): HTTPS on 127.0.0.1, the rest-json wire
 * format of botocore's `data/eks/2017-11-01/service-2.json` for
 *
 *   DescribeCluster               GET /clusters/{name}                         (with accessConfig)
 *   ListAccessEntries             GET /clusters/{name}/access-entries          (maxResults 1–100, nextToken)
 *   DescribeAccessEntry           GET /clusters/{name}/access-entries/{principalArn}
 *   ListAssociatedAccessPolicies  GET /clusters/{name}/access-entries/{principalArn}/access-policies (paged)
 *
 * `principalArn` is one percent-encoded path segment. Timestamps are epoch seconds. Errors as EKS
 * answers them: the status, an `x-amzn-ErrorType` header and `{"message": …}`: 404
 * ResourceNotFoundException (no such cluster or entry), 400 InvalidRequestException (access-entry
 * calls on a CONFIG_MAP cluster), 400 InvalidParameterException (maxResults out of range), 403
 * AccessDeniedException (injected with `deny`).
 *
 * Every request must carry a SigV4 Authorization header scoped to `eks` in the peer's region; for a
 * key the peer knows the signature is recomputed with @smithy/signature-v4, so requests signed by
 * botocore (the AWS CLI) check it independently. Other keys are refused, or with `anyKey` accepted. DescribeAccessEntry answers the default username
 * of the entry's type when it has none, as EKS does.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CleanupContext } from './processes';
import { makeTlsCert, type TlsCert } from './tls';

export type PeerAuthenticationMode = 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';

export interface PeerAccessPolicy {
  policyArn: string;
  accessScope: { type: 'cluster' | 'namespace'; namespaces?: string[] };
  associatedAt?: Date;
}

export interface PeerAccessEntry {
  principalArn: string;
  username?: string;
  kubernetesGroups?: string[];
  /** Default STANDARD. */
  type?: string;
  /** Default 2025-01-01T00:00:00Z. */
  createdAt?: Date;
  policies?: PeerAccessPolicy[];
}

export interface PeerCluster {
  name: string;
  mode: PeerAuthenticationMode;
  entries?: PeerAccessEntry[];
  /** The served endpoint and CA (base64 PEM); placeholders when omitted. */
  endpoint?: string;
  caData?: string;
}

/** One request as the peer answered it. */
export interface EksApiCall {
  operation: string;
  cluster: string;
  principalArn?: string;
  akid?: string;
  status: number;
  errorType?: string;
  query: Record<string, string>;
}

export interface EksApiOptions {
  /** The region the Authorization header must be scoped to. */
  region: string;
  clusters: PeerCluster[];
  /** Known keys: access key id → secret access key; their signatures are checked. */
  keys: Record<string, string>;
  /**
   * Also accept keys it does not know (session keys issued by moto), checking only the header's shape
   * and scope: the signature needs the secret.
   */
  anyKey?: boolean;
  /** The account in ARNs the peer makes up; default 111122223333. */
  account?: string;
  tls?: TlsCert;
  /** Serve plain HTTP (for SDK calls inside the test process, which cannot trust a new CA). */
  http?: boolean;
  t?: CleanupContext;
}

export interface EksApi {
  /** `https://127.0.0.1:PORT` (or http://): use as AWS_ENDPOINT_URL_EKS. */
  url: string;
  caFile: string;
  caPem: string;
  calls: EksApiCall[];
  /** The clusters served; tests may change them between cases. */
  clusters: PeerCluster[];
  /** The next `count` (default: all) calls of `operation` answer 403 AccessDeniedException. */
  deny(operation: string, count?: number): void;
  stop(): Promise<void>;
}

const DEFAULT_CREATED = new Date('2025-01-01T00:00:00Z');

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

class NodeSha256 {
  private hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

class Failure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const epoch = (d: Date): number => d.getTime() / 1000;

/** EKS's username for an entry without one (EKS user guide, creating-access-entries). */
function defaultUsername(entry: PeerAccessEntry): string {
  const type = entry.type ?? 'STANDARD';
  if (type === 'EC2_LINUX' || type === 'EC2_WINDOWS' || type === 'EC2') return 'system:node:{{EC2PrivateDNSName}}';
  if (type !== 'STANDARD') return 'system:node:{{SessionName}}';
  const [, partition, , , account, resource = ''] = entry.principalArn.split(':');
  if (resource.startsWith('role/'))
    return `arn:${partition}:sts::${account}:assumed-role/${resource.split('/').pop()}/{{SessionName}}`;
  return entry.principalArn;
}

/** A page of `items` from the opaque `nextToken` on; maxResults as the API checks it. */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; nextToken?: string } {
  const max = query.get('maxResults');
  const size = max === null ? 100 : Number(max);
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    throw new Failure(400, 'InvalidParameterException', 'maxResults must be between 1 and 100');
  }
  const token = query.get('nextToken');
  const start =
    token === null
      ? 0
      : Number(
          Buffer.from(token, 'base64url')
            .toString('utf8')
            .replace(/^offset:/, ''),
        );
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new Failure(400, 'InvalidParameterException', 'The nextToken is not valid');
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(`offset:${end}`).toString('base64url') } : {}),
  };
}

/** Starts the peer on a free port of 127.0.0.1. */
export async function startEksApi(options: EksApiOptions): Promise<EksApi> {
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-eks-api-'));
  const tls = options.tls ?? makeTlsCert(dir);
  const account = options.account ?? '111122223333';
  const calls: EksApiCall[] = [];
  const denied = new Map<string, number>();
  const clusters = options.clusters;

  async function authenticate(req: IncomingMessage, url: URL): Promise<string> {
    const header = req.headers.authorization;
    if (!header) throw new Failure(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        header,
      );
    if (!m)
      throw new Failure(
        400,
        'IncompleteSignatureException',
        'Authorization header requires Credential, SignedHeaders and Signature',
      );
    const [, akid = '', , region, service, signedList = '', signature] = m;
    if (service !== 'eks')
      throw new Failure(403, 'InvalidSignatureException', `Credential should be scoped to correct service: 'eks'.`);
    if (region !== options.region)
      throw new Failure(
        403,
        'InvalidSignatureException',
        `Credential should be scoped to a valid region, not '${region}'.`,
      );
    const secret = options.keys[akid];
    if (secret === undefined && options.anyKey) return akid;
    if (secret === undefined)
      throw new Failure(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    const amzDate = req.headers['x-amz-date'];
    if (typeof amzDate !== 'string') throw new Failure(403, 'InvalidSignatureException', 'X-Amz-Date is missing');
    const signed = signedList.split(';');
    const headers: Record<string, string> = {};
    for (const name of signed) {
      const value = req.headers[name];
      if (value === undefined) throw new Failure(403, 'InvalidSignatureException', `signed header ${name} is missing`);
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signer = new SignatureV4({
      service: 'eks',
      region: options.region,
      credentials: { accessKeyId: akid, secretAccessKey: secret },
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const date = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const request = new HttpRequest({
      method: req.method ?? 'GET',
      protocol: options.http ? 'http:' : 'https:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
    });
    const out = await signer.sign(request, { signingDate: date, signableHeaders: new Set(signed) });
    const expected = /Signature=([0-9a-f]{64})/.exec(String(out.headers.authorization ?? ''))?.[1];
    if (expected !== signature) {
      throw new Failure(
        403,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
    return akid;
  }

  function route(req: IncomingMessage, url: URL, call: EksApiCall): unknown {
    const segments = url.pathname
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
    if (req.method !== 'GET' || segments[0] !== 'clusters' || segments.length < 2 || segments.length > 5) {
      throw new Failure(404, 'UnknownOperationException', 'Unknown operation');
    }
    const [, name = '', sub, principalArn, policies] = segments;
    call.cluster = name;
    call.operation =
      sub === undefined
        ? 'DescribeCluster'
        : principalArn === undefined
          ? 'ListAccessEntries'
          : policies === undefined
            ? 'DescribeAccessEntry'
            : 'ListAssociatedAccessPolicies';
    if ((sub !== undefined && sub !== 'access-entries') || (policies !== undefined && policies !== 'access-policies')) {
      throw new Failure(404, 'UnknownOperationException', 'Unknown operation');
    }
    if (principalArn !== undefined) call.principalArn = principalArn;
    const left = denied.get(call.operation);
    if (left !== undefined && left > 0) {
      denied.set(call.operation, left - 1);
      throw new Failure(
        403,
        'AccessDeniedException',
        `User: arn:aws:iam::${account}:user/tester is not authorized to perform: eks:${call.operation} on resource: arn:aws:eks:${options.region}:${account}:cluster/${name}`,
      );
    }
    const cluster = clusters.find((c) => c.name === name);
    if (!cluster) throw new Failure(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
    const clusterArn = `arn:aws:eks:${options.region}:${account}:cluster/${name}`;
    if (call.operation === 'DescribeCluster') {
      return {
        cluster: {
          name,
          arn: clusterArn,
          createdAt: epoch(DEFAULT_CREATED),
          version: '1.33',
          status: 'ACTIVE',
          platformVersion: 'eks.1',
          endpoint: cluster.endpoint ?? 'https://0123456789ABCDEF.gr7.example.eks.amazonaws.com',
          roleArn: `arn:aws:iam::${account}:role/eks-cluster`,
          certificateAuthority: {
            data:
              cluster.caData ??
              Buffer.from('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n').toString('base64'),
          },
          accessConfig: { bootstrapClusterCreatorAdminPermissions: true, authenticationMode: cluster.mode },
        },
      };
    }
    if (cluster.mode === 'CONFIG_MAP') {
      throw new Failure(
        400,
        'InvalidRequestException',
        `The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.`,
      );
    }
    const entries = cluster.entries ?? [];
    if (call.operation === 'ListAccessEntries') {
      const p = page(
        entries.map((e) => e.principalArn),
        url.searchParams,
      );
      return { accessEntries: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
    }
    const entry = entries.find((e) => e.principalArn === principalArn);
    if (!entry) {
      throw new Failure(
        404,
        'ResourceNotFoundException',
        `The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.`,
      );
    }
    const createdAt = entry.createdAt ?? DEFAULT_CREATED;
    if (call.operation === 'DescribeAccessEntry') {
      return {
        accessEntry: {
          clusterName: name,
          principalArn: entry.principalArn,
          kubernetesGroups: entry.kubernetesGroups ?? [],
          accessEntryArn: `arn:aws:eks:${options.region}:${account}:access-entry/${name}/${entry.principalArn.includes(':role/') ? 'role' : 'user'}/${account}/${entry.principalArn.split('/').pop()}/00000000-0000-0000-0000-000000000000`,
          createdAt: epoch(createdAt),
          modifiedAt: epoch(createdAt),
          tags: {},
          username: entry.username ?? defaultUsername(entry),
          type: entry.type ?? 'STANDARD',
        },
      };
    }
    const p = page(entry.policies ?? [], url.searchParams);
    return {
      clusterName: name,
      principalArn: entry.principalArn,
      associatedAccessPolicies: p.items.map((policy) => ({
        policyArn: policy.policyArn,
        accessScope: { type: policy.accessScope.type, namespaces: policy.accessScope.namespaces ?? [] },
        associatedAt: epoch(policy.associatedAt ?? createdAt),
        modifiedAt: epoch(policy.associatedAt ?? createdAt),
      })),
      ...(p.nextToken ? { nextToken: p.nextToken } : {}),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _chunk of req) {
      // GET requests carry no body; drain whatever comes.
    }
    const url = new URL(req.url ?? '/', `https://${req.headers.host ?? '127.0.0.1'}`);
    const call: EksApiCall = {
      operation: 'unknown',
      cluster: '',
      status: 200,
      query: Object.fromEntries(url.searchParams),
    };
    calls.push(call);
    try {
      call.akid = await authenticate(req, url);
      send(res, 200, route(req, url, call));
    } catch (err) {
      const f = err instanceof Failure ? err : new Failure(500, 'ServerException', 'An internal error occurred');
      call.status = f.status;
      call.errorType = f.type;
      send(res, f.status, { message: f.message }, f.type);
    }
  }

  const server = options.http
    ? createHttpServer((req, res) => void handle(req, res))
    : createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  const caFile = join(dir, 'eks-api-ca.pem');
  writeFileSync(caFile, tls.certPem);
  let stopping: Promise<void> | undefined;
  const api: EksApi = {
    url: `${options.http ? 'http' : 'https'}://127.0.0.1:${port}`,
    caFile,
    caPem: tls.certPem,
    calls,
    clusters,
    deny(operation, count = Number.POSITIVE_INFINITY) {
      denied.set(operation, count);
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => rmSync(dir, { recursive: true, force: true }));
      return stopping;
    },
  };
  options.t?.after(() => api.stop());
  return api;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': '00000000-0000-0000-0000-000000000000',
    ...(errorType ? { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazonaws.eks/` } : {}),
  });
  res.end(text);
}
