/**
 * The cache under load, with the built eks-auth as kubectl runs it, against moto behind the
 * verifying STS front (which logs every call): 30 concurrent cold calls make one AssumeRole per hop
 * of a 3-hop chain, a warm wave makes none, a new cluster reuses the role sessions, a cache hit
 * loads no SDK code, corrupt entries are rewritten, and an unsafe directory is refused.
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { cleanAwsEnv, httpsRequest, requirePeer, runCommand, type CommandResult, type PeerName } from '../peers/peers';
import { useStsWorkspace } from '../helpers/sts-workspace';

const PEERS: PeerName[] = ['moto_server', 'python3', 'botocore', 'openssl'];
// Made-up static keys the STS front knows (account 111111111111).
const BASE = {
  akid: 'AKIAEKSAUTHCACHEBASE',
  secret: 'cache/base+secret=abcdefghijklmnopqrstuv',
  arn: 'arn:aws:iam::111111111111:user/base',
};
const ROLES = [
  'arn:aws:iam::222222222222:role/hop1',
  'arn:aws:iam::333333333333:role/hop2',
  'arn:aws:iam::444444444444:role/hop3',
];
const CONFIG = `[profile base]
aws_access_key_id = ${BASE.akid}
aws_secret_access_key = ${BASE.secret}

[profile hop1]
role_arn = ${ROLES[0]}
source_profile = base

[profile hop2]
role_arn = ${ROLES[1]}
source_profile = hop1

[profile hop3]
role_arn = ${ROLES[2]}
source_profile = hop2
`;
const WAVE = 30;

/** eks-auth's own stderr lines (error:, warning:, hint:), without what Node or the SDK print on their own. */
function ownLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^(error|warning|hint): /.test(line));
}

describe('cache with 30 concurrent kubectl-style calls', () => {
  const ws = useStsWorkspace({ prefix: 'eks-auth-cache-it-', config: CONFIG, base: BASE, peers: PEERS });
  let cacheDir = '';
  before(() => {
    if (ws.dir) cacheDir = join(ws.dir, 'kube-cache', 'eks-auth');
  });

  function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const f = ws.front;
    return cleanAwsEnv({
      configFile: ws.configFile,
      caFile: f.caFile,
      env: {
        AWS_ENDPOINT_URL_STS: f.url,
        AWS_REGION: 'us-east-1',
        KUBECACHEDIR: join(ws.dir, 'kube-cache'),
        KUBERNETES_EXEC_INFO:
          '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}',
        ...extra,
      },
    });
  }

  function token(
    cluster: string,
    options: { bin?: string; env?: NodeJS.ProcessEnv; args?: string[] } = {},
  ): Promise<CommandResult> {
    return runCommand(
      process.execPath,
      [options.bin ?? ws.bin, 'token', '--cluster', cluster, '--profile', 'hop3', ...(options.args ?? [])],
      {
        env: options.env ?? env(),
        timeoutMs: 60_000,
      },
    );
  }

  function tokenOf(run: CommandResult): string {
    assert.equal(run.code, 0, `eks-auth failed: ${run.stderr}`);
    return (JSON.parse(run.stdout) as { status: { token: string } }).status.token;
  }

  /** What eks-auth itself sent to STS (POSTs); the GETs are this test's own token checks. */
  const stsCalls = () => ws.front.calls().filter((c) => c.method === 'POST');
  const assumeCount = (roleArn: string) =>
    stsCalls().filter((c) => c.action === 'AssumeRole' && c.roleArn === roleArn).length;

  /** Replays the token's presigned URL as EKS would: the front verifies the signature and answers who signed it. */
  async function assertAccepted(tokenValue: string, cluster: string): Promise<void> {
    const url = Buffer.from(tokenValue.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
    const res = await httpsRequest(url, {
      headers: { 'x-k8s-aws-id': cluster, accept: 'application/json' },
      ca: ws.front.caPem,
    });
    assert.equal(res.status, 200, `STS refused the token: ${res.body}`);
    assert.match(res.body, /assumed-role\/hop3\//);
  }

  test('30 concurrent cold calls make exactly one AssumeRole per hop and print the same valid token', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const runs = await Promise.all(Array.from({ length: WAVE }, () => token('demo')));
    const tokens = new Set(runs.map(tokenOf));
    assert.equal(tokens.size, 1, 'every call printed the same token');
    for (const role of ROLES) assert.equal(assumeCount(role), 1, `AssumeRole calls for ${role}`);
    await assertAccepted([...tokens][0] as string, 'demo');
    assert.deepEqual(
      runs.flatMap((r) => ownLines(r.stderr)),
      [],
      'no call warned or failed',
    );
  });

  test('a second wave of 30 makes no STS call at all', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const before = stsCalls().length;
    const runs = await Promise.all(Array.from({ length: WAVE }, () => token('demo')));
    assert.equal(new Set(runs.map(tokenOf)).size, 1);
    assert.equal(stsCalls().length, before);
  });

  test('a new cluster makes no AssumeRole call: the role sessions are cached', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const before = stsCalls().length;
    const other = tokenOf(await token('other'));
    assert.equal(stsCalls().length, before);
    await assertAccepted(other, 'other');
  });

  test('a cache hit loads no SDK code: it runs from a build without the SDK bundles', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const lean = join(ws.dir, 'lean-dist');
    cpSync(join(ws.dir, 'dist'), lean, { recursive: true });
    for (const name of readdirSync(lean)) {
      if (/^(sts-client|sdk-sources|main)\.js/.test(name)) rmSync(join(lean, name));
    }
    const hit = await token('demo', { bin: join(lean, 'eks-auth.js') });
    assert.equal(tokenOf(hit), tokenOf(await token('demo')));
    // The same build fails as soon as STS is needed: the check above can tell.
    const miss = await token('demo', { bin: join(lean, 'eks-auth.js'), args: ['--no-cache'] });
    assert.notEqual(miss.code, 0);
    assert.match(miss.stderr, /sts-client/);
  });

  test('--no-cache and EKS_AUTH_NO_CACHE=1 go to STS every time and leave the cache alone', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    // last-error.json (left by the failing lean build above) is not a cache entry: a success clears it, cache or not.
    const cacheFiles = () =>
      readdirSync(cacheDir)
        .filter((n) => n !== 'last-error.json')
        .sort();
    const files = cacheFiles();
    const before = assumeCount(ROLES[2] as string);
    tokenOf(await token('demo', { args: ['--no-cache'] }));
    tokenOf(await token('demo', { env: env({ EKS_AUTH_NO_CACHE: '1' }) }));
    assert.equal(assumeCount(ROLES[2] as string), before + 2);
    assert.deepEqual(cacheFiles(), files);
    assert.equal(readdirSync(cacheDir).includes('last-error.json'), false);
  });

  test('a corrupt token entry alone: the call succeeds from the role sessions and rewrites it', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const entries = readdirSync(cacheDir).filter((n) => n.endsWith('.json'));
    const tokenFiles = entries.filter(
      (n) => (JSON.parse(readFileSync(join(cacheDir, n), 'utf8')) as { kind: string }).kind === 'token',
    );
    assert.equal(tokenFiles.length, 2, 'tokens for demo and other');
    for (const name of tokenFiles)
      writeFileSync(join(cacheDir, name), '{"version":1,"kind":"token","token":"k8s-aws-v1.', { mode: 0o600 });
    const before = stsCalls().length;
    tokenOf(await token('demo'));
    tokenOf(await token('other'));
    assert.equal(stsCalls().length, before);
    for (const name of tokenFiles)
      assert.equal((JSON.parse(readFileSync(join(cacheDir, name), 'utf8')) as { kind: string }).kind, 'token');
  });

  test('every cache file corrupt at once: the next call succeeds, assumes each hop again and rewrites them all', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    const entries = readdirSync(cacheDir).filter((n) => n.endsWith('.json'));
    assert.equal(entries.length, 5, 'two tokens and three role sessions');
    const damage = [
      (text: string) => text.slice(0, Math.floor(text.length / 2)),
      () => '',
      (text: string) => text.replace('"version":1', '"version":99'),
      () => 'not json at all',
      (text: string) => text.replace(/"expiresAt":"[^"]+"/, '"expiresAt":"2000-01-01T00:00:00.000Z"'),
    ];
    entries.forEach((name, i) => {
      const path = join(cacheDir, name);
      writeFileSync(path, (damage[i % damage.length] as (s: string) => string)(readFileSync(path, 'utf8')), {
        mode: 0o600,
      });
    });
    const before = ROLES.map(assumeCount);
    const [demo, other] = await Promise.all([token('demo'), token('other')]);
    await assertAccepted(tokenOf(demo), 'demo');
    await assertAccepted(tokenOf(other), 'other');
    assert.deepEqual(
      ROLES.map(assumeCount),
      before.map((n) => n + 1),
    );
    for (const name of entries) {
      const entry = JSON.parse(readFileSync(join(cacheDir, name), 'utf8')) as { version: number; expiresAt: string };
      assert.equal(entry.version, 1, name);
      assert.ok(Date.parse(entry.expiresAt) > Date.now(), name);
    }
    assert.deepEqual([...ownLines(demo.stderr), ...ownLines(other.stderr)], []);
  });

  test('a group-readable cache directory: one warning, no cache, and the call still succeeds', async (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    chmodSync(cacheDir, 0o750);
    try {
      const before = stsCalls().length;
      const run = await token('demo');
      await assertAccepted(tokenOf(run), 'demo');
      assert.deepEqual(ownLines(run.stderr), [
        `warning: not using the cache: ${cacheDir} is accessible to group or others (mode 0750); run \`chmod 700 ${cacheDir}\``,
      ]);
      assert.equal(stsCalls().length, before + 3, 'uncached: the whole chain again');
    } finally {
      chmodSync(cacheDir, 0o700);
    }
  });

  test('cache files are 0600 in a 0700 directory and hold no key material of the source', (t) => {
    if (!requirePeer(t, ...PEERS)) return;
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    for (const name of readdirSync(cacheDir)) {
      assert.equal(statSync(join(cacheDir, name)).mode & 0o777, 0o600, name);
      assert.ok(!readFileSync(join(cacheDir, name), 'utf8').includes(BASE.secret), `${name} holds the base secret`);
    }
  });
});
