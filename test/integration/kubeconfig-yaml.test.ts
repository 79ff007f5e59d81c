/**
 * kubeconfig files with YAML that kubectl reads in its own way (anchors and aliases, merge keys,
 * repeated keys, deep nesting, bytes that are not UTF-8): eks-auth edits them as kubectl would,
 * and the oracle is the pinned real kubectl's `kubectl config view --raw -o json` of the same file
 * before and after, not values written here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { kubeconfig, type KubeconfigDeps } from '../../src/usecases/kubeconfig';
import { EksAuthError } from '../../src/errors';
import { MAX_KUBECONFIG_BYTES } from '../../src/kube/kubeconfig-file';
import { kubectlPath, requirePeer, runCommand } from '../peers/peers';

const KUBECTL_MINOR = 33;
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempFile(text: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-kcfg-'));
  dirs.push(dir);
  const path = join(dir, 'config');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

const deps = (home: string): KubeconfigDeps => ({
  env: {},
  homedir: home,
  files: { readText: () => undefined },
  log: { warn: () => {}, verbose: () => {}, protect: () => {} },
  lookupCluster: async () => {
    throw new Error('no lookup: --server is given');
  },
});

/** eks-auth kubeconfig for cluster `name`, with the endpoint given (no DescribeCluster). */
async function edit(path: string, name: string, server: string): Promise<void> {
  await kubeconfig(
    { cluster: name, region: 'us-west-2', server, caData: CA, kubeconfig: path, switchContext: false },
    deps(tmpdir()),
  );
}

async function view(
  path: string,
): Promise<{ code: number; json: Record<string, unknown> | undefined; stderr: string }> {
  const r = await runCommand(
    kubectlPath(KUBECTL_MINOR),
    ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', path],
    { env: { PATH: '/usr/bin:/bin', HOME: tmpdir() } },
  );
  return {
    code: r.code ?? -1,
    json: r.code === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined,
    stderr: r.stderr,
  };
}

type Named = { name: string; [k: string]: unknown };
const byName = (list: unknown, name: string): Named | undefined =>
  (list as Named[] | null)?.find((e) => e.name === name);

const ANCHORED = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: &shared
    server: https://old.example.com
    certificate-authority-data: ${CA}
- name: staging
  cluster: *shared
users:
- name: prod
  user: &user
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      args: [eks, get-token, --cluster-name, shared]
- name: staging
  user: *user
contexts:
- name: prod
  context: {cluster: prod, user: prod}
- name: staging
  context: {cluster: staging, user: staging}
`;

describe('kubeconfig YAML as kubectl reads it (pinned kubectl as the oracle)', () => {
  test('editing one of two clusters that share an anchor changes only that one, users too', async (t) => {
    if (!requirePeer(t, `kubectl.1.${KUBECTL_MINOR}`)) return;
    const path = tempFile(ANCHORED);
    const before = await view(path);
    assert.equal(before.code, 0, before.stderr);
    await edit(path, 'prod', 'https://new.example.com');
    const afterEdit = await view(path);
    assert.equal(afterEdit.code, 0, afterEdit.stderr);
    const cluster = (j: typeof before.json, n: string) => byName(j?.clusters, n)?.cluster as Record<string, unknown>;
    const user = (j: typeof before.json, n: string) => byName(j?.users, n)?.user as Record<string, unknown>;
    assert.equal(cluster(afterEdit.json, 'prod')?.server, 'https://new.example.com');
    // staging is exactly what kubectl read before: the shared anchor was not edited through prod.
    assert.deepEqual(cluster(afterEdit.json, 'staging'), cluster(before.json, 'staging'));
    assert.deepEqual(user(afterEdit.json, 'staging'), user(before.json, 'staging'));
    assert.notDeepEqual(user(afterEdit.json, 'prod'), user(before.json, 'prod'));
    assert.deepEqual(byName(afterEdit.json?.contexts, 'staging'), byName(before.json?.contexts, 'staging'));
  });

  test('entries built with merge keys are edited alone, keeping what the merge brought in', async (t) => {
    if (!requirePeer(t, `kubectl.1.${KUBECTL_MINOR}`)) return;
    const text = `apiVersion: v1
kind: Config
clusters:
- &base
  name: base
  cluster: &basecluster
    server: https://base.example.com
    tls-server-name: base.example.com
- <<: *base
  name: prod
- name: qa
  cluster:
    <<: *basecluster
    proxy-url: https://proxy.example.com
users: []
contexts: []
`;
    const path = tempFile(text);
    const before = await view(path);
    assert.equal(before.code, 0, before.stderr);
    await edit(path, 'prod', 'https://prod.example.com');
    await edit(path, 'qa', 'https://qa.example.com');
    const afterEdit = await view(path);
    assert.equal(afterEdit.code, 0, afterEdit.stderr);
    const cluster = (j: typeof before.json, n: string) => byName(j?.clusters, n)?.cluster as Record<string, unknown>;
    assert.deepEqual(cluster(afterEdit.json, 'base'), cluster(before.json, 'base'));
    assert.equal(cluster(afterEdit.json, 'prod').server, 'https://prod.example.com');
    assert.equal(cluster(afterEdit.json, 'qa').server, 'https://qa.example.com');
    // What the merges brought in and eks-auth does not set stays, as kubectl keeps it.
    assert.equal(cluster(afterEdit.json, 'prod')['tls-server-name'], cluster(before.json, 'prod')['tls-server-name']);
    assert.equal(cluster(afterEdit.json, 'qa')['proxy-url'], cluster(before.json, 'qa')['proxy-url']);
  });

  test('a repeated server: key is accepted as kubectl accepts it, and the edit wins over both', async (t) => {
    if (!requirePeer(t, `kubectl.1.${KUBECTL_MINOR}`)) return;
    const path = tempFile(
      `apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://one.example.com\n    server: https://two.example.com\nusers: []\ncontexts: []\n`,
    );
    assert.equal((await view(path)).code, 0, 'kubectl reads a repeated key');
    await edit(path, 'prod', 'https://new.example.com');
    const afterEdit = await view(path);
    assert.equal(afterEdit.code, 0, afterEdit.stderr);
    assert.equal(
      (byName(afterEdit.json?.clusters, 'prod')?.cluster as Record<string, unknown> | undefined)?.server,
      'https://new.example.com',
    );
  });

  test('nesting kubectl reads (300 levels in an extension) is kept and edited around', async (t) => {
    if (!requirePeer(t, `kubectl.1.${KUBECTL_MINOR}`)) return;
    const deep = `${'['.repeat(300)}x${']'.repeat(300)}`;
    const path = tempFile(
      `apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\nextensions:\n- name: deep\n  extension: {v: ${deep}}\n`,
    );
    const before = await view(path);
    assert.equal(before.code, 0, before.stderr);
    await edit(path, 'prod', 'https://new.example.com');
    const afterEdit = await view(path);
    assert.equal(afterEdit.code, 0, afterEdit.stderr);
    assert.deepEqual(afterEdit.json?.extensions, before.json?.extensions);
  });

  test('nesting beyond what eks-auth can hold is refused without claiming kubectl fails too', async (t) => {
    if (!requirePeer(t, `kubectl.1.${KUBECTL_MINOR}`)) return;
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const path = tempFile(
      `apiVersion: v1\nkind: Config\nclusters: []\nextensions:\n- name: deep\n  extension: {v: ${deep}}\n`,
    );
    assert.equal((await view(path)).code, 0, 'kubectl reads 5000 levels');
    const before = readFileSync(path);
    await assert.rejects(edit(path, 'prod', 'https://new.example.com'), (e: unknown) => {
      assert.ok(e instanceof EksAuthError);
      assert.doesNotMatch(`${e.message} ${e.hint ?? ''}`, /kubectl cannot read it/);
      assert.match(e.hint ?? '', /kubectl config view --kubeconfig/);
      return true;
    });
    assert.deepEqual(readFileSync(path), before, 'the file is left alone');
  });

  test('a kubeconfig that is not UTF-8 is refused, as kubectl refuses it, and left byte for byte', async (t) => {
    if (!requirePeer(t, `kubectl.1.${KUBECTL_MINOR}`)) return;
    const bytes = Buffer.concat([
      Buffer.from('apiVersion: v1\nkind: Config\nusers:\n- name: other\n  user:\n    token: ab'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('cd\nclusters: []\ncontexts: []\n'),
    ]);
    const path = tempFile(bytes);
    const kubectl = await view(path);
    assert.notEqual(kubectl.code, 0, 'kubectl refuses it');
    await assert.rejects(
      edit(path, 'prod', 'https://new.example.com'),
      (e: unknown) => e instanceof EksAuthError && /not valid UTF-8/.test(e.message),
    );
    assert.deepEqual(readFileSync(path), bytes);
  });

  test('a kubeconfig larger than the bound, or a device, is refused with a clear error', async () => {
    const path = tempFile('');
    writeFileSync(path, Buffer.alloc(MAX_KUBECONFIG_BYTES + 1, 0x23));
    await assert.rejects(
      edit(path, 'prod', 'https://new.example.com'),
      (e: unknown) => e instanceof EksAuthError && /more than the \d+/.test(e.message),
    );
    await assert.rejects(
      edit('/dev/zero', 'prod', 'https://new.example.com'),
      (e: unknown) => e instanceof EksAuthError && /not a regular file/.test(e.message),
    );
  });
});
