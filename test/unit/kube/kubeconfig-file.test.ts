import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { EksAuthError, ExitCode } from '../../../src/errors';
import {
  chooseKubeconfig,
  currentContextFile,
  findEntry,
  kubeconfigPaths,
  parseKubeconfig,
  readKubeconfig,
  serializeKubeconfig,
  setEntry,
  withKubeconfigLock,
  writeKubeconfigFile,
} from '../../../src/kube/kubeconfig-file';

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

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function assertEksAuthError(fn: () => unknown, code: number, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EksAuthError, `EksAuthError, got ${String(err)}`);
    assert.equal(err.exitCode, code);
    assert.match(err.message, message);
    return true;
  });
}

describe('kubeconfigPaths', () => {
  const home = '/home/alice';
  test('--kubeconfig wins over KUBECONFIG, with ~ expanded', () => {
    assert.deepEqual(kubeconfigPaths({ explicit: '~/k/config', env: { KUBECONFIG: '/a' }, homedir: home }), [
      '/home/alice/k/config',
    ]);
  });
  test('KUBECONFIG lists every path in order, without empty elements or repeats', () => {
    const env = { KUBECONFIG: ['/a', '', '/b', '/a', ' '].join(delimiter) };
    assert.deepEqual(kubeconfigPaths({ env, homedir: home }), ['/a', '/b']);
  });
  test('falls back to ~/.kube/config', () => {
    assert.deepEqual(kubeconfigPaths({ env: {}, homedir: home }), ['/home/alice/.kube/config']);
    assert.deepEqual(kubeconfigPaths({ env: { KUBECONFIG: '' }, homedir: home }), ['/home/alice/.kube/config']);
  });
});

describe('parse and serialize', () => {
  // The AWS CLI's and kubectl's own layout comes back byte for byte: a run that changes one entry
  // shows only that entry in a diff.
  for (const name of ['update-kubeconfig.yaml', 'split-clusters.yaml', 'split-users.yaml']) {
    test(`round-trips ${name} byte for byte`, () => {
      const text = fixture(name);
      assert.equal(serializeKubeconfig(parseKubeconfig(name, text)), text);
    });
  }

  for (const name of [
    'aws-iam-authenticator.yaml',
    'aws-iam-authenticator-v1alpha1.yaml',
    'mixed-users.yaml',
    'multi-document.yaml',
  ]) {
    test(`round-trips ${name} to the same content, keeping its comments`, () => {
      const text = fixture(name);
      const out = serializeKubeconfig(parseKubeconfig(name, text));
      const all = (t: string) => [parseAllDocuments(t)].flat().map((d) => d.toJS());
      assert.deepEqual(all(out), all(text));
      for (const comment of text.match(/#.*$/gm) ?? []) assert.ok(out.includes(comment.trim()), `keeps ${comment}`);
    });
  }

  test('a missing file is a new kubeconfig in kubectl’s key order', () => {
    const file = readKubeconfig(join(tempDir(), 'absent'));
    assert.equal(file.exists, false);
    assert.equal(
      serializeKubeconfig(file),
      'apiVersion: v1\nclusters: []\ncontexts: []\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: []\n',
    );
  });

  test('an empty file is an empty kubeconfig', () => {
    assert.deepEqual(findEntry(parseKubeconfig('empty', ''), 'users', 'x'), undefined);
  });

  test('quotes strings that YAML 1.1 (kubectl) would read as booleans or numbers', () => {
    const file = parseKubeconfig('f', '');
    setEntry(file, 'users', { name: 'on', user: { exec: { args: ['yes', 'n', '0123', '1e3', 'off'] } } });
    const out = serializeKubeconfig(file);
    for (const word of ['on', 'yes', 'n', '0123', '1e3', 'off']) assert.match(out, new RegExp(`"${word}"`));
  });

  test('reads YAML 1.1 booleans as kubectl does', () => {
    const file = parseKubeconfig('f', 'clusters:\n- name: a\n  cluster:\n    insecure-skip-tls-verify: yes\n');
    assert.deepEqual(findEntry(file, 'clusters', 'a'), { name: 'a', cluster: { 'insecure-skip-tls-verify': true } });
  });

  test('names the file and line of a YAML error', () => {
    assertEksAuthError(
      () => parseKubeconfig('/k/config', 'users: [\n'),
      ExitCode.config,
      /kubeconfig \/k\/config is not valid YAML: .*line 2/,
    );
  });

  const badShapes: Array<[string, RegExp]> = [
    ['- just\n- a list\n', /top level is not a mapping/],
    ['users: {a: 1}\n', /users is not a list/],
    ['clusters:\n- just-a-string\n', /clusters\[0\] is not a mapping/],
    ['contexts:\n- context: {}\n', /contexts\[0\] has no name/],
  ];
  for (const [text, message] of badShapes) {
    test(`refuses a kubeconfig whose ${message.source.replace(/\\/g, '')}`, () => {
      assertEksAuthError(() => parseKubeconfig('/k/config', text), ExitCode.config, message);
    });
  }

  test('sees only the first YAML document, as kubectl does, and keeps the others unchanged', () => {
    const file = parseKubeconfig('multi', fixture('multi-document.yaml'));
    assert.ok(findEntry(file, 'users', 'arn:aws:eks:eu-west-1:111122223333:cluster/first'));
    assert.equal(findEntry(file, 'users', 'second'), undefined);
    assert.equal(file.extraDocuments.length, 1);
    setEntry(file, 'users', { name: 'new', user: { token: 't' } });
    const [, second] = serializeKubeconfig(file).split(/^---$/m);
    assert.equal(`---${second}`, fixture('multi-document.yaml').slice(fixture('multi-document.yaml').indexOf('---')));
  });
});

describe('setEntry', () => {
  test('adds, updates and leaves an equal entry alone', () => {
    const file = parseKubeconfig('f', fixture('update-kubeconfig.yaml'));
    const name = 'arn:aws:eks:eu-central-1:123456789012:cluster/prod';
    const existing = findEntry(file, 'users', name);
    assert.ok(existing);
    assert.equal(setEntry(file, 'users', { ...existing, name }), 'unchanged');
    assert.equal(setEntry(file, 'users', { name, user: { token: 'x' } }), 'updated');
    assert.equal(setEntry(file, 'users', { name: 'another', user: { token: 'x' } }), 'added');
    assert.deepEqual(findEntry(file, 'users', name), { name, user: { token: 'x' } });
  });

  test('rewrites only the keys that change: the rest keeps its formatting and comments', () => {
    const file = parseKubeconfig('f', fixture('mixed-users.yaml'));
    const name = 'arn:aws:eks:us-west-2:111122223333:cluster/demo';
    const context = findEntry(file, 'contexts', 'demo');
    assert.ok(context);
    setEntry(file, 'contexts', {
      ...context,
      name: 'demo',
      context: { ...(context.context as object), user: 'someone' },
    });
    const before = fixture('mixed-users.yaml');
    const after = serializeKubeconfig(file);
    assert.equal(
      after,
      before.replace(`    user: ${name}\n    namespace: apps`, '    user: someone\n    namespace: apps'),
    );
  });

  test('creates the list when the file has `users: null`', () => {
    const file = parseKubeconfig('f', 'apiVersion: v1\nusers:\n');
    assert.equal(setEntry(file, 'users', { name: 'a', user: {} }), 'added');
    assert.deepEqual(parse(serializeKubeconfig(file)).users, [{ name: 'a', user: {} }]);
  });
});

describe('choosing the file', () => {
  test('the first KUBECONFIG file that holds the cluster, else the first file', () => {
    const files = [
      parseKubeconfig('/users', fixture('split-users.yaml')),
      parseKubeconfig('/clusters', fixture('split-clusters.yaml')),
    ];
    assert.equal(chooseKubeconfig(files, 'arn:aws:eks:eu-west-1:111122223333:cluster/shared').path, '/clusters');
    assert.equal(chooseKubeconfig(files, 'arn:aws:eks:eu-west-1:111122223333:cluster/new').path, '/users');
  });

  test('current-context goes to the first file that sets it (client-go’s merge), else the target', () => {
    const clusters = parseKubeconfig('/clusters', fixture('split-clusters.yaml'));
    const users = parseKubeconfig('/users', fixture('split-users.yaml'));
    assert.equal(currentContextFile([clusters, users], clusters).path, '/users');
    assert.equal(currentContextFile([clusters], clusters).path, '/clusters');
  });
});

describe('writeKubeconfigFile', () => {
  test('creates ~/.kube with mode 0700 and the file with mode 0600, leaving no temp file', () => {
    const home = tempDir();
    const path = join(home, '.kube', 'config');
    writeKubeconfigFile(path, 'apiVersion: v1\n');
    assert.equal(readFileSync(path, 'utf8'), 'apiVersion: v1\n');
    assert.equal(mode(join(home, '.kube')), 0o700);
    assert.equal(mode(path), 0o600);
    assert.deepEqual(readdirSync(join(home, '.kube')), ['config']);
  });

  test('tightens an existing 0644 file to 0600', () => {
    const path = join(tempDir(), 'config');
    writeFileSync(path, 'old\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    writeKubeconfigFile(path, 'new\n');
    assert.equal(mode(path), 0o600);
    assert.equal(readFileSync(path, 'utf8'), 'new\n');
  });

  test('replaces the target of a symlinked kubeconfig and keeps the link', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'dotfiles'));
    const real = join(dir, 'dotfiles', 'kubeconfig');
    writeFileSync(real, 'old\n');
    const link = join(dir, 'config');
    symlinkSync(real, link);
    writeKubeconfigFile(link, 'new\n');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), real);
    assert.equal(readFileSync(real, 'utf8'), 'new\n');
    assert.deepEqual(readdirSync(join(dir, 'dotfiles')), ['kubeconfig']);
  });

  test('fails with the path named, keeping the old file and no temp file, when the rename fails', () => {
    const dir = tempDir();
    const path = join(dir, 'config');
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), 'x');
    assertEksAuthError(
      () => writeKubeconfigFile(path, 'new\n'),
      ExitCode.config,
      new RegExp(`cannot write kubeconfig ${path}`),
    );
    assert.deepEqual(readdirSync(dir), ['config']);
    assert.deepEqual(readdirSync(path), ['keep']);
  });
});

describe('withKubeconfigLock', () => {
  test('holds kubectl’s <file>.lock while running and removes it after', () => {
    const path = join(tempDir(), 'config');
    const seen = withKubeconfigLock([path], () => existsSync(`${path}.lock`));
    assert.equal(seen, true);
    assert.equal(existsSync(`${path}.lock`), false);
  });

  test('refuses to edit a file another writer has locked, and leaves that lock alone', () => {
    const path = join(tempDir(), 'config');
    writeFileSync(`${path}.lock`, '');
    let ran = false;
    assertEksAuthError(
      () => withKubeconfigLock([path], () => (ran = true)),
      ExitCode.config,
      /locked by .*config\.lock/,
    );
    assert.equal(ran, false);
    assert.ok(existsSync(`${path}.lock`));
  });
});
