import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import type { ClusterLookupInput, EksCluster } from '../../../src/types';
import { kubeconfig, type KubeconfigDeps, type KubeconfigInput } from '../../../src/usecases/kubeconfig';
import { EksAuthError, ExitCode } from '../../../src/errors';
import { INSTALL_HINT } from '../../../src/kube/exec-entry';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'kubeconfig');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-kubeconfig-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function copyFixture(name: string, dir: string, as = name): string {
  const path = join(dir, as);
  copyFileSync(join(FIXTURES, name), path);
  return path;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

// The use cases, on real temp files, with a fake EKS lookup.

const DEMO: EksCluster = {
  name: 'demo',
  arn: 'arn:aws:eks:us-west-2:111122223333:cluster/demo',
  status: 'ACTIVE',
  endpoint: 'https://ABC.gr7.us-west-2.eks.amazonaws.com',
  certificateAuthorityData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==',
  isLocalCluster: false,
};

interface Recorder {
  deps: KubeconfigDeps;
  lookups: Array<{ name: string; aws: ClusterLookupInput }>;
  warnings: string[];
}

function fakeDeps(options: {
  home: string;
  env?: Record<string, string>;
  cluster?: Partial<EksCluster>;
  region?: string;
}): Recorder {
  const lookups: Recorder['lookups'] = [];
  const warnings: string[] = [];
  const deps: KubeconfigDeps = {
    env: options.env ?? {},
    homedir: options.home,
    files: {
      readText: (path) => {
        try {
          return readFileSync(path, 'utf8');
        } catch {
          return undefined;
        }
      },
    },
    log: { warn: (m) => warnings.push(m), verbose: () => {}, protect: () => {} },
    lookupCluster: async (name, aws) => {
      lookups.push({ name, aws });
      return { cluster: { ...DEMO, ...options.cluster }, region: options.region ?? aws.region ?? 'us-west-2' };
    },
  };
  return { deps, lookups, warnings };
}

describe('kubeconfig command', () => {
  test('adds cluster, user and context named by the cluster ARN, sets current-context, and says so', async () => {
    const home = tempDir();
    const { deps, lookups } = fakeDeps({ home });
    const out = await kubeconfig({ cluster: 'demo', region: 'us-west-2' }, deps);
    const path = join(home, '.kube', 'config');
    assert.equal(out, `Added context ${DEMO.arn} in ${path}`);
    assert.deepEqual(lookups, [{ name: 'demo', aws: { region: 'us-west-2' } }]);
    const config = parse(readFileSync(path, 'utf8'));
    // Names and cluster entry as `aws eks update-kubeconfig` writes them (docs/reference.md §3).
    assert.deepEqual(config.clusters, [
      {
        name: DEMO.arn,
        cluster: { 'certificate-authority-data': DEMO.certificateAuthorityData, server: DEMO.endpoint },
      },
    ]);
    assert.deepEqual(config.contexts, [{ name: DEMO.arn, context: { cluster: DEMO.arn, user: DEMO.arn } }]);
    assert.equal(config['current-context'], DEMO.arn);
    assert.deepEqual(config.users, [
      {
        name: DEMO.arn,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'eks-auth',
            args: ['token', '--cluster', 'demo', '--region', 'us-west-2'],
            interactiveMode: 'IfAvailable',
            installHint: INSTALL_HINT,
          },
        },
      },
    ]);
    assert.equal(mode(path), 0o600);
    assert.equal(mode(join(home, '.kube')), 0o700);
  });

  test('a second run changes nothing and says it is up to date', async () => {
    const home = tempDir();
    const { deps } = fakeDeps({ home, env: { AWS_PROFILE: 'dev' } });
    const input: KubeconfigInput = {
      cluster: 'demo',
      region: 'us-west-2',
      roleArn: 'arn:aws:iam::111122223333:role/admin',
    };
    await kubeconfig(input, deps);
    const path = join(home, '.kube', 'config');
    const before = readFileSync(path, 'utf8');
    const mtime = statSync(path).mtimeMs;
    assert.equal(await kubeconfig(input, deps), `Context ${DEMO.arn} in ${path} is up to date`);
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.equal(statSync(path).mtimeMs, mtime);
  });

  test('writes role, session name, external id and AWS_PROFILE (from --profile or the environment)', async () => {
    const home = tempDir();
    const { deps, lookups } = fakeDeps({ home, env: { AWS_PROFILE: 'from-env' } });
    await kubeconfig(
      {
        cluster: 'demo',
        region: 'us-west-2',
        profile: 'ops',
        roleArn: 'arn:aws:iam::1:role/r',
        sessionName: 's',
        externalId: 'e',
        alias: 'demo-ops',
      },
      deps,
    );
    // The lookup runs as the identity the token will use.
    assert.deepEqual(lookups[0]?.aws, {
      profile: 'ops',
      region: 'us-west-2',
      roleArn: 'arn:aws:iam::1:role/r',
      externalId: 'e',
      sessionName: 's',
    });
    const config = parse(readFileSync(join(home, '.kube', 'config'), 'utf8'));
    const exec = config.users[0].user.exec;
    assert.equal(config.users[0].name, 'demo-ops');
    assert.deepEqual(exec.args, [
      'token',
      '--cluster',
      'demo',
      '--region',
      'us-west-2',
      '--role-arn',
      'arn:aws:iam::1:role/r',
      '--session-name',
      's',
      '--external-id',
      'e',
    ]);
    assert.deepEqual(exec.env, [{ name: 'AWS_PROFILE', value: 'ops' }]);
    assert.deepEqual(config.contexts, [{ name: 'demo-ops', context: { cluster: DEMO.arn, user: 'demo-ops' } }]);

    const second = fakeDeps({ home: tempDir(), env: { AWS_PROFILE: 'from-env' } });
    await kubeconfig({ cluster: 'demo', region: 'us-west-2' }, second.deps);
    const env = parse(readFileSync(join(second.deps.homedir, '.kube', 'config'), 'utf8')).users[0].user.exec.env;
    assert.deepEqual(env, [{ name: 'AWS_PROFILE', value: 'from-env' }]);
  });

  test('writes the region the lookup resolved when --region is not given', async () => {
    const home = tempDir();
    const { deps } = fakeDeps({
      home,
      region: 'eu-north-1',
      cluster: { arn: 'arn:aws:eks:eu-north-1:1:cluster/demo' },
    });
    await kubeconfig({ cluster: 'demo' }, deps);
    const exec = parse(readFileSync(join(home, '.kube', 'config'), 'utf8')).users[0].user.exec;
    assert.deepEqual(exec.args, ['token', '--cluster', 'demo', '--region', 'eu-north-1']);
  });

  test('binds tokens for a local cluster on Outposts to its id, as update-kubeconfig does', async () => {
    const home = tempDir();
    const { deps } = fakeDeps({ home, cluster: { isLocalCluster: true, id: '6b1b7e2c-1111-2222-3333-444455556666' } });
    await kubeconfig({ cluster: 'demo', region: 'us-west-2' }, deps);
    const exec = parse(readFileSync(join(home, '.kube', 'config'), 'utf8')).users[0].user.exec;
    assert.deepEqual(exec.args.slice(0, 3), ['token', '--cluster', '6b1b7e2c-1111-2222-3333-444455556666']);
  });

  for (const [status, hint] of [
    ['CREATING', /aws eks wait cluster-active --name demo --region us-west-2/],
    ['FAILED', /describe-cluster/],
  ] as const) {
    test(`refuses a ${status} cluster with a hint, writing nothing`, async () => {
      const home = tempDir();
      const { deps } = fakeDeps({ home, cluster: { status } });
      await assert.rejects(kubeconfig({ cluster: 'demo', region: 'us-west-2' }, deps), (err: unknown) => {
        assert.ok(err instanceof EksAuthError);
        assert.equal(err.exitCode, ExitCode.config);
        assert.equal(err.message, `cluster "demo" in us-west-2 is ${status}, not ACTIVE`);
        assert.match(err.hint ?? '', hint);
        return true;
      });
      assert.equal(existsSync(join(home, '.kube')), false);
    });
  }

  test('accepts an UPDATING cluster', async () => {
    const { deps } = fakeDeps({ home: tempDir(), cluster: { status: 'UPDATING' } });
    assert.match(await kubeconfig({ cluster: 'demo', region: 'us-west-2' }, deps), /^Added context/);
  });

  test('updates what update-kubeconfig wrote in place: same names, user replaced, other entries untouched', async () => {
    const dir = tempDir();
    const path = copyFixture('update-kubeconfig.yaml', dir, 'config');
    const prod: Partial<EksCluster> = {
      name: 'prod',
      arn: 'arn:aws:eks:eu-central-1:123456789012:cluster/prod',
      endpoint: 'https://dj5pFzcbRxwGj0xrX30p.VsN.eu-central-1.eks.amazonaws.com/',
    };
    const original = parse(fixture('update-kubeconfig.yaml'));
    prod.certificateAuthorityData = original.clusters[1].cluster['certificate-authority-data'];
    const { deps } = fakeDeps({ home: dir, cluster: prod });
    const out = await kubeconfig({ cluster: 'prod', region: 'eu-central-1', kubeconfig: path }, deps);
    assert.equal(out, `Updated context ${prod.arn} in ${path}`);
    const config = parse(readFileSync(path, 'utf8'));
    assert.deepEqual(config.clusters, original.clusters);
    assert.deepEqual(config.contexts, original.contexts);
    assert.deepEqual(config.users[0], original.users[0]);
    assert.equal(config.users[1].user.exec.command, 'eks-auth');
    assert.equal(config.users.length, 2);
  });

  test('keeps extra keys of an existing cluster and context, and drops a conflicting CA file setting', async () => {
    const dir = tempDir();
    const path = join(dir, 'config');
    writeFileSync(
      path,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: ${DEMO.arn}\n  cluster:\n    server: https://old\n    certificate-authority: /old/ca.pem\n    proxy-url: http://proxy:3128\ncontexts:\n- name: ${DEMO.arn}\n  context:\n    cluster: ${DEMO.arn}\n    user: ${DEMO.arn}\n    namespace: apps\nusers: []\n`,
    );
    const { deps } = fakeDeps({ home: dir });
    await kubeconfig({ cluster: 'demo', region: 'us-west-2', kubeconfig: path }, deps);
    const config = parse(readFileSync(path, 'utf8'));
    assert.deepEqual(config.clusters[0].cluster, {
      server: DEMO.endpoint,
      'proxy-url': 'http://proxy:3128',
      'certificate-authority-data': DEMO.certificateAuthorityData,
    });
    assert.equal(config.contexts[0].context.namespace, 'apps');
  });

  test('--no-switch leaves current-context alone', async () => {
    const dir = tempDir();
    const path = copyFixture('mixed-users.yaml', dir, 'config');
    const { deps } = fakeDeps({
      home: dir,
      cluster: { arn: 'arn:aws:eks:us-west-2:111122223333:cluster/other', name: 'other' },
    });
    await kubeconfig({ cluster: 'other', region: 'us-west-2', kubeconfig: path, switchContext: false }, deps);
    assert.equal(parse(readFileSync(path, 'utf8'))['current-context'], 'demo');
  });

  test('--dry-run prints the resulting file and writes nothing', async () => {
    const dir = tempDir();
    const path = copyFixture('mixed-users.yaml', dir, 'config');
    const { deps } = fakeDeps({ home: dir });
    const out = await kubeconfig(
      { cluster: 'demo', region: 'us-west-2', kubeconfig: path, dryRun: true, alias: 'x' },
      deps,
    );
    assert.equal(readFileSync(path, 'utf8'), fixture('mixed-users.yaml'));
    const printed = parse(out);
    assert.equal(printed['current-context'], 'x');
    assert.ok(printed.users.some((u: { name: string }) => u.name === 'x'));
    assert.equal(printed.users.length, parse(fixture('mixed-users.yaml')).users.length + 1);
  });

  test('with several KUBECONFIG files, writes to the one holding the cluster and sets current-context where kubectl reads it', async () => {
    const dir = tempDir();
    const clusters = copyFixture('split-clusters.yaml', dir);
    const users = copyFixture('split-users.yaml', dir);
    const arn = 'arn:aws:eks:eu-west-1:111122223333:cluster/shared';
    const shared = parse(fixture('split-clusters.yaml')).clusters[0].cluster;
    const { deps } = fakeDeps({
      home: dir,
      env: { KUBECONFIG: [users, clusters].join(delimiter) },
      cluster: {
        name: 'shared',
        arn,
        endpoint: shared.server,
        certificateAuthorityData: shared['certificate-authority-data'],
      },
    });
    const out = await kubeconfig({ cluster: 'shared', region: 'eu-west-1' }, deps);
    assert.equal(
      out,
      [`Added context ${arn} in ${clusters}`, `Switched current-context to ${arn} in ${users}`].join('\n'),
    );
    assert.equal(parse(readFileSync(users, 'utf8'))['current-context'], arn);
    assert.deepEqual(parse(readFileSync(users, 'utf8')).users, parse(fixture('split-users.yaml')).users);
    const written = parse(readFileSync(clusters, 'utf8'));
    assert.equal(written['current-context'], undefined);
    assert.deepEqual(
      written.contexts.map((c: { name: string }) => c.name),
      ['shared', arn],
    );
  });

  test('warns when an earlier KUBECONFIG file defines the same user, which kubectl would use instead', async () => {
    const dir = tempDir();
    const first = join(dir, 'first');
    writeFileSync(first, `users:\n- name: ${DEMO.arn}\n  user: {token: t}\n`);
    const second = join(dir, 'second');
    writeFileSync(second, `clusters:\n- name: ${DEMO.arn}\n  cluster: {server: https://old}\n`);
    const { deps, warnings } = fakeDeps({ home: dir, env: { KUBECONFIG: [first, second].join(delimiter) } });
    await kubeconfig({ cluster: 'demo', region: 'us-west-2' }, deps);
    assert.deepEqual(warnings, [
      `user ${DEMO.arn} is also defined in ${first}, which kubectl reads first: that entry wins`,
    ]);
  });

  test('--server with --ca-data skips the lookup and names the entries after the cluster', async () => {
    const home = tempDir();
    const { deps, lookups } = fakeDeps({ home, env: { AWS_DEFAULT_REGION: 'eu-west-3' } });
    const caData = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    const out = await kubeconfig({ cluster: 'demo', server: 'https://127.0.0.1:6443', caData }, deps);
    assert.deepEqual(lookups, []);
    assert.equal(out, `Added context demo in ${join(home, '.kube', 'config')}`);
    const config = parse(readFileSync(join(home, '.kube', 'config'), 'utf8'));
    assert.deepEqual(config.clusters, [
      { name: 'demo', cluster: { 'certificate-authority-data': caData, server: 'https://127.0.0.1:6443' } },
    ]);
    // The region comes from the environment as `eks-auth token` would take it.
    assert.deepEqual(config.users[0].user.exec.args, ['token', '--cluster', 'demo', '--region', 'eu-west-3']);
  });

  test('--certificate-authority embeds the PEM file as data', async () => {
    const home = tempDir();
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(home, 'ca.pem'), pem);
    const { deps } = fakeDeps({ home });
    await kubeconfig(
      { cluster: 'demo', region: 'us-west-2', server: 'https://k', certificateAuthorityFile: join(home, 'ca.pem') },
      deps,
    );
    const config = parse(readFileSync(join(home, '.kube', 'config'), 'utf8'));
    assert.equal(Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), pem);
  });

  const manualErrors: Array<[string, Partial<KubeconfigInput>, number, RegExp]> = [
    ['a plain http server', { server: 'http://k', caData: 'eA==' }, ExitCode.usage, /not an https:\/\/ URL/],
    [
      '--server without a CA',
      { server: 'https://k' },
      ExitCode.usage,
      /--server needs --certificate-authority FILE or --ca-data/,
    ],
    [
      '--ca-data that is not a PEM certificate',
      { server: 'https://k', caData: 'bm9wZQ==' },
      ExitCode.usage,
      /--ca-data is not a PEM certificate/,
    ],
    [
      'a missing CA file',
      { server: 'https://k', certificateAuthorityFile: '/nonexistent/ca.pem' },
      ExitCode.config,
      /\/nonexistent\/ca.pem does not exist/,
    ],
    [
      'no region anywhere',
      { server: 'https://k', caData: Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64'), region: undefined },
      ExitCode.config,
      /no AWS region/,
    ],
  ];
  for (const [name, extra, code, message] of manualErrors) {
    test(`--server mode refuses ${name}`, async () => {
      const home = tempDir();
      const { deps } = fakeDeps({
        home,
        env: { AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none') },
      });
      await assert.rejects(kubeconfig({ cluster: 'demo', region: 'us-west-2', ...extra }, deps), (err: unknown) => {
        assert.ok(err instanceof EksAuthError);
        assert.equal(err.exitCode, code);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  test('refuses --session-name or --external-id without --role-arn, as `eks-auth token` would', async () => {
    const { deps, lookups } = fakeDeps({ home: tempDir() });
    await assert.rejects(
      kubeconfig({ cluster: 'demo', region: 'us-west-2', sessionName: 's' }, deps),
      (err: unknown) => {
        assert.ok(err instanceof EksAuthError);
        assert.equal(err.exitCode, ExitCode.usage);
        assert.match(err.message, /apply to --role-arn/);
        return true;
      },
    );
    assert.deepEqual(lookups, []);
  });

  test('--absolute-command writes the given path as the command', async () => {
    const home = tempDir();
    const { deps } = fakeDeps({ home });
    await kubeconfig({ cluster: 'demo', region: 'us-west-2', absoluteCommand: '/opt/eks-auth/eks-auth' }, deps);
    assert.equal(
      parse(readFileSync(join(home, '.kube', 'config'), 'utf8')).users[0].user.exec.command,
      '/opt/eks-auth/eks-auth',
    );
  });
});

describe('kubeconfig refuses control characters in what it writes', () => {
  const rows: {
    name: string;
    input: Parameters<typeof kubeconfig>[0];
    env?: Record<string, string>;
    message: RegExp;
  }[] = [
    {
      name: 'an escape in --cluster',
      input: { cluster: 'demo\u001b[2J', region: 'us-west-2' },
      message: /^--cluster "demo\\u001b\[2J" contains a control character \(U\+001B at position 5\)$/,
    },
    {
      name: 'a newline in --alias',
      input: { cluster: 'demo', region: 'us-west-2', alias: 'a\nb' },
      message: /^--alias "a\\nb" contains a control character \(U\+000A/,
    },
    {
      name: 'a NUL in --user-alias',
      input: { cluster: 'demo', region: 'us-west-2', userAlias: 'u\u0000' },
      message: /^--user-alias .* \(U\+0000/,
    },
    {
      name: 'a C1 CSI in --role-arn',
      input: { cluster: 'demo', region: 'us-west-2', roleArn: 'arn:aws:iam::111122223333:role/r\u009b' },
      message: /^--role-arn .* \(U\+009B/,
    },
    {
      name: 'a DEL in --profile',
      input: { cluster: 'demo', region: 'us-west-2', profile: 'dev\u007f' },
      message: /^--profile .* \(U\+007F/,
    },
    {
      name: 'a tab in AWS_PROFILE',
      input: { cluster: 'demo', region: 'us-west-2' },
      env: { AWS_PROFILE: 'de\tv' },
      message: /^AWS_PROFILE "de\\tv" .* \(U\+0009/,
    },
  ];
  for (const row of rows) {
    test(`${row.name}: exit 2, and nothing written or looked up`, async () => {
      const home = tempDir();
      const { deps, lookups } = fakeDeps({ home, ...(row.env ? { env: row.env } : {}) });
      await assert.rejects(kubeconfig(row.input, deps), (err: Error & { exitCode?: number; hint?: string }) => {
        assert.equal(err.exitCode, ExitCode.usage);
        assert.match(err.message, row.message);
        assert.match(err.hint ?? '', /must be printable/);
        return true;
      });
      assert.equal(lookups.length, 0);
      assert.throws(() => readFileSync(join(home, '.kube', 'config'), 'utf8'), { code: 'ENOENT' });
    });
  }

  test('printable names, Unicode included, are written', async () => {
    const home = tempDir();
    const { deps } = fakeDeps({ home });
    await kubeconfig({ cluster: 'demo', region: 'us-west-2', alias: 'démo prod' }, deps);
    assert.equal(parse(readFileSync(join(home, '.kube', 'config'), 'utf8')).contexts[0].name, 'démo prod');
  });
});
