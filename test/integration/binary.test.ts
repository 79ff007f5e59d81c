/**
 * The standalone binary (npm run build:binary: Bun, bun build --compile), run the way a machine
 * without Node.js runs it:
 * from kubectl through the local kube-apiserver and signature-checking STS (test/peers), and once
 * for every credential source, each served by a local fake on 127.0.0.1 where no peer exists
 * (credential_process script, container endpoint, SSO portal, IMDSv2). PATH holds no node.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanAwsEnv,
  httpsRequest,
  kubectlPath,
  peersAvailable,
  requirePeer,
  runCommand,
  startPeers,
  writeKubeconfig,
  type PeerName,
  type Peers,
} from '../peers/peers';
import { REPO_ROOT, tokenUrl } from '../helpers/built-cli';

const PLATFORM = process.platform === 'win32' ? 'windows' : process.platform;
const BINARY = join(
  REPO_ROOT,
  'build',
  `eks-auth-${PLATFORM}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`,
);
const PEERS: PeerName[] = ['moto_server', 'botocore', 'openssl'];

// Made-up keys; ALICE is known to the STS front.
const ALICE = {
  akid: 'AKIAEKSAUTHBINALICE1',
  secret: 'alice/binary+secret=abcdefghijklmnopqrstu',
  arn: 'arn:aws:iam::111122223333:user/alice',
};
const STATIC = { akid: 'AKIAEKSAUTHBINSTATIC', secret: 'static/binary+secret=abcdefghijklmnopqrs' };
const PROCESS = { akid: 'AKIAEKSAUTHBINPROCES', secret: 'process/binary+secret=abcdefghijklmnopqr' };
const CONTAINER = {
  akid: 'ASIAEKSAUTHBINCONTNR',
  secret: 'container/binary+secret=abcdefghijklmnop',
  token: 'container-session-token',
};
const SSO = {
  akid: 'ASIAEKSAUTHBINSSO001',
  secret: 'sso/binary+secret=abcdefghijklmnopqrstuv',
  token: 'sso-session-token',
};
const IMDS = {
  akid: 'ASIAEKSAUTHBINIMDS01',
  secret: 'imds/binary+secret=abcdefghijklmnopqrstu',
  token: 'imds-session-token',
};

/** True when the binary is built; otherwise skips (outside CI) or fails (CI=true, where CI builds it first). */
function requireBinary(t: { skip(message?: string): void }): boolean {
  if (existsSync(BINARY)) return true;
  const message = `${BINARY} is not built: run \`npm run build:binary\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/** The access key id a token was signed with (the first field of X-Amz-Credential). */
function signingKeyId(token: string): string | undefined {
  return tokenUrl(token).searchParams.get('X-Amz-Credential')?.split('/')[0];
}

interface FakeServer {
  url: string;
  requests: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  stop(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 answering with `handle`; records every request. */
async function startFake(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const inOneHour = () => new Date(Date.now() + 3600_000);

describe('the standalone binary', () => {
  let dir = '';
  /** A PATH with nothing on it: no node, no aws. */
  let emptyBin = '';
  let configFile = '';
  let credentialsFile = '';
  let peers: Peers | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eks-auth-binary-'));
    emptyBin = join(dir, 'empty-bin');
    mkdirSync(emptyBin);
    const processScript = join(dir, 'credential-process.sh');
    writeFileSync(
      processScript,
      `#!/bin/sh\necho '{"Version": 1, "AccessKeyId": "${PROCESS.akid}", "SecretAccessKey": "${PROCESS.secret}"}'\n`,
    );
    chmodSync(processScript, 0o755);
    configFile = join(dir, 'aws-config');
    writeFileSync(
      configFile,
      [
        '[profile base]',
        `aws_access_key_id = ${ALICE.akid}`,
        `aws_secret_access_key = ${ALICE.secret}`,
        '',
        '[profile admin]',
        'role_arn = arn:aws:iam::444455556666:role/eks-admin',
        'source_profile = base',
        'role_session_name = binary',
        '',
        '[profile tool]',
        `credential_process = ${processScript}`,
        '',
        '[profile sso-dev]',
        'sso_session = corp',
        'sso_account_id = 777788889999',
        'sso_role_name = Developer',
        '',
        '[sso-session corp]',
        'sso_start_url = https://corp.awsapps.com/start',
        'sso_region = us-east-1',
        'sso_registration_scopes = sso:account:access',
        '',
      ].join('\n'),
    );
    credentialsFile = join(dir, 'aws-credentials');
    writeFileSync(
      credentialsFile,
      `[static]\naws_access_key_id = ${STATIC.akid}\naws_secret_access_key = ${STATIC.secret}\n`,
    );
    if (existsSync(BINARY) && peersAvailable(PEERS)) {
      peers = await startPeers({
        clusterId: 'demo',
        staticKeys: { [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn } },
      });
    }
  });
  after(async () => {
    await peers?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The binary's environment: no node on PATH, the test's AWS files, no cache, region us-east-1. */
  function env(extra: Record<string, string | undefined> = {}, home?: string): NodeJS.ProcessEnv {
    return cleanAwsEnv({
      configFile,
      credentialsFile,
      ...(home ? { home } : {}),
      env: { PATH: emptyBin, AWS_REGION: 'us-east-1', EKS_AUTH_NO_CACHE: '1', ...extra },
    });
  }

  /** `eks-auth token --cluster demo --token-only` from the binary; returns the token. */
  async function binaryToken(extraArgs: string[], environment: NodeJS.ProcessEnv): Promise<string> {
    const res = await runCommand(BINARY, ['token', '--cluster', 'demo', '--token-only', ...extraArgs], {
      env: environment,
      timeoutMs: 30_000,
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '', 'nothing on stderr: no runtime warning, no eks-auth warning');
    return res.stdout.trim();
  }

  function stsEnv(p: Peers, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    // NODE_EXTRA_CA_CERTS: Bun reads it as Node.js does (binary-bun.test.ts checks it is needed).
    return env({ AWS_ENDPOINT_URL_STS: p.sts.url, NODE_EXTRA_CA_CERTS: p.caFile, ...extra });
  }

  test('--version prints the package version and the commit it was built from', async (t) => {
    if (!requireBinary(t)) return;
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const res = await runCommand(BINARY, ['--version'], { env: env() });
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout.trim(),
      new RegExp(`^${version.replace(/\./g, '\\.')} \\(commit ([0-9a-f]{7,40}|unknown)\\)$`),
    );
  });

  test('a copy alone in an empty directory signs a token with no Node.js on PATH', async (t) => {
    if (!requireBinary(t)) return;
    const alone = join(dir, 'alone');
    mkdirSync(alone, { recursive: true });
    const copy = join(alone, 'eks-auth');
    copyFileSync(BINARY, copy);
    chmodSync(copy, 0o755);
    const res = await runCommand(copy, ['token', '--cluster', 'demo'], {
      env: env({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret }),
      cwd: alone,
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    const credential = JSON.parse(res.stdout) as { kind: string; status: { token: string } };
    assert.equal(credential.kind, 'ExecCredential');
    assert.equal(signingKeyId(credential.status.token), ALICE.akid);
  });

  test('kubectl 1.33 gets pods through a v1 exec entry whose command is the binary', async (t) => {
    if (!requireBinary(t) || !requirePeer(t, ...PEERS, 'kubectl.1.33')) return;
    const p = peers as Peers;
    const kubeconfig = join(dir, 'kubeconfig-v1');
    writeKubeconfig(kubeconfig, {
      server: p.kube.server,
      caData: p.kube.caData,
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: BINARY,
        args: ['token', '--cluster', 'demo'],
        interactiveMode: 'Never',
      },
    });
    const before = p.kube.outcomes.length;
    const res = await runCommand(kubectlPath(33), ['--kubeconfig', kubeconfig, 'get', 'pods'], {
      env: stsEnv(p, { AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret }),
      timeoutMs: 60_000,
    });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /hello/);
    const outcomes = p.kube.outcomes.slice(before);
    assert.ok(outcomes.length > 0 && outcomes.every((o) => o.ok && o.arn === ALICE.arn), JSON.stringify(outcomes));
  });

  test('kubectl 1.33 runs an `aws eks update-kubeconfig` entry pointed at the binary, which assumes the profile role', async (t) => {
    if (!requireBinary(t) || !requirePeer(t, ...PEERS, 'kubectl.1.33')) return;
    const p = peers as Peers;
    const kubeconfig = join(dir, 'kubeconfig-v1beta1');
    writeKubeconfig(kubeconfig, {
      server: p.kube.server,
      caData: p.kube.caData,
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: BINARY,
        args: ['--region', 'us-east-1', 'eks', 'get-token', '--cluster-name', 'demo', '--output', 'json'],
        env: { AWS_PROFILE: 'admin' },
      },
    });
    const before = p.kube.outcomes.length;
    const res = await runCommand(kubectlPath(33), ['--kubeconfig', kubeconfig, 'get', 'pods'], {
      env: stsEnv(p),
      timeoutMs: 60_000,
    });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /hello/);
    // moto names assumed-role sessions arn:aws:sts::<account of the role>:assumed-role/<role>/<session>.
    assert.equal(p.kube.outcomes[before]?.arn, 'arn:aws:sts::444455556666:assumed-role/eks-admin/binary');
  });

  describe('signs with every credential source', () => {
    test('environment keys', async (t) => {
      if (!requireBinary(t)) return;
      const token = await binaryToken([], env({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret }));
      assert.equal(signingKeyId(token), ALICE.akid);
    });

    test('static keys of a profile in the credentials file', async (t) => {
      if (!requireBinary(t)) return;
      assert.equal(signingKeyId(await binaryToken(['--profile', 'static'], env())), STATIC.akid);
    });

    test('a role chain (source_profile -> role_arn) through the signature-checking STS', async (t) => {
      if (!requireBinary(t) || !requirePeer(t, ...PEERS)) return;
      const p = peers as Peers;
      const start = p.sts.calls().length;
      const token = await binaryToken(['--profile', 'admin'], stsEnv(p));
      const assumed = p.sts
        .calls()
        .slice(start)
        .filter((c) => c.action === 'AssumeRole');
      assert.equal(assumed.length, 1);
      assert.ok(assumed[0]?.ok && assumed[0].akid === ALICE.akid, JSON.stringify(assumed));
      assert.equal(signingKeyId(token), assumed[0]?.issuedAkid);
      // And the kube-api, replaying it to STS, accepts it as the role session.
      const res = await httpsRequest(`${p.kube.server}/api/v1/namespaces/default/pods`, {
        ca: p.kube.caPem,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200, res.body);
    });

    test('web identity from AWS_WEB_IDENTITY_TOKEN_FILE (IRSA)', async (t) => {
      if (!requireBinary(t) || !requirePeer(t, ...PEERS)) return;
      const p = peers as Peers;
      const tokenFile = join(dir, 'web-identity-token');
      writeFileSync(
        tokenFile,
        'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpiaW5hcnkifQ.c2ln',
      );
      const start = p.sts.calls().length;
      const token = await binaryToken(
        [],
        stsEnv(p, {
          AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
          AWS_ROLE_ARN: 'arn:aws:iam::666677778888:role/pod-role',
          AWS_ROLE_SESSION_NAME: 'pod',
        }),
      );
      const call = p.sts
        .calls()
        .slice(start)
        .find((c) => c.action === 'AssumeRoleWithWebIdentity');
      assert.ok(call?.ok && call.roleArn === 'arn:aws:iam::666677778888:role/pod-role', JSON.stringify(call));
      assert.equal(signingKeyId(token), call.issuedAkid);
    });

    test('credential_process (a shell script printing JSON)', async (t) => {
      if (!requireBinary(t)) return;
      assert.equal(signingKeyId(await binaryToken(['--profile', 'tool'], env())), PROCESS.akid);
    });

    test('container credentials from AWS_CONTAINER_CREDENTIALS_FULL_URI with an authorization token', async (t) => {
      if (!requireBinary(t)) return;
      const server = await startFake((req, res) => {
        if (req.url !== '/creds' || req.headers.authorization !== 'pod-identity-secret')
          return json(res, 403, { message: 'denied' });
        json(res, 200, {
          AccessKeyId: CONTAINER.akid,
          SecretAccessKey: CONTAINER.secret,
          Token: CONTAINER.token,
          Expiration: inOneHour().toISOString(),
        });
      });
      t.after(() => server.stop());
      const token = await binaryToken(
        [],
        env({
          AWS_CONTAINER_CREDENTIALS_FULL_URI: `${server.url}/creds`,
          AWS_CONTAINER_AUTHORIZATION_TOKEN: 'pod-identity-secret',
        }),
      );
      assert.equal(signingKeyId(token), CONTAINER.akid);
      assert.equal(tokenUrl(token).searchParams.get('X-Amz-Security-Token'), CONTAINER.token);
      assert.ok(server.requests.some((r) => r.path === '/creds'));
    });

    test('SSO (sso_session) from the cached SSO token, against a local SSO portal', async (t) => {
      if (!requireBinary(t)) return;
      const accessToken = 'cached-sso-access-token';
      const server = await startFake((req, res) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        if (
          url.pathname !== '/federation/credentials' ||
          url.searchParams.get('account_id') !== '777788889999' ||
          url.searchParams.get('role_name') !== 'Developer' ||
          req.headers['x-amz-sso_bearer_token'] !== accessToken
        ) {
          return json(res, 401, { message: 'Session token not found or invalid' });
        }
        json(res, 200, {
          roleCredentials: {
            accessKeyId: SSO.akid,
            secretAccessKey: SSO.secret,
            sessionToken: SSO.token,
            expiration: inOneHour().getTime(),
          },
        });
      });
      t.after(() => server.stop());
      // What `aws sso login` leaves: ~/.aws/sso/cache/<sha1 of the sso-session name>.json.
      const home = join(dir, 'sso-home');
      const cacheDir = join(home, '.aws', 'sso', 'cache');
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(
        join(cacheDir, `${createHash('sha1').update('corp').digest('hex')}.json`),
        JSON.stringify({
          startUrl: 'https://corp.awsapps.com/start',
          region: 'us-east-1',
          accessToken,
          expiresAt: inOneHour().toISOString(),
        }),
      );
      const token = await binaryToken(['--profile', 'sso-dev'], env({ AWS_ENDPOINT_URL_SSO: server.url }, home));
      assert.equal(signingKeyId(token), SSO.akid);
      assert.ok(server.requests.some((r) => r.path.startsWith('/federation/credentials')));
    });

    test('EC2 instance metadata (IMDSv2: session token first)', async (t) => {
      if (!requireBinary(t)) return;
      const imdsToken = 'imds-v2-session';
      const server = await startFake((req, res) => {
        if (
          req.method === 'PUT' &&
          req.url === '/latest/api/token' &&
          req.headers['x-aws-ec2-metadata-token-ttl-seconds']
        ) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end(imdsToken);
        }
        if (req.headers['x-aws-ec2-metadata-token'] !== imdsToken) return json(res, 401, {});
        // Newer SDKs ask the extended path first and fall back to the classic one.
        const path = (req.url ?? '').replace('/security-credentials-extended/', '/security-credentials/');
        if (path === '/latest/meta-data/iam/security-credentials/') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end('node-role');
        }
        if (path === '/latest/meta-data/iam/security-credentials/node-role') {
          return json(res, 200, {
            Code: 'Success',
            Type: 'AWS-HMAC',
            LastUpdated: new Date().toISOString(),
            AccessKeyId: IMDS.akid,
            SecretAccessKey: IMDS.secret,
            Token: IMDS.token,
            Expiration: inOneHour().toISOString(),
          });
        }
        res.writeHead(404);
        res.end();
      });
      t.after(() => server.stop());
      const token = await binaryToken(
        [],
        env({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: server.url }),
      );
      assert.equal(signingKeyId(token), IMDS.akid);
      assert.equal(server.requests[0]?.method, 'PUT', 'IMDSv2 asks for a session token before anything else');
    });
  });
});
