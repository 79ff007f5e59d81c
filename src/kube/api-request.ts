/**
 * One JSON request to a Kubernetes API server with a kubeconfig cluster's TLS settings and a
 * bearer token, as client-go sends it: the cluster CA (else the system roots), `tls-server-name`,
 * `insecure-skip-tls-verify`, no redirects, a deadline. Used by `doctor` for SelfSubjectReview and
 * SelfSubjectAccessReview.
 */
import { request } from 'node:https';

/** An HTTPS request to the API server, with the context's TLS settings and the bearer token. */
export interface KubeRequest {
  server: string;
  /** PEM of the CA to trust (certificate-authority-data or the certificate-authority file). */
  caPem?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  token: string;
  method: 'POST';
  path: string;
  body: unknown;
}

/** Sends requests to the API server. Rejects only when no HTTP answer came (network, TLS). */
export type KubeApiPort = (request: KubeRequest) => Promise<{ status: number; body: string }>;

/** client-go's default is no deadline at all; doctor must end. */
const KUBE_API_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The real port over node:https. Rejects on network and TLS failures; any HTTP status resolves. */
export function createKubeApiPort(timeoutMs = KUBE_API_TIMEOUT_MS): KubeApiPort {
  return (req) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(req.body);
      const url = new URL(req.path, req.server.endsWith('/') ? req.server : `${req.server}/`);
      // The server URL may carry a path prefix (a proxy): keep it.
      url.pathname = `${new URL(req.server).pathname.replace(/\/+$/, '')}${req.path}`;
      const call = request(
        url,
        {
          method: req.method,
          headers: {
            authorization: `Bearer ${req.token}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': Buffer.byteLength(body),
          },
          ...(req.caPem === undefined ? {} : { ca: req.caPem }),
          ...(req.tlsServerName === undefined ? {} : { servername: req.tlsServerName }),
          rejectUnauthorized: req.insecureSkipTlsVerify !== true,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) call.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      const deadline = setTimeout(() => call.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      call.on('close', () => clearTimeout(deadline));
      call.on('timeout', () => call.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      call.on('error', reject);
      call.end(body);
    });
}
