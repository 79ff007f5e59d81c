/**
 * The `Date` header of an HTTPS answer, for comparing this machine's clock with AWS's: any answer
 * carries one, so a bare GET of the endpoint's root is enough (no credentials, no redirects). It goes
 * through the HTTP layer, so the proxy, CA bundle and deadlines are those of every other AWS call.
 */
import { sendHttp } from './http';
import type { HttpSettings } from '../types';

/** Resolves to the Date header (undefined when the answer had none); rejects when no answer came in time. */
export async function fetchServerDate(origin: string, settings: HttpSettings): Promise<string | undefined> {
  const answer = await sendHttp(
    { method: 'GET', url: new URL('/', origin).href, retry: false, maxBytes: 64 * 1024 },
    settings,
  );
  const date = answer.headers.date;
  return typeof date === 'string' ? date : undefined;
}
