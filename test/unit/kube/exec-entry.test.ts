import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { parseTokenArgv } from '../../../src/cli/token-args';
import {
  buildExecConfig,
  describeExec,
  EXEC_API_VERSION,
  INSTALL_HINT,
  recogniseExec,
  type EksExecSettings,
} from '../../../src/kube/exec-entry';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'kubeconfig');

/** The `exec` of the named user in a fixture file. */
function fixtureExec(file: string, user: string): unknown {
  const config = parse(readFileSync(join(FIXTURES, file), 'utf8')) as {
    users: Array<{ name: string; user: { exec: unknown } }>;
  };
  const found = config.users.find((u) => u.name === user);
  assert.ok(found, `${file} has user ${user}`);
  return found.user.exec;
}

describe('buildExecConfig', () => {
  test('writes a v1 entry with interactiveMode, installHint and the token args, and no provideClusterInfo', () => {
    // The shape issue 5 specifies.
    assert.deepEqual(buildExecConfig({ cluster: 'demo', region: 'us-west-2' }), {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: 'eks-auth',
      args: ['token', '--cluster', 'demo', '--region', 'us-west-2'],
      interactiveMode: 'IfAvailable',
      installHint: INSTALL_HINT,
    });
  });

  test('adds role, session name and external id args and AWS_PROFILE env before other env entries', () => {
    const exec = buildExecConfig(
      {
        cluster: 'demo',
        region: 'eu-west-1',
        roleArn: 'arn:aws:iam::111122223333:role/admin',
        sessionName: 'alice',
        externalId: 'ext-1',
        profile: 'dev',
        env: [{ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' }],
      },
      '/opt/eks-auth/bin/eks-auth',
    );
    assert.equal(exec.command, '/opt/eks-auth/bin/eks-auth');
    assert.deepEqual(exec.args, [
      'token',
      '--cluster',
      'demo',
      '--region',
      'eu-west-1',
      '--role-arn',
      'arn:aws:iam::111122223333:role/admin',
      '--session-name',
      'alice',
      '--external-id',
      'ext-1',
    ]);
    assert.deepEqual(exec.env, [
      { name: 'AWS_PROFILE', value: 'dev' },
      { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
    ]);
    // kubectl shows keys in this order; a stable order keeps re-runs byte-identical.
    assert.deepEqual(Object.keys(exec), ['apiVersion', 'command', 'args', 'env', 'interactiveMode', 'installHint']);
  });

  test('the installHint tells how to install eks-auth', () => {
    assert.match(INSTALL_HINT, /npm install -g eks-auth/);
    assert.equal(EXEC_API_VERSION, 'client.authentication.k8s.io/v1');
  });

  test('the args it writes are what `eks-auth token` parses back (property)', () => {
    // Values as users type them: no leading dash, which the token parser would take for a flag.
    const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9:/._@+=,-]{0,40}$/);
    fc.assert(
      fc.property(
        fc.record(
          { cluster: word, region: word, roleArn: word, sessionName: word, externalId: word },
          { requiredKeys: ['cluster'] },
        ),
        (settings: EksExecSettings) => {
          const exec = buildExecConfig(settings);
          const parsed = parseTokenArgv(exec.args);
          assert.ok(parsed, `token parser accepts ${exec.args.join(' ')}`);
          assert.equal(parsed.cluster, settings.cluster);
          assert.equal(parsed.region, settings.region);
          assert.equal(parsed['role-arn'], settings.roleArn);
          assert.equal(parsed['session-name'], settings.sessionName);
          assert.equal(parsed['external-id'], settings.externalId);
        },
      ),
    );
  });
});

describe('recogniseExec', () => {
  const cases: Array<{ name: string; exec: unknown; tool: string; settings: EksExecSettings; apiVersion?: string }> = [
    {
      // test/fixtures/kubeconfig/update-kubeconfig.yaml: written by the AWS CLI 1.45.
      name: 'aws eks get-token as update-kubeconfig writes it',
      exec: fixtureExec('update-kubeconfig.yaml', 'arn:aws:eks:eu-central-1:123456789012:cluster/prod'),
      tool: 'aws-cli',
      settings: { cluster: 'prod', region: 'eu-central-1' },
      apiVersion: 'client.authentication.k8s.io/v1beta1',
    },
    {
      name: 'update-kubeconfig --role-arn (written as --role) with AWS_PROFILE',
      exec: fixtureExec('update-kubeconfig.yaml', 'demo-admin-user'),
      tool: 'aws-cli',
      settings: {
        cluster: 'demo',
        region: 'us-west-2',
        roleArn: 'arn:aws:iam::123456789012:role/admin',
        profile: 'dev',
      },
    },
    {
      // update-kubeconfig writes --cluster-id for local clusters on Outposts (awscli update_kubeconfig.py).
      name: 'get-token --cluster-id of a local cluster',
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'aws',
        args: [
          '--region',
          'us-west-2',
          'eks',
          'get-token',
          '--cluster-id',
          '6b1b7e2c-1111-2222-3333-444455556666',
          '--output',
          'json',
        ],
      },
      tool: 'aws-cli',
      settings: { cluster: '6b1b7e2c-1111-2222-3333-444455556666', region: 'us-west-2' },
    },
    {
      name: 'get-token with --profile, --region=R and --role-arn=A inline, from an absolute path',
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: '/usr/local/bin/aws',
        args: [
          'eks',
          'get-token',
          '--cluster-name',
          'demo',
          '--region=eu-west-1',
          '--profile',
          'ops',
          '--role-arn=arn:aws:iam::1:role/r',
        ],
        env: [{ name: 'AWS_PROFILE', value: 'ignored' }],
      },
      tool: 'aws-cli',
      // The AWS CLI ranks --profile above AWS_PROFILE (and ignores env keys): it stays a flag.
      settings: { cluster: 'demo', region: 'eu-west-1', roleArn: 'arn:aws:iam::1:role/r', profileFlag: 'ops' },
    },
    {
      name: "aws-iam-authenticator's --forward-session-name",
      exec: fixtureExec('mixed-users.yaml', 'forwarded'),
      tool: 'aws-iam-authenticator',
      settings: { cluster: 'demo', roleArn: 'arn:aws:iam::111122223333:role/dev', forwardSessionName: true },
    },
    {
      name: 'interactiveMode Never is kept',
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: 'aws',
        args: ['eks', 'get-token', '--cluster-name', 'demo'],
        interactiveMode: 'Never',
      },
      tool: 'aws-cli',
      settings: { cluster: 'demo', interactiveMode: 'Never' },
    },
    {
      name: 'aws.exe on Windows, other env entries carried over',
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe',
        args: ['eks', 'get-token', '--cluster-name', 'demo'],
        env: [{ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' }],
      },
      tool: 'aws-cli',
      settings: { cluster: 'demo', env: [{ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' }] },
    },
    {
      // test/fixtures/kubeconfig/aws-iam-authenticator.yaml: aws-iam-authenticator README.
      name: 'aws-iam-authenticator token -i -r from its README',
      exec: fixtureExec('aws-iam-authenticator.yaml', 'kubernetes-admin'),
      tool: 'aws-iam-authenticator',
      settings: { cluster: 'demo', roleArn: 'arn:aws:iam::111122223333:role/KubernetesAdmin' },
    },
    {
      name: 'aws-iam-authenticator with AWS_PROFILE env from its README',
      exec: fixtureExec('aws-iam-authenticator.yaml', 'aws'),
      tool: 'aws-iam-authenticator',
      settings: { cluster: 'demo', profile: 'dev' },
    },
    {
      name: 'v1alpha1 aws-iam-authenticator with session name, external id and region',
      exec: fixtureExec('aws-iam-authenticator-v1alpha1.yaml', 'aws'),
      tool: 'aws-iam-authenticator',
      settings: {
        cluster: 'demo',
        region: 'us-west-2',
        roleArn: 'arn:aws:iam::444455556666:role/eks-admin',
        sessionName: 'ops-alice',
        externalId: 'ext-1234',
        profile: 'dev',
      },
      apiVersion: 'client.authentication.k8s.io/v1alpha1',
    },
    {
      name: 'v1alpha1 heptio-authenticator-aws, the tool’s former name',
      exec: fixtureExec('aws-iam-authenticator-v1alpha1.yaml', 'heptio'),
      tool: 'aws-iam-authenticator',
      settings: { cluster: 'demo' },
    },
    {
      // pflag accepts -iX, -i=X, --flag=X; -s and -e are the short forms of --session-name and --external-id.
      name: 'aws-iam-authenticator pflag spellings',
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'aws-iam-authenticator',
        args: [
          'token',
          '-idemo',
          '-r=arn:aws:iam::1:role/r',
          '-s',
          'sess',
          '-e',
          'x',
          '--region=ap-south-1',
          '--cache',
        ],
      },
      tool: 'aws-iam-authenticator',
      settings: {
        cluster: 'demo',
        roleArn: 'arn:aws:iam::1:role/r',
        sessionName: 'sess',
        externalId: 'x',
        region: 'ap-south-1',
      },
    },
    {
      // aws-iam-authenticator binds the cluster id and role to these variables (viper.BindEnv).
      name: 'aws-iam-authenticator with cluster id and role from its environment variables',
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'aws-iam-authenticator',
        args: ['token'],
        env: [
          { name: 'KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID', value: 'demo' },
          { name: 'DEFAULT_ROLE', value: 'arn:aws:iam::1:role/r' },
          { name: 'AWS_REGION', value: 'eu-west-1' },
        ],
      },
      tool: 'aws-iam-authenticator',
      settings: {
        cluster: 'demo',
        roleArn: 'arn:aws:iam::1:role/r',
        env: [{ name: 'AWS_REGION', value: 'eu-west-1' }],
      },
    },
  ];
  for (const c of cases) {
    test(`recognises ${c.name}`, () => {
      const got = recogniseExec(c.exec);
      assert.ok(got && 'settings' in got, `recognised: ${JSON.stringify(got)}`);
      assert.equal(got.tool, c.tool);
      assert.deepEqual(got.settings, c.settings);
      if (c.apiVersion) assert.equal(got.apiVersion, c.apiVersion);
    });
  }

  test('drops a session name and external id given without a role, which aws-iam-authenticator ignored', () => {
    const got = recogniseExec({
      command: 'aws-iam-authenticator',
      args: ['token', '-i', 'demo', '-s', 'alice', '-e', 'x'],
    });
    assert.ok(got && 'settings' in got);
    assert.deepEqual(got.settings, { cluster: 'demo' });
    assert.deepEqual(got.notes, ['--session-name and --external-id dropped: without a role (-r) they had no effect']);
  });

  // get-token's STS client takes only the region (awscli get_token.py, STSClientFactory.get_sts_client).
  for (const args of [
    ['--endpoint-url', 'https://eks.example', '--region', 'us-west-2', 'eks', 'get-token', '--cluster-name', 'demo'],
    ['--endpoint-url=https://eks.example', '--region', 'us-west-2', 'eks', 'get-token', '--cluster-name', 'demo'],
    ['--region', 'us-west-2', 'eks', 'get-token', '--cluster-name', 'demo', '--endpoint-url', 'https://eks.example'],
  ]) {
    test(`migrates aws ${args.join(' ')}, noting that --endpoint-url is dropped`, () => {
      const got = recogniseExec({ command: 'aws', args });
      assert.ok(got && 'settings' in got, JSON.stringify(got));
      assert.deepEqual(got.settings, { cluster: 'demo', region: 'us-west-2' });
      assert.deepEqual(got.notes, [
        '--endpoint-url dropped: aws eks get-token never used it for STS (set AWS_ENDPOINT_URL_STS for a local STS)',
      ]);
    });
  }

  test('writes aws --profile P as --profile P, AWS_PROFILE env as env', () => {
    const flag = buildExecConfig({
      cluster: 'demo',
      profileFlag: 'ops',
      env: [{ name: 'AWS_ACCESS_KEY_ID', value: 'AKIDLEFTOVER' }],
    });
    assert.deepEqual(flag.args, ['token', '--cluster', 'demo', '--profile', 'ops']);
    assert.deepEqual(flag.env, [{ name: 'AWS_ACCESS_KEY_ID', value: 'AKIDLEFTOVER' }]);
    const env = buildExecConfig({ cluster: 'demo', profile: 'dev' });
    assert.deepEqual(env.args, ['token', '--cluster', 'demo']);
    assert.deepEqual(env.env, [{ name: 'AWS_PROFILE', value: 'dev' }]);
  });

  test('keeps interactiveMode Never, and writes IfAvailable otherwise', () => {
    assert.equal(buildExecConfig({ cluster: 'demo', interactiveMode: 'Never' }).interactiveMode, 'Never');
    assert.equal(buildExecConfig({ cluster: 'demo' }).interactiveMode, 'IfAvailable');
    const odd = recogniseExec({
      command: 'aws',
      args: ['eks', 'get-token', '--cluster-name', 'demo'],
      interactiveMode: 'Sometimes',
    });
    assert.ok(odd && 'settings' in odd);
    assert.equal(odd.settings.interactiveMode, undefined);
  });

  test('notes that --cache is not carried over', () => {
    const got = recogniseExec({ command: 'aws-iam-authenticator', args: ['token', '-i', 'demo', '--cache'] });
    assert.ok(got && 'notes' in got);
    assert.deepEqual(got.notes, ['--cache is not carried over']);
  });

  const unsupported: Array<{ name: string; exec: unknown; reason: RegExp }> = [
    {
      name: '--forward-session-name with --session-name (aws-iam-authenticator refuses the pair)',
      exec: {
        command: 'aws-iam-authenticator',
        args: ['token', '-i', 'demo', '-r', 'arn:aws:iam::1:role/r', '--forward-session-name', '-s', 'me'],
      },
      reason: /both --forward-session-name and --session-name/,
    },
    {
      name: 'a --config file',
      exec: { command: 'aws-iam-authenticator', args: ['token', '-i', 'demo', '-c', '/etc/a.yaml'] },
      reason: /--config/,
    },
    {
      name: 'an unknown authenticator flag',
      exec: { command: 'aws-iam-authenticator', args: ['token', '-i', 'demo', '--partition', 'aws'] },
      reason: /--partition/,
    },
    {
      name: 'an unknown AWS CLI global option before eks get-token',
      exec: { command: 'aws', args: ['--ca-bundle', 'x.pem', 'eks', 'get-token', '--cluster-name', 'demo'] },
      reason: /--ca-bundle/,
    },
    {
      name: 'get-token without a cluster',
      exec: { command: 'aws', args: ['eks', 'get-token'] },
      reason: /--cluster-name/,
    },
    {
      name: 'both --cluster-name and --cluster-id, which get-token refuses',
      exec: { command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'a', '--cluster-id', 'b'] },
      reason: /both/,
    },
    {
      name: 'a flag without its value',
      exec: { command: 'aws', args: ['eks', 'get-token', '--cluster-name'] },
      reason: /no value/,
    },
  ];
  for (const c of unsupported) {
    test(`reports ${c.name} as not translatable`, () => {
      const got = recogniseExec(c.exec);
      assert.ok(got && 'unsupported' in got, `unsupported: ${JSON.stringify(got)}`);
      assert.match(got.unsupported, c.reason);
    });
  }

  const foreign: Array<{ name: string; exec: unknown }> = [
    { name: 'gke-gcloud-auth-plugin', exec: fixtureExec('mixed-users.yaml', 'gke_proj_europe-west1_main') },
    { name: 'kubelogin', exec: fixtureExec('mixed-users.yaml', 'oidc') },
    {
      name: 'an aws-vault wrapper (its own command, not ours to rewrite)',
      exec: fixtureExec('mixed-users.yaml', 'vault-wrapped'),
    },
    { name: 'another aws command', exec: { command: 'aws', args: ['sts', 'get-caller-identity'] } },
    {
      name: 'aws-iam-authenticator verify',
      exec: { command: 'aws-iam-authenticator', args: ['verify', '-t', 'x', '-i', 'demo'] },
    },
    { name: 'no exec at all', exec: undefined },
  ];
  for (const c of foreign) {
    test(`leaves ${c.name} alone`, () => {
      assert.equal(recogniseExec(c.exec), undefined);
    });
  }

  test('recognises its own entries as already eks-auth', () => {
    const got = recogniseExec(buildExecConfig({ cluster: 'demo', region: 'us-west-2' }));
    assert.equal(got?.tool, 'eks-auth');
  });
});

describe('describeExec', () => {
  test('shows env, command, args and apiVersion on one shell-like line', () => {
    const line = describeExec(fixtureExec('update-kubeconfig.yaml', 'demo-admin-user'));
    assert.equal(
      line,
      'AWS_PROFILE=dev aws --region us-west-2 eks get-token --cluster-name demo --output json --role arn:aws:iam::123456789012:role/admin (client.authentication.k8s.io/v1beta1)',
    );
  });

  test('quotes words with spaces or quotes', () => {
    assert.equal(
      describeExec({ apiVersion: 'v', command: '/opt/my tools/aws', args: ["it's"] }),
      `'/opt/my tools/aws' 'it'\\''s' (v)`,
    );
  });
});

describe('the kubectl plugin and launch arguments', () => {
  test('buildExecConfig puts launch arguments before token: `kubectl eks-auth token …` and `node script token …`', () => {
    // kubelogin's entries have this shape: command kubectl, args [oidc-login, get-token, …].
    assert.deepEqual(buildExecConfig({ cluster: 'demo', region: 'us-west-2' }, 'kubectl', ['eks-auth']).args, [
      'eks-auth',
      'token',
      '--cluster',
      'demo',
      '--region',
      'us-west-2',
    ]);
    const node = buildExecConfig({ cluster: 'demo' }, '/opt/node/bin/node', ['/opt/eks-auth/bin/eks-auth']);
    assert.equal(node.command, '/opt/node/bin/node');
    assert.deepEqual(node.args, ['/opt/eks-auth/bin/eks-auth', 'token', '--cluster', 'demo']);
  });

  test('recogniseExec takes entries that run the plugin, either way, as eks-auth already', () => {
    for (const exec of [
      { command: 'kubectl', args: ['eks-auth', 'token', '--cluster', 'demo'] },
      { command: '/usr/local/bin/kubectl', args: ['eks-auth', 'token', '--cluster', 'demo'] },
      { command: 'kubectl-eks_auth', args: ['token', '--cluster', 'demo'] },
    ]) {
      assert.deepEqual(recogniseExec({ apiVersion: EXEC_API_VERSION, ...exec }), {
        tool: 'eks-auth',
        apiVersion: EXEC_API_VERSION,
        unsupported: 'already eks-auth',
      });
    }
    // Another kubectl plugin is not ours.
    assert.equal(
      recogniseExec({ apiVersion: EXEC_API_VERSION, command: 'kubectl', args: ['oidc-login', 'get-token'] }),
      undefined,
    );
  });
});
