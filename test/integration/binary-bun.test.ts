/**
 * Where the Bun runtime of the standalone binary (npm run build:binary) could differ from Node.js,
 * pinned against the binary itself:
 * - socket timeouts: an instance-metadata endpoint or a container endpoint that accepts and never
 *   answers must be given up on after the SDK's request timeouts (oven-sh/bun#34812 made
 *   `socket.setTimeout` a no-op on client requests in some versions; the SDK relies on it);
 * - TLS trust: the binary trusts the test CA only through NODE_EXTRA_CA_CERTS (oven-sh/bun#13868:
 *   read once at start-up, nothing embedded), and refuses the same STS without it;
 * - a compiled Bun program reads `.env` from the working directory unless built not to: it must not;
 * - the kubectl plugin: `kubectl eks-auth token` through real kubectl, and the entries that
 *   `kubectl eks-auth kubeconfig` writes.
 * The MFA prompt on a terminal runs against the binary in mfa.test.ts; the http.Agent options the
 * SDK's request handler sets (keep-alive, socket timeouts) are exercised by the timeouts here and
 * by the role-chain and kubectl runs in binary.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
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
  type PeerName,
  type Peers,
} from '../peers/peers';
import { REPO_ROOT, tokenUrl } from '../helpers/built-cli';

const OS = process.platform === 'win32' ? 'windows' : process.platform;
const BINARY = join(REPO_ROOT, 'build', `eks-auth-${OS}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`);
const PEERS: PeerName[] = ['moto_server', 'botocore', 'openssl'];
// Made-up keys; ALICE is known to the STS front.
const ALICE = {
  akid: 'AKIAEKSAUTHBUNALICE1',
  secret: 'alice/bun+secret=abcdefghijklmnopqrstuvw',
  arn: 'arn:aws:iam::111122223333:user/alice',
};
const DOTENV = { akid: 'AKIAEKSAUTHBUNDOTENV', secret: 'dotenv/bun+secret=abcdefghijklmnopqrstuv' };

function requireBinary(t: { skip(message?: string): void }): boolean {
  if (existsSync(BINARY)) return true;
  const message = `${BINARY} is not built: run \`npm run build:binary\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers; counts them. */
async function startSilent(): Promise<{ url: string; connections: () => number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('the standalone binary on Bun', () => {
  let dir = '';
  let peers: Peers | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eks-auth-bun-'));
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

  const env = (extra: Record<string, string | undefined> = {}) =>
    cleanAwsEnv({ env: { PATH: join(dir, 'no-bin'), AWS_REGION: 'us-east-1', EKS_AUTH_NO_CACHE: '1', ...extra } });

  test('an instance-metadata endpoint that never answers is given up on: exit 4 within the SDK timeouts', async (t) => {
    if (!requireBinary(t)) return;
    const silent = await startSilent();
    t.after(() => silent.stop());
    const started = Date.now();
    // sdk-sources.ts: fromInstanceMetadata({ timeout: 1000, maxRetries: 0 }), a token PUT then the
    // credentials GET: about 2 s. 20 s is the margin for a slow machine; a timeout that never fires hangs.
    const res = await runCommand(BINARY, ['token', '--cluster', 'demo'], {
      env: env({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: silent.url }),
      timeoutMs: 20_000,
    });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(res.code, 4, `exit ${res.code} after ${seconds} s: ${res.stderr}`);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^error: .*instance metadata/im);
    assert.ok(silent.connections() >= 1, 'the binary did ask the metadata endpoint');
  });

  test('a container-credentials endpoint that never answers is given up on: exit 5 once its deadlines pass', async (t) => {
    if (!requireBinary(t)) return;
    const silent = await startSilent();
    t.after(() => silent.stop());
    // The HTTP layer gives container credentials 2 s an attempt and 3 attempts (README, Networks); a
    // default chain whose probe hit the network exits 5, not 4. 30 s is the margin.
    const res = await runCommand(BINARY, ['token', '--cluster', 'demo'], {
      env: env({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${silent.url}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'x' }),
      timeoutMs: 30_000,
    });
    assert.equal(res.code, 5, res.stderr);
    assert.match(
      res.stderr,
      /^error: .*could not get container credentials: no answer from http:\/\/127\.0\.0\.1:\d+: the \d+ s overall call deadline passed/m,
    );
    assert.ok(silent.connections() >= 1);
  });

  test('NODE_EXTRA_CA_CERTS: the HTTPS STS of the test CA is trusted with it, refused without it', async (t) => {
    if (!requireBinary(t) || !requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const config = join(dir, 'ca-config');
    writeFileSync(
      config,
      `[profile base]\naws_access_key_id = ${ALICE.akid}\naws_secret_access_key = ${ALICE.secret}\n\n[profile admin]\nrole_arn = arn:aws:iam::444455556666:role/eks-admin\nsource_profile = base\n`,
    );
    const run = (extra: Record<string, string>) =>
      runCommand(BINARY, ['token', '--cluster', 'demo', '--profile', 'admin', '--token-only'], {
        env: cleanAwsEnv({
          configFile: config,
          env: {
            PATH: join(dir, 'no-bin'),
            AWS_REGION: 'us-east-1',
            EKS_AUTH_NO_CACHE: '1',
            AWS_ENDPOINT_URL_STS: p.sts.url,
            ...extra,
          },
        }),
        timeoutMs: 60_000,
      });
    const refused = await run({});
    assert.notEqual(refused.code, 0, 'an unknown CA must not be trusted');
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /certificate|self[- ]signed|verify/i);
    const trusted = await run({ NODE_EXTRA_CA_CERTS: p.caFile });
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.match(trusted.stdout, /^k8s-aws-v1\./);
  });

  test('a .env file in the working directory is not read (the binary is built with --no-compile-autoload-dotenv)', async (t) => {
    if (!requireBinary(t)) return;
    const cwd = join(dir, 'with-dotenv');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, '.env'), `AWS_ACCESS_KEY_ID=${DOTENV.akid}\nAWS_SECRET_ACCESS_KEY=${DOTENV.secret}\n`);
    const none = await runCommand(BINARY, ['token', '--cluster', 'demo', '--token-only'], { env: env(), cwd });
    assert.equal(none.code, 4, `no credentials without the .env: ${none.stdout}${none.stderr}`);
    const keys = await runCommand(BINARY, ['token', '--cluster', 'demo', '--token-only'], {
      env: env({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret }),
      cwd,
    });
    assert.equal(keys.code, 0, keys.stderr);
    assert.equal(tokenUrl(keys.stdout.trim()).searchParams.get('X-Amz-Credential')?.split('/')[0], ALICE.akid);
  });

  test('as a kubectl plugin: `kubectl eks-auth token`, and `kubectl eks-auth kubeconfig` entries that kubectl 1.33 uses', async (t) => {
    if (!requireBinary(t) || !requirePeer(t, ...PEERS, 'kubectl.1.33')) return;
    const p = peers as Peers;
    // What krew and the Homebrew formula install: kubectl-eks_auth on PATH, next to kubectl.
    const bin = join(dir, 'plugin-bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(BINARY, join(bin, 'kubectl-eks_auth'));
    symlinkSync(kubectlPath(33), join(bin, 'kubectl'));
    const pluginEnv = cleanAwsEnv({
      caFile: p.caFile,
      env: {
        PATH: bin,
        AWS_REGION: 'us-east-1',
        EKS_AUTH_NO_CACHE: '1',
        AWS_ACCESS_KEY_ID: ALICE.akid,
        AWS_SECRET_ACCESS_KEY: ALICE.secret,
        AWS_ENDPOINT_URL_STS: p.sts.url,
      },
    });

    const token = await runCommand(join(bin, 'kubectl'), ['eks-auth', 'token', '--cluster', 'demo', '--token-only'], {
      env: pluginEnv,
      timeoutMs: 30_000,
    });
    assert.equal(token.code, 0, token.stderr);
    const replay = await httpsRequest(`${p.kube.server}/api/v1/namespaces/default/pods`, {
      ca: p.kube.caPem,
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    assert.equal(replay.status, 200, replay.body);

    const help = await runCommand(join(bin, 'kubectl'), ['eks-auth', 'kubeconfig', '--help'], { env: pluginEnv });
    assert.match(help.stdout, /^kubectl eks-auth kubeconfig/m, 'usage names the plugin');

    const kubeconfig = join(dir, 'plugin-kubeconfig');
    const written = await runCommand(
      join(bin, 'kubectl'),
      [
        'eks-auth',
        'kubeconfig',
        '--cluster',
        'demo',
        '--region',
        'us-east-1',
        '--server',
        p.kube.server,
        '--ca-data',
        p.kube.caData,
        '--kubeconfig',
        kubeconfig,
      ],
      { env: pluginEnv },
    );
    assert.equal(written.code, 0, written.stderr);
    const text = readFileSync(kubeconfig, 'utf8');
    assert.match(text, /command: kubectl\n\s+args:\n\s+- eks-auth\n\s+- token\n\s+- --cluster\n\s+- demo\n/, text);
    const before = p.kube.outcomes.length;
    const pods = await runCommand(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, 'get', 'pods'], {
      env: pluginEnv,
      timeoutMs: 60_000,
    });
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stdout, /hello/);
    assert.ok(
      p.kube.outcomes.slice(before).some((o) => o.ok && o.arn === ALICE.arn),
      JSON.stringify(p.kube.outcomes.slice(before)),
    );
  });

  test('kubeconfig writes `eks-auth token` by default and `kubectl eks-auth token` with --kubectl-plugin', async (t) => {
    if (!requireBinary(t)) return;
    const caData = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64');
    const args = [
      'kubeconfig',
      '--cluster',
      'demo',
      '--region',
      'us-east-1',
      '--server',
      'https://127.0.0.1:1',
      '--ca-data',
      caData,
      '--dry-run',
    ];
    const plain = await runCommand(BINARY, args, { env: env() });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /command: eks-auth\n\s+args:\n\s+- token\n/);
    const plugin = await runCommand(BINARY, [...args, '--kubectl-plugin'], { env: env() });
    assert.equal(plugin.code, 0, plugin.stderr);
    assert.match(plugin.stdout, /command: kubectl\n\s+args:\n\s+- eks-auth\n\s+- token\n/);
  });
});
