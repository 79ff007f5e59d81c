/**
 * The one HTTP client of eks-auth: every call to AWS goes through it, whether the AWS SDK makes it
 * (through createSdkRequestHandler, a smithy HttpHandler) or eks-auth does by hand (verify's STS
 * replay, container credentials).
 *
 * Each attempt has three deadlines: connect (TCP, and the proxy's answer to CONNECT), TLS (the
 * handshake) and request (the whole attempt, last body byte included, so a server that trickles
 * bytes ends too). Each call has an overall deadline across its attempts. Throttling, 5xx and
 * network failures are retried with jittered exponential backoff; nothing else is.
 *
 * Proxies follow botocore (botocore/utils.py get_environ_proxies, urllib's proxy_bypass_environment):
 * HTTPS_PROXY for https URLs, HTTP_PROXY for http, lower case winning, NO_PROXY of exact hosts,
 * domain suffixes and `*`; https goes through a CONNECT tunnel. Extra CA certificates (AWS_CA_BUNDLE,
 * ca_bundle, NODE_EXTRA_CA_CERTS) add to Node's default roots.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  createSecureContext,
  rootCertificates,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { EksAuthError, ExitCode } from '../errors';
import { UNCHECKED_TLS_WARNING, type HttpSettings, type ProxyEnv } from './http-settings';

export { DEFAULT_HTTP, type HttpSettings, type ProxyEnv } from './http-settings';

/** The largest answer read from AWS (STS and EKS answers are a few KB). */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface HttpRequestSpec {
  method: string;
  url: string;
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  /** Default MAX_ANSWER_BYTES. */
  maxBytes?: number;
  /** Retry throttling, 5xx and network failures (default true). */
  retry?: boolean;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Which deadline passed. */
type Deadline = 'connect' | 'tls' | 'request' | 'call';

const DEADLINE_WORDS: Record<Deadline, string> = {
  connect: 'connect',
  tls: 'TLS handshake',
  request: 'request',
  call: 'overall call',
};

/** A failed attempt, before it becomes the call's EksAuthError. */
class AttemptError extends Error {
  override readonly name = 'AttemptError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly final?: EksAuthError,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Seconds as the README writes them: `3 s`, `0.5 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The origin of a URL, never its user info, path or query (a presigned query holds a signature). */
export function originOf(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(an invalid URL)';
  }
}

// ---------------------------------------------------------------------------------------------
// Proxies

/** A proxy to use for one URL: its origin for messages and the Proxy-Authorization it needs. */
export interface ProxyChoice {
  url: URL;
  /** `http://proxy:3128`, without credentials. */
  display: string;
  authorization?: string;
}

/**
 * Whether NO_PROXY exempts a host, as Python's urllib.request.proxy_bypass_environment decides
 * (what botocore uses): `*` exempts everything; each comma-separated entry, less a leading dot,
 * matches the host (with or without its port) exactly or as a domain suffix.
 */
export function bypassesProxy(hostname: string, port: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  if (noProxy.trim() === '*') return true;
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const hostPort = port ? `${host}:${port}` : host;
  for (const raw of noProxy.split(',')) {
    const name = raw.trim().replace(/^\.+/, '').toLowerCase();
    if (name === '') continue;
    if (host === name || hostPort === name) return true;
    if (host.endsWith(`.${name}`) || hostPort.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy for a URL, or undefined for a direct connection. Throws EksAuthError(config) on a malformed proxy URL. */
export function proxyFor(target: URL, proxy: ProxyEnv): ProxyChoice | undefined {
  const value = target.protocol === 'https:' ? proxy.https : proxy.http;
  if (!value) return undefined;
  if (bypassesProxy(target.hostname, target.port, proxy.noProxy)) return undefined;
  const variable = target.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  // botocore (utils.fix_proxy_url... ProxyConfiguration) reads a bare host:port as http://host:port.
  const text = value.includes('://') ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = undefined as never;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    // The value may hold a password: never repeat it.
    throw new EksAuthError(ExitCode.config, `${variable} is not an http(s) URL of a proxy`, {
      hint: `set ${variable} to a URL such as http://proxy.example.com:3128 (user:password@ before the host if the proxy needs them)`,
      reason: 'bad-proxy',
    });
  }
  const display = `${url.protocol}//${url.host}`;
  if (url.username === '' && url.password === '') return { url, display };
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { url, display, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

// ---------------------------------------------------------------------------------------------
// TLS

const contexts = new WeakMap<HttpSettings, SecureContext>();

/** Node's default roots plus the extra CA certificates, built once per settings object. */
function secureContextOf(settings: HttpSettings): SecureContext | undefined {
  if (!settings.extraCaPem && !settings.loadExtraCa) return undefined;
  let context = contexts.get(settings);
  if (!context) {
    const pem = settings.extraCaPem ?? (settings.loadExtraCa as () => string)();
    try {
      context = createSecureContext({ ca: [...rootCertificates, pem] });
    } catch (err) {
      throw new EksAuthError(
        ExitCode.config,
        `${settings.caSource ?? 'the CA bundle'} holds no usable PEM certificate: ${(err as Error).message}`,
        {
          hint: 'point AWS_CA_BUNDLE or ca_bundle in your AWS config at a PEM file of CA certificates',
          reason: 'bad-ca-bundle',
        },
      );
    }
    contexts.set(settings, context);
  }
  return context;
}

/** OpenSSL and Node codes that mean the peer's certificate was not accepted. */
const CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const warned = new WeakSet<HttpSettings>();

/** The NODE_TLS_REJECT_UNAUTHORIZED=0 warning, once, when a TLS connection is about to skip its checks. */
function warnIfUnchecked(settings: HttpSettings): void {
  if (settings.rejectUnauthorized || warned.has(settings)) return;
  warned.add(settings);
  settings.warn?.(UNCHECKED_TLS_WARNING);
}

/** The exit-10 error for a certificate that was not accepted: one line naming host and problem, one hint. */
function certificateError(
  host: string,
  problem: string,
  settings: HttpSettings,
  cause?: unknown,
  code?: string,
): EksAuthError {
  const trusted = settings.caSource ? ` (trusting Node's default CAs and ${settings.caSource})` : '';
  // A certificate "not yet valid" or "expired" by this machine's clock often means the clock is wrong.
  const clock =
    code === 'CERT_NOT_YET_VALID' || code === 'CERT_HAS_EXPIRED' ? "check this machine's clock first; " : '';
  return new EksAuthError(ExitCode.tls, `the TLS certificate of ${host} was not accepted: ${problem}${trusted}`, {
    hint: `${clock}if a proxy or firewall inspects TLS, or the endpoint uses a private CA, set AWS_CA_BUNDLE (or ca_bundle in your AWS config) to a PEM file of that CA`,
    cause,
    reason: 'tls-certificate',
  });
}

// ---------------------------------------------------------------------------------------------
// One attempt

/** Codes of socket and DNS failures worth another attempt (botocore standard mode retries connection errors). */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
]);

interface AttemptContext {
  target: URL;
  settings: HttpSettings;
  /** The deadline of the whole call (performance.now() based). */
  callEnds: number;
  spec: HttpRequestSpec;
}

function deadlineMessage(ctx: AttemptContext, deadline: Deadline, ms: number, via?: ProxyChoice): string {
  const through = via ? ` through the proxy ${via.display}` : '';
  return `no answer from ${originOf(ctx.target)}${through}: the ${seconds(ms)} ${DEADLINE_WORDS[deadline]} deadline passed`;
}

/** One request on a fresh connection, bounded by the attempt's deadlines and the call's. */
function attempt(ctx: AttemptContext): Promise<HttpAnswer> {
  const { target, settings, spec } = ctx;
  const secure = target.protocol === 'https:';
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || (secure ? 443 : 80));
  const proxy = proxyFor(target, settings.proxy);
  const maxBytes = spec.maxBytes ?? MAX_ANSWER_BYTES;
  settings.trace?.(`${spec.method} ${originOf(target)}${proxy ? ` via proxy ${proxy.display}` : ''}`);

  return new Promise<HttpAnswer>((resolve, reject) => {
    const sockets: Socket[] = [];
    const timers: ReturnType<typeof setTimeout>[] = [];
    let settled = false;
    const finish = (err: Error | undefined, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      spec.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(answer as HttpAnswer);
    };
    const onAbort = () =>
      finish(
        new AttemptError(
          'aborted',
          false,
          new EksAuthError(ExitCode.network, `the call to ${originOf(target)} was cancelled`, { reason: 'aborted' }),
        ),
      );
    if (spec.signal?.aborted) return onAbort();
    spec.signal?.addEventListener('abort', onAbort);

    // The attempt's own deadline, cut short by the call's when less time is left.
    const left = ctx.callEnds - performance.now();
    const [attemptMs, attemptDeadline]: [number, Deadline] =
      left < settings.requestTimeoutMs ? [Math.max(0, left), 'call'] : [settings.requestTimeoutMs, 'request'];
    const attemptLimit = attemptDeadline === 'call' ? settings.callTimeoutMs : settings.requestTimeoutMs;
    timers.push(
      setTimeout(
        () =>
          finish(
            new AttemptError(
              deadlineMessage(ctx, attemptDeadline, attemptLimit, proxy),
              attemptDeadline !== 'call',
              undefined,
              'ETIMEDOUT',
            ),
          ),
        attemptMs,
      ),
    );
    let phaseTimer: ReturnType<typeof setTimeout> | undefined;
    const phase = (deadline: Deadline, ms: number) => {
      if (phaseTimer) clearTimeout(phaseTimer);
      phaseTimer = setTimeout(
        () => finish(new AttemptError(deadlineMessage(ctx, deadline, ms, proxy), true, undefined, 'ETIMEDOUT')),
        ms,
      );
      timers.push(phaseTimer);
    };
    const endPhase = () => phaseTimer && clearTimeout(phaseTimer);

    const socketFailed = (err: NodeJS.ErrnoException, where: string) => {
      const code = err.code ?? '';
      if (CERTIFICATE_CODES.has(code)) {
        const host = where === 'proxy' && proxy ? proxy.url.host : target.host;
        return finish(
          new AttemptError(err.message, false, certificateError(host, err.message, settings, err, code), code),
        );
      }
      const who = where === 'proxy' && proxy ? `the proxy ${proxy.display}` : originOf(target);
      const through = where !== 'proxy' && proxy ? ` through the proxy ${proxy.display}` : '';
      finish(
        new AttemptError(
          `could not reach ${who}${through}: ${err.message}`,
          RETRYABLE_CODES.has(code),
          undefined,
          code,
        ),
      );
    };

    // 1. TCP to the proxy or the host (TLS first when the proxy itself is https).
    phase('connect', settings.connectTimeoutMs);
    const firstHost = proxy ? proxy.url.hostname.replace(/^\[|\]$/g, '') : hostname;
    const firstPort = proxy ? Number(proxy.url.port || (proxy.url.protocol === 'https:' ? 443 : 80)) : port;
    let first: Socket;
    try {
      first =
        proxy?.url.protocol === 'https:'
          ? tlsConnect({
              host: firstHost,
              port: firstPort,
              ...(isIP(firstHost) ? {} : { servername: firstHost }),
              secureContext: secureContextOf(settings),
              rejectUnauthorized: settings.rejectUnauthorized,
            })
          : netConnect({ host: firstHost, port: firstPort });
    } catch (err) {
      return finish(err as Error);
    }
    sockets.push(first);
    first.on('error', (err) => socketFailed(err, proxy ? 'proxy' : 'target'));
    first.once(proxy?.url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      if (proxy && secure) openTunnel(first);
      else if (secure) startTls(first);
      else {
        endPhase();
        send(first);
      }
    });

    // 2. With a proxy and an https URL: CONNECT host:port, and wait for its 2xx.
    function openTunnel(socket: Socket): void {
      const authority = `${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
      const auth = proxy?.authorization ? `Proxy-Authorization: ${proxy.authorization}\r\n` : '';
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) {
          if (head.length > 16 * 1024)
            finish(new AttemptError(`the proxy ${proxy?.display} sent an endless answer to CONNECT`, false));
          return;
        }
        socket.off('data', onData);
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        if (status < 200 || status > 299) {
          const hint =
            status === 407
              ? 'the proxy wants credentials: put them in the proxy URL (http://user:password@proxy:port)'
              : `the proxy refused ${authority}: check NO_PROXY and the proxy's rules`;
          return finish(
            new AttemptError(
              'proxy refused',
              status >= 500,
              new EksAuthError(
                ExitCode.network,
                `the proxy ${proxy?.display} refused to open a tunnel to ${authority} (HTTP ${status})`,
                { hint, reason: 'proxy-refused' },
              ),
            ),
          );
        }
        const rest = head.subarray(end + 4);
        if (rest.length > 0) socket.unshift(rest);
        startTls(socket);
      };
      socket.on('data', onData);
    }

    // 3. TLS to the host, checked against the host name (SNI too).
    function startTls(socket: Socket): void {
      endPhase();
      warnIfUnchecked(settings);
      phase('tls', settings.tlsTimeoutMs);
      let tlsSocket: TLSSocket;
      try {
        tlsSocket = tlsConnect({
          socket,
          ...(isIP(hostname) ? {} : { servername: hostname }),
          secureContext: secureContextOf(settings),
          rejectUnauthorized: settings.rejectUnauthorized,
        });
      } catch (err) {
        finish(err as Error);
        return;
      }
      sockets.push(tlsSocket);
      tlsSocket.on('error', (err) => socketFailed(err, 'target'));
      tlsSocket.once('secureConnect', () => {
        endPhase();
        send(tlsSocket);
      });
    }

    // 4. The request itself on the connected socket; the answer is read whole, up to maxBytes.
    function send(socket: Socket): void {
      const headers: OutgoingHttpHeaders = { ...spec.headers };
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) headers.host = target.host;
      if (proxy && !secure && proxy.authorization) headers['proxy-authorization'] = proxy.authorization;
      const req = httpRequest({
        createConnection: () => socket,
        method: spec.method,
        // A forward proxy takes the absolute URL of a plain-http request.
        path: proxy && !secure ? target.href : `${target.pathname}${target.search}`,
        headers,
        setHost: false,
      });
      req.on('error', (err) => socketFailed(err, 'target'));
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            finish(
              new AttemptError(
                `the answer of ${originOf(target)} is larger than ${maxBytes} bytes`,
                false,
                new EksAuthError(
                  ExitCode.network,
                  `the answer of ${originOf(target)} is larger than ${maxBytes} bytes, more than any AWS answer eks-auth asks for`,
                  { hint: 'check the endpoint: it does not look like the AWS API', reason: 'answer-too-large' },
                ),
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.once('end', () =>
          finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.once('error', (err) => socketFailed(err, 'target'));
      });
      req.end(spec.body);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Retries

/** AWS error codes of throttling (botocore retryhandler / smithy's THROTTLING_ERROR_CODES). */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** The AWS error code of an answer: x-amzn-errortype (JSON protocols), or the body's Code / __type. */
function awsErrorCode(answer: HttpAnswer): string | undefined {
  const header = answer.headers['x-amzn-errortype'];
  if (typeof header === 'string' && header !== '') return header.split(':')[0];
  const text = answer.body.subarray(0, 8192).toString('utf8');
  const xml = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  if (xml) return xml;
  const json = /"(?:__type|code|Code)"\s*:\s*"([^"]{1,200})"/.exec(text)?.[1];
  return json?.split('#').pop();
}

/** Throttling (429, or a throttling code) or a server failure: worth another attempt. */
function isRetryableAnswer(answer: HttpAnswer): boolean {
  if (answer.status >= 500 || answer.status === 429) return true;
  if (answer.status < 400) return false;
  const code = awsErrorCode(answer);
  return code !== undefined && THROTTLING_CODES.has(code);
}

function isThrottling(answer: HttpAnswer): boolean {
  const code = awsErrorCode(answer);
  return answer.status === 429 || (code !== undefined && THROTTLING_CODES.has(code));
}

/**
 * Full-jitter exponential backoff as the AWS SDKs use it: a random delay below
 * min(20 s, base × 2^retry), base 100 ms, 500 ms after throttling.
 */
export function backoffMs(retry: number, throttled: boolean, random: () => number = Math.random): number {
  const base = throttled ? 500 : 100;
  return Math.floor(random() * Math.min(20_000, base * 2 ** retry));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/**
 * Sends one call: up to maxAttempts attempts within the call deadline. Resolves with the last
 * answer whatever its status (the caller reads AWS errors); rejects with EksAuthError: exit 5 when
 * the network failed (the message names the origin and the deadline that passed), 10 for a
 * certificate that was not accepted.
 */
export async function sendHttp(spec: HttpRequestSpec, settings: HttpSettings): Promise<HttpAnswer> {
  let target: URL;
  try {
    target = new URL(spec.url);
  } catch {
    throw new EksAuthError(ExitCode.config, 'an endpoint URL is not a valid URL', { reason: 'invalid-endpoint-url' });
  }
  const started = performance.now();
  const callEnds = started + settings.callTimeoutMs;
  const attempts = spec.retry === false ? 1 : Math.max(1, settings.maxAttempts);
  let lastError: AttemptError | undefined;
  for (let n = 1; ; n++) {
    let answer: HttpAnswer | undefined;
    try {
      answer = await attempt({ target, settings, callEnds, spec });
    } catch (err) {
      if (!(err instanceof AttemptError)) throw err;
      lastError = err;
    }
    const retryable = answer ? isRetryableAnswer(answer) : (lastError?.retryable ?? false);
    const timeLeft = callEnds - performance.now();
    if (!retryable || n >= attempts || timeLeft <= 0 || spec.signal?.aborted) {
      if (answer) return answer;
      throw finalError(lastError as AttemptError, settings, n, timeLeft <= 0);
    }
    const delay = Math.min(backoffMs(n - 1, answer ? isThrottling(answer) : false), Math.max(0, timeLeft));
    settings.trace?.(
      `attempt ${n} of ${attempts} to ${originOf(target)} failed (${answer ? `HTTP ${answer.status}` : lastError?.message}); retrying in ${delay} ms`,
    );
    await sleep(delay, spec.signal);
    if (callEnds - performance.now() <= 0) {
      if (answer) return answer;
      throw finalError(lastError as AttemptError, settings, n, true);
    }
    lastError = undefined;
  }
}

function finalError(err: AttemptError, settings: HttpSettings, attempts: number, callDeadline: boolean): EksAuthError {
  if (err.final) return err.final;
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  const message =
    callDeadline && !err.message.includes('overall call deadline')
      ? `${err.message}; the ${seconds(settings.callTimeoutMs)} overall call deadline passed${tries}`
      : `${err.message}${tries}`;
  const timedOut = err.code === 'ETIMEDOUT' || callDeadline;
  return new EksAuthError(ExitCode.network, message, {
    hint: timedOut
      ? 'check the network path to AWS (HTTPS_PROXY, NO_PROXY, VPC endpoints); the deadlines are cli_connect_timeout and cli_read_timeout in your AWS config'
      : 'check your network connection, proxy settings (HTTPS_PROXY, NO_PROXY) and the endpoint, then try again',
    cause: Object.assign(new Error(err.message), { code: err.code }),
    reason: timedOut ? 'timeout' : 'unreachable',
  });
}

// ---------------------------------------------------------------------------------------------
// The AWS SDK's side

/** The parts of a smithy HttpRequest the handler reads (@smithy/protocol-http HttpRequest). */
interface SmithyRequest {
  protocol: string;
  hostname: string;
  port?: number;
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** RFC 3986 escaping as the SigV4 signer escapes the query it signs (smithy's escapeUri). */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function queryString(query: SmithyRequest['query']): string {
  const parts: string[] = [];
  for (const key of Object.keys(query ?? {}).sort()) {
    const value = (query as Record<string, string | string[] | null>)[key];
    const name = escapeUri(key);
    if (value === null || value === undefined) parts.push(name);
    else if (Array.isArray(value)) for (const v of value) parts.push(`${name}=${escapeUri(v)}`);
    else parts.push(`${name}=${escapeUri(value)}`);
  }
  return parts.join('&');
}

/** A smithy HttpHandler (what the SDK clients take as requestHandler) over sendHttp. */
export interface SdkRequestHandler {
  metadata: { handlerProtocol: string };
  handle(
    request: SmithyRequest,
    options?: { abortSignal?: AbortSignal },
  ): Promise<{ response: { statusCode: number; reason?: string; headers: Record<string, string>; body: Uint8Array } }>;
  updateHttpClientConfig(key: never, value: never): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
  /** The EksAuthError of the last failed call: SDK credential providers wrap errors into their own, which would lose it. */
  lastFailure: EksAuthError | undefined;
  /** The Date header of the last answer, for clock-skew messages. */
  lastDate: string | undefined;
}

/**
 * The requestHandler for every SDK client. The SDK's own retries must be off (maxAttempts: 1):
 * retries, backoff and deadlines happen here. An answer whose signature STS or EKS finds expired
 * or not yet valid keeps its Date header in lastDate for the clock-skew message.
 */
export function createSdkRequestHandler(settings: HttpSettings): SdkRequestHandler {
  const handler: SdkRequestHandler = {
    metadata: { handlerProtocol: 'http/1.1' },
    lastFailure: undefined,
    lastDate: undefined,
    async handle(request, options) {
      const host = request.hostname.includes(':') ? `[${request.hostname}]` : request.hostname;
      const query = queryString(request.query);
      const url = `${request.protocol}//${host}${request.port ? `:${request.port}` : ''}${request.path}${query ? `?${query}` : ''}`;
      const body = request.body;
      if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        throw new Error('eks-auth sends only string or byte request bodies');
      }
      try {
        const answer = await sendHttp(
          {
            method: request.method,
            url,
            headers: request.headers,
            ...(body ? { body } : {}),
            ...(options?.abortSignal ? { signal: options.abortSignal } : {}),
          },
          settings,
        );
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        handler.lastDate = headers.date;
        return {
          response: {
            statusCode: answer.status,
            headers,
            body: new Uint8Array(answer.body.buffer, answer.body.byteOffset, answer.body.length),
          },
        };
      } catch (err) {
        if (err instanceof EksAuthError) handler.lastFailure = err;
        throw err;
      }
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return handler;
}
