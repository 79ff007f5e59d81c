/**
 * End to end, as users run it: a real pinned kubectl runs the built eks-auth from a kubeconfig exec
 * entry, and the token reaches a local HTTPS kube-apiserver that verifies it with a local STS that
 * checks SigV4 signatures (test/peers). Nothing here is mocked.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
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
import { ensureBuilt, tamperSignature } from '../helpers/built-cli';

const PEERS: PeerName[] = ['moto_server', 'botocore', 'openssl', 'kubectl.1.27', 'kubectl.1.33'];
// Static keys the STS front knows; made up for the test.
const ALICE = {
  akid: 'AKIAEKSAUTHTESTALICE',
  secret: 'alice/secret+key=0123456789abcdefghijklmn',
  arn: 'arn:aws:iam::111122223333:user/alice',
};

describe('kubectl -> eks-auth -> kube-apiserver -> STS', () => {
  let peers: Peers | undefined;
  let bin: string;
  before(async () => {
    if (!peersAvailable(PEERS)) return;
    bin = ensureBuilt();
    peers = await startPeers({
      clusterId: 'demo',
      staticKeys: { [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn } },
    });
  });
  after(() => peers?.stop());

  function userEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const p = peers as Peers;
    const config = join(p.dir, 'aws-config');
    writeFileSync(
      config,
      [
        '[profile base]',
        `aws_access_key_id = ${ALICE.akid}`,
        `aws_secret_access_key = ${ALICE.secret}`,
        '',
        '[profile admin]',
        'role_arn = arn:aws:iam::444455556666:role/eks-admin',
        'source_profile = base',
        'role_session_name = e2e',
        '',
      ].join('\n'),
    );
    return cleanAwsEnv({
      configFile: config,
      env: { AWS_ENDPOINT_URL_STS: p.sts.url, NODE_EXTRA_CA_CERTS: p.caFile, EKS_AUTH_NO_CACHE: '1', ...extra },
    });
  }

  async function kubectl(
    minor: number,
    exec: { apiVersion: string; args: string[]; interactiveMode?: 'Never' | 'IfAvailable' },
    env: NodeJS.ProcessEnv,
    extraArgs: string[] = ['get', 'pods'],
  ) {
    const p = peers as Peers;
    const kubeconfig = join(p.dir, `kubeconfig-${minor}-${Math.random().toString(36).slice(2)}`);
    const { writeKubeconfig } = await import('../peers/peers');
    writeKubeconfig(kubeconfig, {
      server: p.kube.server,
      caData: p.kube.caData,
      exec: {
        apiVersion: exec.apiVersion,
        command: process.execPath,
        args: [bin, ...exec.args],
        ...(exec.interactiveMode ? { interactiveMode: exec.interactiveMode } : {}),
      },
    });
    return runCommand(kubectlPath(minor), ['--kubeconfig', kubeconfig, ...extraArgs], { env, timeoutMs: 60_000 });
  }

  test('kubectl 1.33 with a v1 exec entry gets pods as the static-key user', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const before = p.kube.outcomes.length;
    const res = await kubectl(
      33,
      {
        apiVersion: 'client.authentication.k8s.io/v1',
        interactiveMode: 'Never',
        args: ['token', '--cluster', 'demo', '--region', 'us-east-1'],
      },
      userEnv({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret }),
    );
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /hello/);
    const outcomes = p.kube.outcomes.slice(before);
    assert.ok(outcomes.length > 0);
    assert.ok(
      outcomes.every((o) => o.ok && o.arn === ALICE.arn),
      JSON.stringify(outcomes),
    );
  });

  test('kubectl 1.27 runs an `aws eks update-kubeconfig` entry with only its command changed, assuming the profile role chain', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const before = p.kube.outcomes.length;
    const res = await kubectl(
      27,
      {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        args: ['--region', 'us-east-1', 'eks', 'get-token', '--cluster-name', 'demo', '--output', 'json'],
      },
      userEnv({ AWS_PROFILE: 'admin' }),
    );
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /hello/);
    const outcome = p.kube.outcomes[before];
    // moto names assumed-role sessions arn:aws:sts::<account of the role>:assumed-role/<role>/<session>.
    assert.equal(outcome?.arn, 'arn:aws:sts::444455556666:assumed-role/eks-admin/e2e');
  });

  test('kubectl auth whoami shows the ARN the server mapped', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const res = await kubectl(
      33,
      {
        apiVersion: 'client.authentication.k8s.io/v1',
        interactiveMode: 'Never',
        args: ['token', '-i', 'demo', '--region', 'us-east-1', '--profile', 'admin'],
      },
      userEnv(),
      ['auth', 'whoami'],
    );
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /arn:aws:sts::444455556666:assumed-role\/eks-admin\/e2e/);
  });

  test('a token signed for another cluster is refused: kubectl says Unauthorized', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const before = p.kube.outcomes.length;
    const res = await kubectl(
      33,
      {
        apiVersion: 'client.authentication.k8s.io/v1',
        interactiveMode: 'Never',
        args: ['token', '--cluster', 'other', '--region', 'us-east-1'],
      },
      userEnv({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret }),
    );
    assert.notEqual(res.code, 0);
    // client-go says "(Unauthorized)" once its discovery cache is warm, "(the server has asked for the
    // client to provide credentials)" when discovery itself was refused.
    assert.match(
      res.stderr,
      /You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/,
    );
    assert.ok(p.kube.outcomes.length > before, 'the kube-api saw the request');
    assert.ok(
      p.kube.outcomes.slice(before).every((o) => !o.ok && o.status === 403),
      JSON.stringify(p.kube.outcomes.slice(before)),
    );
  });

  test('a tampered token is refused, the untampered one accepted', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const { runEksAuth } = await import('../helpers/built-cli');
    const out = await runEksAuth(
      ['token', '--cluster', 'demo', '--region', 'us-east-1', '--token-only'],
      userEnv({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret }),
    );
    assert.equal(out.code, 0, out.stderr);
    const token = out.stdout.trim();
    const good = await httpsRequest(`${p.kube.server}/api/v1/namespaces/default/pods`, {
      ca: p.kube.caPem,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(good.status, 200);
    const bad = await httpsRequest(`${p.kube.server}/api/v1/namespaces/default/pods`, {
      ca: p.kube.caPem,
      headers: { authorization: `Bearer ${tamperSignature(token)}` },
    });
    assert.equal(bad.status, 401);
    // And with a real kubectl using the tampered token directly.
    const res = await kubectl(
      33,
      { apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', args: ['token', '--cluster', 'demo'] },
      userEnv(),
      ['--token', tamperSignature(token), 'get', 'pods'],
    );
    assert.match(res.stderr, /Unauthorized/);
  });

  test('a failing plugin shows its error line and hint through kubectl, without secrets', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const res = await kubectl(
      33,
      {
        apiVersion: 'client.authentication.k8s.io/v1',
        interactiveMode: 'Never',
        args: ['token', '--cluster', 'demo', '--profile', 'nope', '--region', 'us-east-1'],
      },
      userEnv({ AWS_ACCESS_KEY_ID: ALICE.akid, AWS_SECRET_ACCESS_KEY: ALICE.secret }),
    );
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /error: the config profile \(nope\) could not be found/);
    assert.match(res.stderr, /exit code 3/);
    assert.doesNotMatch(res.stderr, new RegExp(ALICE.secret.replace(/[+/]/g, '\\$&')));
  });
});
