/**
 * A skewed clock is named. eks-auth runs under faketime 20 minutes slow or fast (the peers keep the
 * real time): STS (sts-front.py, which refuses SigV4 times outside its window as STS does) and the
 * EKS peer (same rule) answer that the signature is expired or not yet current, and eks-auth
 * compares this machine's clock with the answer's Date header: whoami and DescribeCluster exit 4,
 * AssumeRole (a role profile's token) exits 4, verify exits 6, each saying by how many minutes the
 * clock is behind or ahead, with the fix as the hint.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUILDS, runBuild } from '../helpers/builds';
import { issueCert, makeCa, startEksPeer, type Ca, type EksPeer } from '../peers/net-peers';
import {
  cleanAwsEnv,
  peersAvailable,
  requirePeer,
  startMoto,
  startStsFront,
  type Moto,
  type PeerName,
  type StsFront,
} from '../peers/peers';

const PEERS: PeerName[] = ['moto_server', 'botocore', 'openssl', 'faketime'];
const ALICE = {
  akid: 'AKIAEKSAUTHNETCLOCK1',
  secret: 'net/clock+secret=abcdefghijklmnopqrstuv',
  arn: 'arn:aws:iam::111122223333:user/alice',
};
/** libfaketime moves the wall clock only: Node's timers run on the monotonic clock, which must keep going. */
const slow = ['faketime', '--exclude-monotonic', '-f', '-20m'];
const fast = ['faketime', '--exclude-monotonic', '-f', '+20m'];
const CLOCK_HINT = /^hint: set the clock right and keep it synchronised \(Linux: timedatectl set-ntp true/m;

let dir: string;
let ca: Ca;
let moto: Moto | undefined;
let sts: StsFront | undefined;
let eks: EksPeer | undefined;
let configFile: string;

before(async () => {
  if (!peersAvailable(PEERS)) return;
  dir = mkdtempSync(join(tmpdir(), 'eks-auth-net-clock-'));
  ca = makeCa(dir);
  const cert = issueCert(ca, 'local', ['localhost']);
  moto = await startMoto();
  sts = await startStsFront({
    motoUrl: moto.url,
    staticKeys: { [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn } },
    tls: cert,
  });
  eks = await startEksPeer(cert, { demo: { endpoint: 'https://demo.example', caData: 'Cg==' } });
  configFile = join(dir, 'config');
  writeFileSync(
    configFile,
    '[profile role]\nrole_arn = arn:aws:iam::222233334444:role/clock\ncredential_source = Environment\nregion = us-east-1\n',
  );
});

after(async () => {
  await eks?.stop();
  await sts?.stop();
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanAwsEnv({
    configFile,
    env: {
      AWS_ACCESS_KEY_ID: ALICE.akid,
      AWS_SECRET_ACCESS_KEY: ALICE.secret,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_STS: (sts as StsFront).url,
      AWS_ENDPOINT_URL_EKS: `https://127.0.0.1:${(eks as EksPeer).port}`,
      AWS_CA_BUNDLE: ca.certFile,
      EKS_AUTH_NO_CACHE: '1',
      ...extra,
    },
  });
}

for (const build of BUILDS) {
  describe(`clock skew (${build.name})`, () => {
    test('20 minutes slow: whoami and kubeconfig exit 4 saying the clock is 20 minutes behind', async (t) => {
      if (!requirePeer(t, ...PEERS) || !build.ready(t)) return;
      const who = await runBuild(build, ['whoami'], env(), { wrap: slow });
      assert.equal(who.code, 4, who.stderr);
      assert.match(
        who.stderr,
        /^error: .*STS refused GetCallerIdentity because the signature's time is off: this machine's clock is 20 minutes behind \(AWS's Date header says \d{4}-/m,
      );
      assert.match(who.stderr, CLOCK_HINT);
      const describe = await runBuild(build, ['kubeconfig', '--cluster', 'demo', '--dry-run'], env(), { wrap: slow });
      assert.equal(describe.code, 4, describe.stderr);
      assert.match(
        describe.stderr,
        /^error: .*EKS refused DescribeCluster for cluster "demo" in us-east-1 because the signature's time is off: this machine's clock is 20 minutes behind/m,
      );
      assert.match(describe.stderr, CLOCK_HINT);
    });

    test('20 minutes fast: AssumeRole for a token exits 4 saying the clock is 20 minutes ahead', async (t) => {
      if (!requirePeer(t, ...PEERS) || !build.ready(t)) return;
      const res = await runBuild(build, ['token', '--cluster', 'demo', '--profile', 'role'], env(), { wrap: fast });
      assert.equal(res.code, 4, res.stderr);
      assert.match(
        res.stderr,
        /^error: .*STS refused AssumeRole because the signature's time is off: this machine's clock is 20 minutes ahead/m,
      );
      assert.match(res.stderr, CLOCK_HINT);
    });

    test('verify on a slow machine: the token passes the local checks, STS finds it expired, and verify says why', async (t) => {
      if (!requirePeer(t, ...PEERS) || !build.ready(t)) return;
      const made = await runBuild(build, ['token', '--cluster', 'demo', '--token-only'], env(), { wrap: slow });
      assert.equal(made.code, 0, made.stderr);
      const sts_ = sts as StsFront;
      const res = await runBuild(build, ['verify', '--cluster', 'demo', '--sts-endpoint', sts_.url, '--json'], env(), {
        wrap: slow,
        input: made.stdout.trim(),
      });
      assert.equal(res.code, 6, res.stderr);
      assert.match(
        res.stderr,
        /^error: token rejected by check "clock-skew": STS refused the token as expired or not yet valid \(HTTP 403, SignatureDoesNotMatch: Signature expired: .*\): this machine's clock is 20 minutes behind/m,
      );
      assert.match(res.stderr, CLOCK_HINT);
      assert.equal((JSON.parse(res.stdout) as { reason?: string }).reason, 'clock-skew');
    });
  });
}
