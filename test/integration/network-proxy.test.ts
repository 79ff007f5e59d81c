/**
 * Corporate networks: a logging CONNECT proxy tunnels every call to the local STS (sts-front.py on
 * moto) or EKS peer, whose certificate names the real AWS hosts and is signed by a private CA. The
 * hosts each tunnel asks for are compared with what the AWS CLI asks for through the same proxy
 * (the oracle), for the default, FIPS and dual-stack settings; then NO_PROXY, AWS_CA_BUNDLE against
 * the profile's ca_bundle, NODE_EXTRA_CA_CERTS, an untrusted CA (exit 10 in every command),
 * NODE_TLS_REJECT_UNAUTHORIZED=0 and proxy credentials.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExitCode } from '../../src/errors';
import { BINARY, BUNDLE, runBuild, type Build } from '../helpers/builds';
import { tokenUrl } from '../helpers/built-cli';
import {
  issueCert,
  makeCa,
  startConnectProxy,
  startEksPeer,
  type Ca,
  type ConnectProxy,
  type EksPeer,
} from '../peers/net-peers';
import {
  cleanAwsEnv,
  peersAvailable,
  requirePeer,
  runCommand,
  startMoto,
  startStsFront,
  type Moto,
  type PeerName,
  type StsFront,
} from '../peers/peers';

const PEERS: PeerName[] = ['moto_server', 'botocore', 'openssl', 'aws'];
// Made-up keys the STS front knows.
const ALICE = {
  akid: 'AKIAEKSAUTHNETPROXY1',
  secret: 'net/proxy+secret=abcdefghijklmnopqrstuv',
  arn: 'arn:aws:iam::111122223333:user/alice',
};
/** The hosts botocore's endpoint rulesets give for us-east-1 (REFERENCE: STS and EKS rule sets); the AWS CLI is asked too. */
const HOSTS = {
  default: { sts: 'sts.us-east-1.amazonaws.com:443', eks: 'eks.us-east-1.amazonaws.com:443' },
  fips: { sts: 'sts-fips.us-east-1.amazonaws.com:443', eks: 'fips.eks.us-east-1.amazonaws.com:443' },
  dualstack: { sts: 'sts.us-east-1.api.aws:443', eks: 'eks.us-east-1.api.aws:443' },
} as const;
const MODES: Record<keyof typeof HOSTS, Record<string, string>> = {
  default: {},
  fips: { AWS_USE_FIPS_ENDPOINT: 'true' },
  dualstack: { AWS_USE_DUALSTACK_ENDPOINT: 'true' },
};

let dir: string;
let ca: Ca;
let otherCa: Ca;
let moto: Moto | undefined;
let sts: StsFront | undefined;
let eks: EksPeer | undefined;
let proxy: ConnectProxy | undefined;
let configFile: string;
let credentialsFile: string;

before(async () => {
  if (!peersAvailable(PEERS)) return;
  dir = mkdtempSync(join(tmpdir(), 'eks-auth-net-proxy-'));
  ca = makeCa(dir);
  otherCa = makeCa(dir, 'another CA');
  const names = [
    ...Object.values(HOSTS).flatMap((h) => [h.sts, h.eks].map((a) => a.replace(/:443$/, ''))),
    'localhost',
  ];
  const cert = issueCert(ca, 'aws-hosts', names);
  moto = await startMoto();
  sts = await startStsFront({
    motoUrl: moto.url,
    staticKeys: { [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn } },
    tls: cert,
  });
  eks = await startEksPeer(cert, {
    demo: {
      endpoint: 'https://demo.example.eks.amazonaws.com',
      caData: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64'),
    },
  });
  const stsPort = Number(new URL(sts.url).port);
  const eksPort = eks.port;
  proxy = await startConnectProxy({
    route: (authority) =>
      authority.startsWith('127.0.0.1:')
        ? Number(authority.slice(10))
        : authority.startsWith('sts')
          ? stsPort
          : authority.includes('eks')
            ? eksPort
            : undefined,
  });
  configFile = join(dir, 'config');
  credentialsFile = join(dir, 'credentials');
  writeFileSync(
    configFile,
    [
      '[profile alice]',
      'region = us-east-1',
      '',
      '[profile role]',
      'role_arn = arn:aws:iam::222233334444:role/net-proxy',
      'source_profile = alice',
      'region = us-east-1',
      '',
      '[profile bundled]',
      'region = us-east-1',
      `ca_bundle = ${ca.certFile}`,
      '',
      '[profile wrong-bundle]',
      'region = us-east-1',
      `ca_bundle = ${otherCa.certFile}`,
      '',
    ].join('\n'),
  );
  const keys = `aws_access_key_id = ${ALICE.akid}\naws_secret_access_key = ${ALICE.secret}\n`;
  writeFileSync(credentialsFile, ['alice', 'bundled', 'wrong-bundle'].map((p) => `[${p}]\n${keys}`).join('\n'), {
    mode: 0o600,
  });
});

after(async () => {
  await proxy?.stop();
  await eks?.stop();
  await sts?.stop();
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cleanAwsEnv({
    configFile,
    credentialsFile,
    env: {
      HTTPS_PROXY: `http://127.0.0.1:${(proxy as ConnectProxy).port}`,
      AWS_CA_BUNDLE: ca.certFile,
      EKS_AUTH_NO_CACHE: '1',
      AWS_MAX_ATTEMPTS: '1',
      ...extra,
    },
  });
}

/** The tunnels `run` opened. */
async function tunnelsOf(run: () => Promise<unknown>): Promise<string[]> {
  const start = (proxy as ConnectProxy).tunnels().length;
  await run();
  return (proxy as ConnectProxy).tunnels().slice(start);
}

async function ok(build: Build, args: string[], environment: NodeJS.ProcessEnv, input?: string) {
  const res = await runBuild(build, args, environment, input === undefined ? {} : { input });
  assert.equal(res.code, 0, `eks-auth ${args.join(' ')}: ${res.stderr}`);
  return res;
}

describe('hosts through a CONNECT proxy, with the AWS CLI as the oracle', () => {
  for (const mode of Object.keys(HOSTS) as (keyof typeof HOSTS)[]) {
    test(`${mode}: whoami and kubeconfig's DescribeCluster tunnel to the hosts the AWS CLI uses`, async (t) => {
      if (!requirePeer(t, ...PEERS)) return;
      const e = env({ ...MODES[mode], AWS_PROFILE: 'alice' });
      const ours = await tunnelsOf(async () => {
        const who = await ok(BUNDLE, ['whoami', '--json'], e);
        assert.equal((JSON.parse(who.stdout) as { arn: string }).arn, ALICE.arn);
        await ok(BUNDLE, ['kubeconfig', '--cluster', 'demo', '--region', 'us-east-1', '--dry-run'], e);
      });
      const theirs = await tunnelsOf(async () => {
        const sts = await runCommand('aws', ['sts', 'get-caller-identity', '--region', 'us-east-1'], { env: e });
        assert.equal(sts.code, 0, sts.stderr);
        const eksRes = await runCommand('aws', ['eks', 'describe-cluster', '--name', 'demo', '--region', 'us-east-1'], {
          env: e,
        });
        assert.equal(eksRes.code, 0, eksRes.stderr);
      });
      assert.deepEqual(theirs, [HOSTS[mode].sts, HOSTS[mode].eks], 'the AWS CLI (oracle) agrees with the rule sets');
      assert.deepEqual(ours, theirs);
    });
  }

  test('a FIPS token is presigned for the FIPS host, and verify replays it there through the proxy', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const e = env({ ...MODES.fips, AWS_PROFILE: 'role' });
    const tunnels = await tunnelsOf(async () => {
      const made = await ok(BUNDLE, ['token', '--cluster', 'demo', '--token-only'], e);
      const token = made.stdout.trim();
      assert.equal(tokenUrl(token).host, 'sts-fips.us-east-1.amazonaws.com');
      const verified = await ok(BUNDLE, ['verify', '--cluster', 'demo', '--json'], env(), token);
      assert.match(
        (JSON.parse(verified.stdout) as { arn: string }).arn,
        /^arn:aws:sts::222233334444:assumed-role\/net-proxy\//,
      );
    });
    // AssumeRole, then verify's replay: both to the FIPS host.
    assert.deepEqual(tunnels, [HOSTS.fips.sts, HOSTS.fips.sts]);
  });

  test('the standalone binary tunnels to the same hosts', async (t) => {
    if (!requirePeer(t, ...PEERS) || !BINARY.ready(t)) return;
    for (const mode of Object.keys(HOSTS) as (keyof typeof HOSTS)[]) {
      const e = env({ ...MODES[mode], AWS_PROFILE: 'alice' });
      const tunnels = await tunnelsOf(async () => {
        await ok(BINARY, ['whoami'], e);
        await ok(BINARY, ['kubeconfig', '--cluster', 'demo', '--region', 'us-east-1', '--dry-run'], e);
      });
      assert.deepEqual(tunnels, [HOSTS[mode].sts, HOSTS[mode].eks], mode);
    }
  });
});

describe('NO_PROXY and proxy credentials', () => {
  test('an endpoint override goes through the proxy unless NO_PROXY names it (exact host or *), in either case', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const front = sts as StsFront;
    const authority = new URL(front.url).host;
    const base = { AWS_PROFILE: 'alice', AWS_ENDPOINT_URL_STS: front.url };
    assert.deepEqual(await tunnelsOf(() => ok(BUNDLE, ['whoami'], env(base))), [authority]);
    assert.deepEqual(
      await tunnelsOf(() => ok(BUNDLE, ['whoami'], env({ ...base, NO_PROXY: 'example.com,127.0.0.1' }))),
      [],
    );
    assert.deepEqual(await tunnelsOf(() => ok(BUNDLE, ['whoami'], env({ ...base, no_proxy: '*' }))), []);
    // Lower case wins over upper case, as in Python's urllib: an empty https_proxy means no proxy.
    assert.deepEqual(await tunnelsOf(() => ok(BUNDLE, ['whoami'], env({ ...base, https_proxy: '' }))), []);
  });

  test('a domain suffix in NO_PROXY bypasses the proxy for the real host (and the direct connection is tried, not the tunnel)', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const tunnels = await tunnelsOf(async () => {
      // Direct to sts.us-east-1.amazonaws.com: this machine has no route there, so only the absence of a tunnel matters.
      const res = await runBuild(BUNDLE, ['whoami'], env({ AWS_PROFILE: 'alice', NO_PROXY: '.amazonaws.com' }), {
        timeoutMs: 60_000,
      });
      assert.notEqual(res.code, 0);
      assert.doesNotMatch(res.stderr, /through the proxy/);
      assert.match(res.stderr, /https:\/\/sts\.us-east-1\.amazonaws\.com/);
    });
    assert.deepEqual(tunnels, []);
  });

  test('proxy credentials go to the proxy as Basic and never to stderr, even with --verbose', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = proxy as ConnectProxy;
    const e = env({ AWS_PROFILE: 'alice', HTTPS_PROXY: `http://net-user:pr0xy-s3cret@127.0.0.1:${p.port}` });
    const start = p.authorizations().length;
    const res = await ok(BUNDLE, ['whoami', '--verbose'], e);
    assert.deepEqual(p.authorizations().slice(start), [
      `Basic ${Buffer.from('net-user:pr0xy-s3cret').toString('base64')}`,
    ]);
    assert.match(res.stderr, new RegExp(`via proxy http://127\\.0\\.0\\.1:${p.port}`));
    assert.doesNotMatch(res.stdout + res.stderr, /pr0xy-s3cret|net-user/);
    // A refused tunnel names the proxy, never its password.
    const refused = await runBuild(
      BUNDLE,
      ['whoami', '--verbose'],
      env({
        AWS_PROFILE: 'alice',
        AWS_ENDPOINT_URL_STS: 'https://nowhere.example',
        HTTPS_PROXY: `http://net-user:pr0xy-s3cret@127.0.0.1:${p.port}`,
      }),
    );
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `error: .*the proxy http://127\\.0\\.0\\.1:${p.port} refused to open a tunnel to nowhere\\.example:443 \\(HTTP 502\\)`,
      ),
    );
    assert.doesNotMatch(refused.stdout + refused.stderr, /pr0xy-s3cret/);
  });
});

describe('trust', () => {
  test('AWS_CA_BUNDLE wins over the profile ca_bundle; either adds to the default roots; NODE_EXTRA_CA_CERTS still works', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    await ok(BUNDLE, ['whoami'], env({ AWS_PROFILE: 'bundled', AWS_CA_BUNDLE: undefined }));
    await ok(BUNDLE, ['whoami'], env({ AWS_PROFILE: 'wrong-bundle', AWS_CA_BUNDLE: ca.certFile }));
    const envWins = await runBuild(
      BUNDLE,
      ['whoami'],
      env({ AWS_PROFILE: 'bundled', AWS_CA_BUNDLE: otherCa.certFile }),
    );
    assert.equal(envWins.code, ExitCode.tls, envWins.stderr);
    await ok(
      BUNDLE,
      ['whoami'],
      env({ AWS_PROFILE: 'alice', AWS_CA_BUNDLE: undefined, NODE_EXTRA_CA_CERTS: ca.certFile }),
    );
    // A bundle of another CA does not replace NODE_EXTRA_CA_CERTS: both add to the roots.
    await ok(
      BUNDLE,
      ['whoami'],
      env({ AWS_PROFILE: 'alice', AWS_CA_BUNDLE: otherCa.certFile, NODE_EXTRA_CA_CERTS: ca.certFile }),
    );
  });

  for (const build of [BUNDLE, BINARY]) {
    test(`an untrusted CA exits 10 in token, whoami, verify and kubeconfig, with one error naming host and problem and a hint (${build.name})`, async (t) => {
      if (!requirePeer(t, ...PEERS) || !build.ready(t)) return;
      const untrusted = { AWS_CA_BUNDLE: undefined };
      // A token made offline (environment keys) for verify to replay.
      const made = await ok(
        build,
        ['token', '--cluster', 'demo', '--token-only'],
        env({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret, AWS_REGION: 'us-east-1' }),
      );
      const runs = [
        {
          args: ['token', '--cluster', 'demo', '--profile', 'role'],
          environment: env(untrusted),
          host: 'sts.us-east-1.amazonaws.com',
        },
        { args: ['whoami', '--profile', 'alice'], environment: env(untrusted), host: 'sts.us-east-1.amazonaws.com' },
        {
          args: ['verify', '--cluster', 'demo'],
          environment: env(untrusted),
          host: 'sts.us-east-1.amazonaws.com',
          input: made.stdout.trim(),
        },
        {
          args: ['kubeconfig', '--cluster', 'demo', '--region', 'us-east-1', '--dry-run', '--profile', 'alice'],
          environment: env(untrusted),
          host: 'eks.us-east-1.amazonaws.com',
        },
      ];
      for (const run of runs) {
        const res = await runBuild(
          build,
          run.args,
          run.environment,
          run.input === undefined ? {} : { input: run.input },
        );
        const lines = res.stderr.trim().split('\n');
        assert.equal(res.code, ExitCode.tls, `${run.args[0]}: ${res.stderr}`);
        assert.equal(lines.length, 2, `${run.args[0]}: ${res.stderr}`);
        assert.match(
          lines[0] ?? '',
          new RegExp(
            `^error: .*the TLS certificate of ${run.host.replace(/\./g, '\\.')} was not accepted: (self.signed certificate in certificate chain|unable to (get local issuer|verify the first) certificate)`,
          ),
        );
        assert.match(lines[1] ?? '', /^hint: .*AWS_CA_BUNDLE.*ca_bundle/);
      }
    });
  }

  test('NODE_TLS_REJECT_UNAUTHORIZED=0 lets whoami through with a warning line; verify checks certificates anyway', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const insecure = { AWS_CA_BUNDLE: undefined, NODE_TLS_REJECT_UNAUTHORIZED: '0' };
    const who = await ok(BUNDLE, ['whoami', '--profile', 'alice'], env(insecure));
    // whoami prints its warnings with its result.
    assert.match(who.stdout, /^warning: NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for calls to AWS/m);
    const token = await ok(BUNDLE, ['token', '--cluster', 'demo', '--profile', 'role'], env(insecure));
    assert.match(
      token.stderr,
      /^warning: NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for calls to AWS/m,
    );
    const made = await ok(
      BUNDLE,
      ['token', '--cluster', 'demo', '--token-only'],
      env({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret, AWS_REGION: 'us-east-1' }),
    );
    const verified = await runBuild(BUNDLE, ['verify', '--cluster', 'demo'], env(insecure), {
      input: made.stdout.trim(),
    });
    assert.equal(verified.code, ExitCode.tls, verified.stderr);
  });
});
