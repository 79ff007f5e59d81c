import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { kubeconfigMigrate } from '../../../src/usecases/kubeconfig-migrate';
import { ExitCode } from '../../../src/errors';

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

describe('kubeconfig migrate command', () => {
  const logDeps = (home: string, env: Record<string, string> = {}) => {
    const warnings: string[] = [];
    return {
      deps: {
        env,
        homedir: home,
        log: { warn: (m: string) => warnings.push(m), verbose: () => {}, protect: () => {} },
      },
      warnings,
    };
  };

  test('rewrites aws get-token and v1alpha1 aws-iam-authenticator users across KUBECONFIG files, printing a diff', async () => {
    const dir = tempDir();
    const a = copyFixture('update-kubeconfig.yaml', dir);
    const b = copyFixture('aws-iam-authenticator-v1alpha1.yaml', dir);
    const { deps } = logDeps(dir, { KUBECONFIG: [a, b].join(delimiter) });
    const out = await kubeconfigMigrate({}, deps);
    assert.equal(
      out,
      [
        'user demo-admin-user:',
        '- AWS_PROFILE=dev aws --region us-west-2 eks get-token --cluster-name demo --output json --role arn:aws:iam::123456789012:role/admin (client.authentication.k8s.io/v1beta1)',
        '+ AWS_PROFILE=dev eks-auth token --cluster demo --region us-west-2 --role-arn arn:aws:iam::123456789012:role/admin (client.authentication.k8s.io/v1)',
        'user arn:aws:eks:eu-central-1:123456789012:cluster/prod:',
        '- aws --region eu-central-1 eks get-token --cluster-name prod --output json (client.authentication.k8s.io/v1beta1)',
        '+ eks-auth token --cluster prod --region eu-central-1 (client.authentication.k8s.io/v1)',
        `Migrated 2 users in ${a}`,
        'user aws:',
        '- AWS_PROFILE=dev aws-iam-authenticator token -i demo -r arn:aws:iam::444455556666:role/eks-admin --session-name ops-alice --external-id ext-1234 --region us-west-2 (client.authentication.k8s.io/v1alpha1)',
        '+ AWS_PROFILE=dev eks-auth token --cluster demo --region us-west-2 --role-arn arn:aws:iam::444455556666:role/eks-admin --session-name ops-alice --external-id ext-1234 (client.authentication.k8s.io/v1)',
        'user heptio:',
        '- heptio-authenticator-aws token -i demo (client.authentication.k8s.io/v1alpha1)',
        '+ eks-auth token --cluster demo (client.authentication.k8s.io/v1)',
        '! no region in this entry: eks-auth takes it from AWS_REGION, AWS_DEFAULT_REGION or the profile',
        `Migrated 2 users in ${b}`,
      ].join('\n'),
    );
    // Everything but the users' exec is as it was.
    for (const [path, name] of [
      [a, 'update-kubeconfig.yaml'],
      [b, 'aws-iam-authenticator-v1alpha1.yaml'],
    ] as const) {
      const before = parse(fixture(name));
      const after = parse(readFileSync(path, 'utf8'));
      assert.deepEqual({ ...after, users: undefined }, { ...before, users: undefined });
      assert.deepEqual(
        after.users.map((u: { name: string }) => u.name),
        before.users.map((u: { name: string }) => u.name),
      );
      for (const user of after.users) {
        assert.equal(user.user.exec.apiVersion, 'client.authentication.k8s.io/v1');
        assert.equal(user.user.exec.interactiveMode, 'IfAvailable');
      }
      assert.equal(mode(path), 0o600);
    }
    // Idempotent: nothing left to do.
    const again = await kubeconfigMigrate({}, deps);
    assert.equal(
      again,
      [
        `No aws eks get-token or aws-iam-authenticator users to migrate in ${a}`,
        `No aws eks get-token or aws-iam-authenticator users to migrate in ${b}`,
      ].join('\n'),
    );
  });

  test('touches only the users it can translate and keeps comments and other users byte for byte', async () => {
    const dir = tempDir();
    const path = copyFixture('mixed-users.yaml', dir, 'config');
    const { deps } = logDeps(dir);
    const out = await kubeconfigMigrate({ kubeconfig: path }, deps);
    // aws-iam-authenticator's --forward-session-name is eks-auth's too.
    assert.match(
      out,
      /^user forwarded:\n- .*\n\+ eks-auth token --cluster demo --role-arn arn:aws:iam::111122223333:role\/dev --forward-session-name \(client.authentication.k8s.io\/v1\)$/m,
    );
    assert.match(out, /Migrated 2 users in /);
    const text = readFileSync(path, 'utf8');
    const before = fixture('mixed-users.yaml');
    // The users between and after the two migrated ones are unchanged text.
    const between = (t: string) => t.slice(t.indexOf('- name: gke_proj'), t.indexOf('- name: forwarded'));
    assert.equal(between(text), between(before));
    assert.equal(
      text.slice(text.indexOf('- name: static-token')),
      before.slice(before.indexOf('- name: static-token')),
    );
    assert.ok(text.startsWith(before.slice(0, before.indexOf('users:'))));
    const exec = parse(text).users[0].user.exec;
    // AWS_STS_REGIONAL_ENDPOINTS keeps its meaning for eks-auth: carried over.
    assert.deepEqual(exec.env, [{ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' }]);
  });

  test('--dry-run prints the diff and writes nothing', async () => {
    const dir = tempDir();
    const path = copyFixture('aws-iam-authenticator.yaml', dir, 'config');
    const { deps } = logDeps(dir);
    const out = await kubeconfigMigrate({ kubeconfig: path, dryRun: true }, deps);
    assert.match(
      out,
      /^\+ eks-auth token --cluster demo --role-arn arn:aws:iam::111122223333:role\/KubernetesAdmin \(client.authentication.k8s.io\/v1\)$/m,
    );
    assert.match(out, new RegExp(`Would migrate 2 users in ${path} \\(dry run: nothing written\\)$`));
    assert.equal(readFileSync(path, 'utf8'), fixture('aws-iam-authenticator.yaml'));
  });

  test('migrates only the first YAML document of a file and warns about the others', async () => {
    const dir = tempDir();
    const path = copyFixture('multi-document.yaml', dir, 'config');
    const { deps, warnings } = logDeps(dir);
    await kubeconfigMigrate({ kubeconfig: path }, deps);
    const text = readFileSync(path, 'utf8');
    assert.equal(
      text.slice(text.indexOf('\n---\n')),
      fixture('multi-document.yaml').slice(fixture('multi-document.yaml').indexOf('\n---\n')),
    );
    assert.match(warnings[0] ?? '', /1 more YAML document\(s\) after the first; kubectl reads only the first/);
  });

  test('a --kubeconfig that does not exist is a config error (exit 3), and nothing is created', async () => {
    const dir = tempDir();
    const { deps } = logDeps(dir);
    await assert.rejects(kubeconfigMigrate({ kubeconfig: join(dir, 'none') }, deps), {
      exitCode: ExitCode.config,
      message: `the kubeconfig ${join(dir, 'none')} does not exist`,
    });
    assert.deepEqual(readdirSync(dir), []);
  });
});
