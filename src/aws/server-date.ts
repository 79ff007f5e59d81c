/**
 * The `Date` header of an HTTPS answer, for comparing this machine's clock with AWS's: any answer
 * carries one, so a bare GET of the endpoint's root is enough (no credentials, no redirects).
 */
import { request } from 'node:https';

/** Resolves to the Date header (undefined when the answer had none); rejects when no answer came within `timeoutMs`. */
export function fetchServerDate(origin: string, timeoutMs = 5_000): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const call = request(new URL('/', origin), { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      const date = res.headers.date;
      res.on('end', () => resolve(date));
      res.on('error', () => resolve(date));
    });
    const deadline = setTimeout(() => call.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    call.on('close', () => clearTimeout(deadline));
    call.on('timeout', () => call.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    call.on('error', reject);
    call.end();
  });
}
