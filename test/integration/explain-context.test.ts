/**
 * `explain --from-cluster --context C` explains the identity that context's own user signs in
 * with (its `eks-auth token` exec entry and AWS_PROFILE), not the shell's AWS settings. Real peers:
 * moto behind the verifying STS front, the fake kube-apiserver serving the ConfigMap, a pinned
 * kubectl running the exec entries.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureBuilt } from '../helpers/built-cli';
import {
  cleanAwsEnv,
  kubectlPath,
  peersAvailable,
  requirePeer,
  runCommand,
  startPeers,
  type PeerName,
  type Peers,
} from '../peers/peers';

const PEERS: PeerName[] = ['moto_server', 'aws', 'openssl', 'botocore', 'kubectl.1.33'];
// Made-up keys the STS front knows.
const ALICE = {
  akid: 'AKIAEXPLAINCTXALICE1',
  secret: 'aLiCe/Explain+Context/Key0000000000000001',
  arn: 'arn:aws:iam::111122223333:user/alice',
};
const BOB = {
  akid: 'AKIAEXPLAINCTXBOB001',
  secret: 'bOb/Explain+Context/Key000000000000000001',
  arn: 'arn:aws:iam::111122223333:user/bob',
};
const work = mkdtempSync(join(tmpdir(), 'eks-auth-explain-ctx-'));

let peers: Peers | undefined;
before(async () => {
  if (!peersAvailable(PEERS)) return;
  peers = await startPeers({
    clusterId: 'demo',
    staticKeys: {
      [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn },
      [BOB.akid]: { secret: BOB.secret, arn: BOB.arn },
    },
    configMaps: {
      'kube-system/aws-auth': {
        data: {
          mapUsers: `- userarn: ${ALICE.arn}\n  username: alice\n  groups: [ops]\n- userarn: ${BOB.arn}\n  username: bob\n  groups: [dev]\n`,
        },
      },
    },
  });
});
after(() => peers?.stop());

describe('explain --from-cluster --context', () => {
  test("explains the context's own identity, not the shell's profile", async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const p = peers as Peers;
    const bin = mkdtempSync(join(work, 'bin-'));
    symlinkSync(kubectlPath(33), join(bin, 'kubectl'));
    symlinkSync(ensureBuilt(), join(bin, 'eks-auth'));
    const config = join(work, 'aws-config');
    writeFileSync(
      config,
      [
        '[profile alice]',
        `aws_access_key_id = ${ALICE.akid}`,
        `aws_secret_access_key = ${ALICE.secret}`,
        '[profile bob]',
        `aws_access_key_id = ${BOB.akid}`,
        `aws_secret_access_key = ${BOB.secret}`,
        '',
      ].join('\n'),
    );
    const user = (profile: string) => ({
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        interactiveMode: 'Never',
        command: 'eks-auth',
        args: ['token', '--cluster', 'demo', '--region', 'us-east-1'],
        env: [{ name: 'AWS_PROFILE', value: profile }],
      },
    });
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'demo', cluster: { server: p.kube.server, 'certificate-authority-data': p.kube.caData } }],
        users: [
          { name: 'alice', user: user('alice') },
          { name: 'bob', user: user('bob') },
        ],
        contexts: [
          { name: 'as-alice', context: { cluster: 'demo', user: 'alice' } },
          { name: 'as-bob', context: { cluster: 'demo', user: 'bob' } },
        ],
        'current-context': 'as-alice',
      }),
      { mode: 0o600 },
    );
    // The shell says alice; the context says bob.
    const env = cleanAwsEnv({
      configFile: config,
      caFile: p.caFile,
      env: {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        AWS_PROFILE: 'alice',
        AWS_ENDPOINT_URL_STS: p.sts.url,
        AWS_REGION: 'us-east-1',
        EKS_AUTH_NO_CACHE: '1',
      },
    });
    const run = (args: string[]) =>
      runCommand(
        process.execPath,
        [ensureBuilt(), 'explain', '--from-cluster', '--kubeconfig', kubeconfig, '--json', ...args],
        { env, timeoutMs: 60_000 },
      );
    const bob = await run(['--context', 'as-bob']);
    assert.equal(bob.code, 0, bob.stderr);
    assert.deepEqual([JSON.parse(bob.stdout).arn, JSON.parse(bob.stdout).username], [BOB.arn, 'bob']);
    // Without --context: the current context's user.
    const current = await run([]);
    assert.equal(current.code, 0, current.stderr);
    assert.equal(JSON.parse(current.stdout).username, 'alice');
    // An explicit credential flag still wins.
    const flagged = await run(['--context', 'as-bob', '--profile', 'alice']);
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.equal(JSON.parse(flagged.stdout).username, 'alice');
  });
});
