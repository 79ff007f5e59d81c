/**
 * A local EKS DescribeCluster, for tests whose cluster endpoint must be the local kube-api: moto's
 * DescribeCluster answers a made-up `https://<random>.<region>.eks.amazonaws.com` that no test can
 * serve. Plain HTTP on 127.0.0.1 (as moto_server), used through AWS_ENDPOINT_URL_EKS.
 *
 * Wire format from botocore `data/eks/2017-11-01/service-2.json` (rest-json): `GET /clusters/{name}`
 * → `{"cluster": {…}}` with epoch-second timestamps; an unknown cluster is HTTP 404 with
 * `x-amzn-ErrorType: ResourceNotFoundException` and `{"message": …}`. Clusters are per region: the
 * region is read from the SigV4 credential scope, as each regional EKS endpoint only knows its own.
 * An unsigned request is refused (403 MissingAuthenticationTokenException), as EKS does.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { CleanupContext } from './processes';

export interface EksClusterFixture {
  name: string;
  region: string;
  /** The API server URL DescribeCluster answers: point it at the local kube-api. */
  endpoint: string;
  /** base64 of the cluster CA PEM. */
  caData: string;
  account?: string;
  authenticationMode?: 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';
}

export interface EksClusters {
  /** `http://127.0.0.1:PORT`: use as AWS_ENDPOINT_URL_EKS. */
  url: string;
  /** Every DescribeCluster asked, as `region/name`. */
  calls: string[];
  stop(): Promise<void>;
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startEksClusters(
  clusters: EksClusterFixture[],
  options: { t?: CleanupContext } = {},
): Promise<EksClusters> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  function answer(req: IncomingMessage, res: ServerResponse): void {
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '');
    if (!scope) {
      error(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      return;
    }
    const [, region = '', service = ''] = scope;
    if (service !== 'eks') {
      error(res, 403, 'InvalidSignatureException', `Credential should be scoped to correct service: 'eks'.`);
      return;
    }
    const match = /^\/clusters\/([^/?]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (req.method !== 'GET' || !match) {
      error(res, 404, 'UnknownOperationException', 'this test server serves DescribeCluster only');
      return;
    }
    const name = decodeURIComponent(match[1] ?? '');
    calls.push(`${region}/${name}`);
    const cluster = clusters.find((c) => c.name === name && c.region === region);
    if (!cluster) {
      error(res, 404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
      return;
    }
    send(res, 200, { cluster: describe(cluster) });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  let stopping: Promise<void> | undefined;
  const peer: EksClusters = {
    url: `http://127.0.0.1:${port}`,
    calls,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
  options.t?.after(() => peer.stop());
  return peer;
}

function describe(c: EksClusterFixture): Record<string, unknown> {
  const account = c.account ?? '123456789012';
  return {
    name: c.name,
    arn: `arn:aws:eks:${c.region}:${account}:cluster/${c.name}`,
    createdAt: 1767225600,
    version: '1.33',
    endpoint: c.endpoint,
    roleArn: `arn:aws:iam::${account}:role/eks-cluster`,
    resourcesVpcConfig: {
      subnetIds: ['subnet-1'],
      securityGroupIds: [],
      endpointPublicAccess: true,
      endpointPrivateAccess: false,
    },
    kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
    status: 'ACTIVE',
    certificateAuthority: { data: c.caData },
    platformVersion: 'eks.1',
    tags: {},
    accessConfig: { authenticationMode: c.authenticationMode ?? 'API_AND_CONFIG_MAP' },
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function error(res: ServerResponse, status: number, type: string, message: string): void {
  send(res, status, { message }, { 'x-amzn-errortype': type });
}
