/**
 * The HTTP layer (src/aws/http.ts) against local misbehaving servers, a logging CONNECT proxy and a
 * private CA. Deadlines here are short (hundreds of ms) so the file runs in a few seconds; each
 * timing assertion is "ended within the configured deadline plus a generous margin", measured here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExitCode, EksAuthError } from '../../../src/errors';
import {
  backoffMs,
  bypassesProxy,
  createSdkRequestHandler,
  proxyFor,
  sendHttp,
  type HttpSettings,
} from '../../../src/aws/http';
import { proxyEnv } from '../../../src/aws/http-settings';
import {
  issueCert,
  makeCa,
  startConnectProxy,
  startMisbehavingServer,
  type Ca,
  type ServerCert,
} from '../../peers/net-peers';
import { peerAvailable, requirePeer } from '../../peers/peers';

const MARGIN_MS = 1500;

let dir: string;
let ca: Ca;
let cert: ServerCert;
before(() => {
  if (!peerAvailable('openssl') || !peerAvailable('faketime')) return;
  dir = mkdtempSync(join(tmpdir(), 'eks-auth-http-'));
  ca = makeCa(dir);
  cert = issueCert(ca, 'sts', ['sts.us-east-1.amazonaws.com', 'localhost']);
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

function settings(over: Partial<HttpSettings> = {}): HttpSettings {
  return {
    connectTimeoutMs: 300,
    tlsTimeoutMs: 400,
    requestTimeoutMs: 700,
    callTimeoutMs: 2100,
    maxAttempts: 2,
    proxy: {},
    extraCaPem: ca?.certPem,
    caSource: 'AWS_CA_BUNDLE ca.pem',
    rejectUnauthorized: true,
    ...over,
  };
}

async function failure(promise: Promise<unknown>): Promise<{ err: EksAuthError; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof EksAuthError, `not an EksAuthError: ${String(err)}`);
    return { err, ms: performance.now() - started };
  }
  assert.fail('the call succeeded');
}

describe('NO_PROXY as Python urllib (botocore) reads it', () => {
  const cases: [string, string, string][] = [
    ['sts.us-east-1.amazonaws.com', '', 'amazonaws.com'],
    ['sts.us-east-1.amazonaws.com', '', '.amazonaws.com'],
    ['sts.us-east-1.amazonaws.com', '', 'sts.us-east-1.amazonaws.com'],
    ['sts.us-east-1.amazonaws.com', '', 'east-1.amazonaws.com'],
    ['sts.us-east-1.amazonaws.com', '', 'zonaws.com'],
    ['sts.us-east-1.amazonaws.com', '', '*'],
    ['sts.us-east-1.amazonaws.com', '443', 'example.com, AMAZONAWS.com'],
    ['sts.us-east-1.amazonaws.com', '443', 'sts.us-east-1.amazonaws.com:443'],
    ['sts.us-east-1.amazonaws.com', '443', 'sts.us-east-1.amazonaws.com:444'],
    ['127.0.0.1', '4566', '127.0.0.1'],
    ['127.0.0.1', '4566', '127.0.0.2,localhost'],
    ['eks.us-east-1.api.aws', '', 'api.aws,,'],
    ['eks.us-east-1.api.aws', '', ''],
  ];
  test('matches urllib.request.proxy_bypass_environment on each case', (t) => {
    if (!requirePeer(t, 'python3')) return;
    const script =
      'import json,sys,urllib.request as u\n' +
      'out=[]\n' +
      'for host,port,no in json.load(sys.stdin):\n' +
      '  out.append(bool(u.proxy_bypass_environment(host+(":"+port if port else ""),{"no":no})) if no else False)\n' +
      'print(json.dumps(out))\n';
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const expected = JSON.parse(run.stdout) as boolean[];
    assert.deepEqual(
      cases.map(([host, port, no]) => bypassesProxy(host, port, no)),
      expected,
    );
    // Not all the same answer: the table exercises both outcomes.
    assert.ok(expected.includes(true) && expected.includes(false));
  });

  test('lower-case variables win, an empty one turns the proxy off, as getproxies_environment does', () => {
    assert.deepEqual(proxyEnv({ HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' }), {
      https: 'http://lower:2',
    });
    assert.deepEqual(proxyEnv({ HTTPS_PROXY: 'http://upper:1', https_proxy: '' }), {});
    assert.deepEqual(proxyEnv({ HTTP_PROXY: 'h:1', NO_PROXY: 'x' }), { http: 'h:1', noProxy: 'x' });
  });

  test('a proxy URL: https URLs take HTTPS_PROXY, a bare host:port is http, credentials become Basic and leave the display', () => {
    const target = new URL('https://sts.us-east-1.amazonaws.com/');
    const choice = proxyFor(target, { https: 'user:p%40ss@proxy.corp:3128', http: 'http://other:1' });
    assert.equal(choice?.display, 'http://proxy.corp:3128');
    assert.equal(choice?.authorization, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    assert.equal(proxyFor(new URL('http://127.0.0.1:1/'), { https: 'http://p:1' }), undefined);
    assert.equal(proxyFor(target, { https: 'http://p:1', noProxy: '.amazonaws.com' }), undefined);
    assert.throws(
      () => proxyFor(target, { https: 'ftp://user:secret@p:1' }),
      (err: EksAuthError) => {
        assert.equal(err.exitCode, ExitCode.config);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      },
    );
  });
});

describe('deadlines of one call', () => {
  test('a server that stalls the TLS handshake: the TLS deadline passes on each attempt', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const server = await startMisbehavingServer('stall-handshake', cert);
    t.after(() => server.stop());
    const s = settings();
    const { err, ms } = await failure(sendHttp({ method: 'GET', url: `${server.url}/?X-Amz-Signature=secret` }, s));
    assert.equal(err.exitCode, ExitCode.network);
    assert.match(
      err.message,
      new RegExp(
        `^no answer from https://127\\.0\\.0\\.1:${server.port}: the 0\\.4 s TLS handshake deadline passed \\(2 attempts\\)$`,
      ),
    );
    assert.doesNotMatch(err.message, /secret|X-Amz/);
    assert.equal(server.connections(), 2);
    assert.ok(ms < 2 * s.tlsTimeoutMs + 200 + MARGIN_MS, `took ${ms} ms`);
  });

  test('a server that accepts the request and never answers: the request deadline passes', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const server = await startMisbehavingServer('silent', cert);
    t.after(() => server.stop());
    const s = settings({ maxAttempts: 1 });
    const { err, ms } = await failure(
      sendHttp({ method: 'POST', url: `${server.url}/`, body: 'Action=GetCallerIdentity' }, s),
    );
    assert.match(err.message, /the 0\.7 s request deadline passed$/);
    assert.equal(err.reason, 'timeout');
    assert.ok(ms >= s.requestTimeoutMs - 50 && ms < s.requestTimeoutMs + MARGIN_MS, `took ${ms} ms`);
  });

  test('a server that trickles a byte a second: the request deadline ends it although bytes keep coming', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const server = await startMisbehavingServer('trickle', cert);
    t.after(() => server.stop());
    const s = settings({ requestTimeoutMs: 1500, callTimeoutMs: 4500, maxAttempts: 1 });
    const { err, ms } = await failure(sendHttp({ method: 'GET', url: `${server.url}/` }, s));
    assert.match(err.message, /the 1\.5 s request deadline passed$/);
    assert.ok(ms < s.requestTimeoutMs + MARGIN_MS, `took ${ms} ms`);
  });

  test('a 10 MB answer is cut off at the size limit, not read into memory, and not retried', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const server = await startMisbehavingServer('huge', cert);
    t.after(() => server.stop());
    // The first MiB takes most of a second to arrive on a busy two-core machine: a roomy deadline.
    const s = settings({ requestTimeoutMs: 8000, callTimeoutMs: 24_000 });
    const { err, ms } = await failure(sendHttp({ method: 'GET', url: `${server.url}/` }, s));
    assert.equal(err.exitCode, ExitCode.network);
    assert.equal(err.reason, 'answer-too-large');
    assert.equal(server.connections(), 1);
    assert.ok(ms < s.requestTimeoutMs + MARGIN_MS, `took ${ms} ms`);
  });

  test('a proxy that never answers CONNECT: the connect deadline passes, naming host and proxy', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const proxy = await startConnectProxy({ route: () => undefined, stall: true });
    t.after(() => proxy.stop());
    const s = settings({ proxy: { https: `http://user:hunter2@127.0.0.1:${proxy.port}` } });
    const { err, ms } = await failure(sendHttp({ method: 'GET', url: 'https://sts.us-east-1.amazonaws.com/' }, s));
    assert.equal(
      err.message,
      `no answer from https://sts.us-east-1.amazonaws.com through the proxy http://127.0.0.1:${proxy.port}: the 0.3 s connect deadline passed (2 attempts)`,
    );
    assert.doesNotMatch(`${err.message} ${err.hint}`, /hunter2/);
    assert.deepEqual(proxy.tunnels(), ['sts.us-east-1.amazonaws.com:443', 'sts.us-east-1.amazonaws.com:443']);
    assert.deepEqual(proxy.authorizations()[0], `Basic ${Buffer.from('user:hunter2').toString('base64')}`);
    assert.ok(ms < 2 * s.connectTimeoutMs + 200 + MARGIN_MS, `took ${ms} ms`);
  });

  test('the overall call deadline cuts retries short and says so', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const server = await startMisbehavingServer('silent', cert);
    t.after(() => server.stop());
    const s = settings({ requestTimeoutMs: 700, callTimeoutMs: 1000, maxAttempts: 5 });
    const { err, ms } = await failure(sendHttp({ method: 'GET', url: `${server.url}/` }, s));
    assert.match(err.message, /the 1 s overall call deadline passed/);
    assert.ok(server.connections() <= 2, `${server.connections()} connections`);
    assert.ok(ms >= 950 && ms < s.callTimeoutMs + MARGIN_MS, `took ${ms} ms`);
  });

  test('backoff is full jitter below min(20 s, base × 2^retry): 100 ms base, 500 ms after throttling', () => {
    assert.equal(
      backoffMs(0, false, () => 0.999),
      99,
    );
    assert.equal(
      backoffMs(2, false, () => 0.5),
      200,
    );
    assert.equal(
      backoffMs(1, true, () => 0.5),
      500,
    );
    assert.equal(
      backoffMs(12, true, () => 0.5),
      10_000,
    );
  });
});

describe('retries and trust', () => {
  async function scriptedServer(statuses: number[], bodies: string[] = []) {
    let n = 0;
    const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      req.resume();
      const status = statuses[Math.min(n, statuses.length - 1)] as number;
      const body = bodies[Math.min(n, bodies.length - 1)] ?? '';
      n++;
      res.writeHead(status, { date: 'Mon, 01 Jan 2024 00:00:00 GMT' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return {
      url: `https://127.0.0.1:${port}/`,
      calls: () => n,
      stop: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  test('5xx and throttling are retried, a 403 is not', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const flaky = await scriptedServer([503, 200], ['', 'ok']);
    t.after(() => flaky.stop());
    const ok = await sendHttp({ method: 'GET', url: flaky.url }, settings());
    assert.equal(ok.status, 200);
    assert.equal(flaky.calls(), 2);

    const throttled = await scriptedServer(
      [400],
      ['<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>'],
    );
    t.after(() => throttled.stop());
    const last = await sendHttp(
      { method: 'GET', url: throttled.url },
      settings({ maxAttempts: 3, callTimeoutMs: 10_000 }),
    );
    assert.equal(last.status, 400);
    assert.equal(throttled.calls(), 3);

    const denied = await scriptedServer(
      [403],
      ['<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>'],
    );
    t.after(() => denied.stop());
    assert.equal((await sendHttp({ method: 'GET', url: denied.url }, settings())).status, 403);
    assert.equal(denied.calls(), 1);
  });

  test('a certificate from an untrusted CA: exit 10, one message naming the host and the problem, a hint naming AWS_CA_BUNDLE, no retry', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const other = makeCa(dir, 'another CA');
    const server = await startMisbehavingServer('silent', issueCert(other, 'untrusted', ['localhost']));
    t.after(() => server.stop());
    const { err } = await failure(sendHttp({ method: 'GET', url: `https://localhost:${server.port}/` }, settings()));
    assert.equal(err.exitCode, ExitCode.tls);
    assert.match(
      err.message,
      new RegExp(
        `^the TLS certificate of localhost:${server.port} was not accepted: .*(unable to verify|self.signed|issuer)`,
        'i',
      ),
    );
    assert.match(err.hint ?? '', /AWS_CA_BUNDLE.*ca_bundle/);
    assert.equal(server.connections(), 1);
  });

  test('a certificate for another host name is refused as well', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    const server = await startMisbehavingServer('silent', issueCert(ca, 'elsewhere', ['elsewhere.example']));
    t.after(() => server.stop());
    const { err } = await failure(sendHttp({ method: 'GET', url: `https://localhost:${server.port}/` }, settings()));
    assert.equal(err.exitCode, ExitCode.tls);
    assert.match(err.message, /altnames/);
  });

  test('the SDK handler: builds the URL from a smithy request, passes the answer and remembers its Date', async (t) => {
    if (!requirePeer(t, 'openssl', 'faketime')) return;
    let seen = '';
    const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      seen = `${req.method} ${req.url} ${req.headers.host}`;
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', date: 'Tue, 02 Jan 2024 03:04:05 GMT' }).end('hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const handler = createSdkRequestHandler(settings());
    const { response } = await handler.handle({
      protocol: 'https:',
      hostname: 'localhost',
      port,
      method: 'GET',
      path: '/federation/credentials',
      query: { role_name: 'a b!', account_id: '111122223333' },
      headers: { host: `localhost:${port}` },
    });
    assert.equal(seen, `GET /federation/credentials?account_id=111122223333&role_name=a%20b%21 localhost:${port}`);
    assert.equal(response.statusCode, 200);
    assert.equal(Buffer.from(response.body).toString(), 'hello');
    assert.equal(handler.lastDate, 'Tue, 02 Jan 2024 03:04:05 GMT');
  });
});
