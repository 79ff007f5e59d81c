/** A small HTTPS client for tests and peers: a private CA, no redirects, a timeout, the whole body. */
import { request, type Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM of the CA to trust (ignored when `agent` is given: the agent carries its own). */
  ca?: string;
  agent?: Agent;
  timeoutMs?: number;
}

/** Sends one request and resolves with status, headers and body; rejects on network failure or timeout. */
export function httpsRequest(url: string | URL, options: HttpsRequestOptions = {}): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      ...(options.agent ? { agent: options.agent } : { ca: options.ca, agent: false }),
    });
    const timeoutMs = options.timeoutMs ?? 10_000;
    // The query may hold a signature or session token: name only origin and path.
    const where = `${new URL(url).origin}${new URL(url).pathname}`;
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${where} within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.once('error', reject);
    });
    req.end(options.body);
  });
}
