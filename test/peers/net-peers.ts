/**
 * Peers for the network tests, all on 127.0.0.1: a private CA and certificates it signs for any host
 * names (the real AWS hosts included), servers that misbehave in the ways real networks do (accept
 * and never answer, stall the TLS handshake, trickle a byte a second, send 10 MB), a logging CONNECT
 * proxy, and a small EKS DescribeCluster peer.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export interface Ca {
  certFile: string;
  keyFile: string;
  certPem: string;
  dir: string;
}

/** Certificates start a day back (openssl run under faketime): tests that slow eks-auth's clock down still find them valid. */
function openssl(args: string[]): void {
  execFileSync('faketime', ['-f', '-1d', 'openssl', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A private CA (P-256, valid from yesterday for 3 days) in `dir`, named `name`. */
export function makeCa(dir: string, name = 'eks-auth test CA'): Ca {
  const slug = name.replace(/\W+/g, '-');
  const certFile = join(dir, `${slug}.pem`);
  const keyFile = join(dir, `${slug}.key`);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '3',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), dir };
}

export interface ServerCert {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
}

/** A server certificate signed by `ca` for the DNS names given and 127.0.0.1. */
export function issueCert(ca: Ca, label: string, dnsNames: readonly string[]): ServerCert {
  const keyFile = join(ca.dir, `${label}.key`);
  const csrFile = join(ca.dir, `${label}.csr`);
  const certFile = join(ca.dir, `${label}.pem`);
  const extFile = join(ca.dir, `${label}.ext`);
  const san = ['IP:127.0.0.1', ...dnsNames.map((n) => `DNS:${n}`)].join(',');
  writeFileSync(extFile, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    csrFile,
    '-subj',
    `/CN=${dnsNames[0] ?? '127.0.0.1'}`,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    csrFile,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '3',
    '-extfile',
    extFile,
  ]);
  return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

export interface Peer {
  port: number;
  /** `https://127.0.0.1:PORT` (or http for the plain ones). */
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

function listen(
  server: Server | HttpServer,
  sockets: Set<Socket>,
  scheme: string,
  counter: { n: number },
): Promise<Peer> {
  server.on('connection', (socket: Socket) => {
    counter.n++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        url: `${scheme}://127.0.0.1:${port}`,
        connections: () => counter.n,
        stop: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** How a misbehaving server misbehaves. */
export type Misbehaviour = 'stall-handshake' | 'silent' | 'trickle' | 'huge';

/**
 * A server that misbehaves: `stall-handshake` accepts TCP and never says a word (a TLS client
 * waits for the ServerHello forever); `silent` reads the request and never answers; `trickle`
 * answers 200 with headers, then one body byte a second; `huge` answers 200 with a 10 MB body.
 * HTTPS with `cert`, plain HTTP without.
 */
export async function startMisbehavingServer(kind: Misbehaviour, cert?: ServerCert): Promise<Peer> {
  const sockets = new Set<Socket>();
  const counter = { n: 0 };
  if (kind === 'stall-handshake')
    return listen(
      createNetServer(() => {}),
      sockets,
      cert ? 'https' : 'http',
      counter,
    );
  const timers = new Set<ReturnType<typeof setInterval>>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (kind === 'silent') return;
    if (kind === 'huge') {
      const body = Buffer.alloc(10 * 1024 * 1024, 0x20);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
    res.write('{');
    const timer = setInterval(() => res.write(' '), 1000);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  };
  const server = cert
    ? createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, handler)
    : createHttpServer(handler);
  const peer = await listen(server, sockets, cert ? 'https' : 'http', counter);
  return {
    ...peer,
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      await peer.stop();
    },
  };
}

export interface ConnectProxy extends Peer {
  /** The `host:port` each CONNECT asked for, in order. */
  tunnels(): string[];
  /** The Proxy-Authorization header of each CONNECT ('' when none). */
  authorizations(): string[];
}

export interface ConnectProxyOptions {
  /** Where a tunnel to `host:port` really goes; undefined refuses it with 502. */
  route(authority: string): number | undefined;
  /** Never answer CONNECT at all (a stalled proxy). */
  stall?: boolean;
}

/** A CONNECT proxy that logs the host each tunnel asks for and forwards it to a local port. */
export async function startConnectProxy(options: ConnectProxyOptions): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const authority = req.url ?? '';
    tunnels.push(authority);
    authorizations.push(req.headers['proxy-authorization'] ?? '');
    client.on('error', () => {});
    if (options.stall) return;
    const port = options.route(authority);
    if (port === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  const peer = await listen(server, sockets, 'http', { n: 0 });
  return { ...peer, tunnels: () => [...tunnels], authorizations: () => [...authorizations] };
}

export interface EksPeer extends Peer {
  /** The Host header of each request, in order. */
  hosts(): string[];
}

/**
 * An EKS API peer for DescribeCluster (REST-JSON, GET /clusters/NAME) over HTTPS with `cert`. It
 * does not check signatures (the tests here are about where calls go and how long they take), only
 * their time, as EKS does: an X-Amz-Date more than 5 minutes from its clock gets 403
 * InvalidSignatureException "Signature expired" / "Signature not yet current", the SigV4 wording.
 */
export async function startEksPeer(
  cert: ServerCert,
  clusters: Record<string, { endpoint: string; caData: string }>,
): Promise<EksPeer> {
  const hosts: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    hosts.push(req.headers.host ?? '');
    req.resume();
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const signedAt = Date.parse(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    if (!Number.isNaN(signedAt) && Math.abs(Date.now() - signedAt) > 5 * 60_000) {
      const said =
        signedAt < Date.now()
          ? `Signature expired: ${amzDate} is now earlier than the allowed window`
          : `Signature not yet current: ${amzDate} is still later than the allowed window`;
      res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidSignatureException' });
      res.end(JSON.stringify({ message: said }));
      return;
    }
    const name = decodeURIComponent(/^\/clusters\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '');
    const cluster = clusters[name];
    if (req.method !== 'GET' || !cluster) {
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
      res.end(JSON.stringify({ message: `No cluster found for name: ${name}.` }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        cluster: {
          name,
          arn: `arn:aws:eks:us-east-1:111122223333:cluster/${name}`,
          status: 'ACTIVE',
          endpoint: cluster.endpoint,
          certificateAuthority: { data: cluster.caData },
        },
      }),
    );
  });
  const peer = await listen(server, sockets, 'https', { n: 0 });
  return { ...peer, hosts: () => [...hosts] };
}
