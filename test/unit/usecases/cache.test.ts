/** `eks-auth cache list/clean` on a real temp cache directory. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanCache, listCache, type CacheDeps, type CacheListing } from '../../../src/usecases/cache';
import { getToken } from '../../../src/usecases/token';
import { openCache } from '../../../src/cache/store';
import { defaultStoreOptions } from '../../../src/cli/deps';
import { fakeDeps, FIXED_NOW, type FakeDeps, type FakeDepsOptions } from '../../helpers/fake-deps';
import { awsConfig, role, staticKeys } from '../../helpers/aws-config';

const CONFIG = awsConfig({
  base: staticKeys('AKIACACHECMDBASE0001'),
  dev: role('arn:aws:iam::111111111111:role/dev', 'base'),
  admin: role('arn:aws:iam::222222222222:role/admin', 'dev', { mfa_serial: 'arn:aws:iam::111111111111:mfa/me' }),
  sso: { sso_session: 'corp', sso_account_id: '111111111111', sso_role_name: 'Dev' },
  'sso-session corp': { sso_start_url: 'https://corp.awsapps.com/start', sso_region: 'us-east-1' },
});
let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-auth-cache-cmd-'));
  dir = join(root, 'eks-auth');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function setup(options: FakeDepsOptions = {}): FakeDeps & CacheDeps {
  const deps = fakeDeps({
    config: CONFIG,
    ...options,
    env: { AWS_REGION: 'us-east-1', KUBECACHEDIR: root, ...options.env },
  });
  const store = defaultStoreOptions(deps);
  deps.cache = openCache(deps, store);
  return Object.assign(deps, { store });
}

/** Tokens for dev/demo, dev/prod and admin/demo, and the sessions of dev and admin. */
async function fill(): Promise<FakeDeps & CacheDeps> {
  const deps = setup({ promptAnswers: ['123456'] });
  await getToken({ clusterId: 'demo', output: 'json', profile: 'dev' }, deps);
  await getToken({ clusterId: 'prod', output: 'json', profile: 'dev' }, deps);
  deps.stdinIsTerminal = () => true;
  await getToken({ clusterId: 'demo', output: 'json', profile: 'admin' }, deps);
  return deps;
}

function listing(text: string): CacheListing[] {
  return (JSON.parse(text) as { entries: CacheListing[] }).entries;
}

describe('cache list', () => {
  test('shows each entry with kind, expiry and labels, and no token, secret key or session token', async () => {
    const deps = await fill();
    const entries = listing(await listCache({ json: true }, deps));
    const summary = entries
      .map((e) => `${e.kind} ${e.labels?.profile} ${e.labels?.cluster ?? '-'} ${e.expiresAt}`)
      .sort();
    assert.deepEqual(summary, [
      'credentials admin - 2026-01-01T01:00:00Z',
      'credentials dev - 2026-01-01T01:00:00Z',
      'token admin demo 2026-01-01T00:14:00Z',
      'token dev demo 2026-01-01T00:14:00Z',
      'token dev prod 2026-01-01T00:14:00Z',
    ]);
    const table = await listCache({ json: false }, deps);
    assert.match(table, /^KEY +KIND +EXPIRES +PROFILE +CLUSTER +REGION +ROLE$/m);
    assert.match(
      table,
      /token +2026-01-01T00:14:00Z \(in 14m\) +dev +prod +us-east-1 +arn:aws:iam::111111111111:role\/dev/,
    );
    const issued = deps.stsFake.assumeRoleCalls().map((c) => c.issued);
    for (const text of [table, JSON.stringify(entries)]) {
      assert.ok(!text.includes('k8s-aws-v1.'), 'a token is listed');
      for (const c of issued)
        assert.ok(!text.includes(c.secretAccessKey) && !text.includes(c.sessionToken as string), 'a secret is listed');
      assert.ok(!text.includes('base/secret+key'));
    }
  });

  test('marks expired and unreadable entries', async () => {
    const deps = await fill();
    writeFileSync(join(dir, `${'e'.repeat(64)}.json`), '{"vers', { mode: 0o600 });
    deps.now = () => new Date(FIXED_NOW.getTime() + 20 * 60_000);
    const entries = listing(await listCache({ json: true }, deps));
    assert.equal(entries.filter((e) => e.kind === 'token' && e.expired).length, 3);
    assert.deepEqual(
      entries.find((e) => e.kind === 'invalid'),
      { key: 'e'.repeat(64), kind: 'invalid', problem: 'not valid JSON (corrupt or truncated)' },
    );
  });

  test('says so when the cache is empty or missing', async () => {
    assert.equal(await listCache({ json: false }, setup()), `no cache entries in ${dir}\n`);
  });
});

describe('cache clean', () => {
  test("--cluster removes only that cluster's tokens", async () => {
    const deps = await fill();
    assert.match(await cleanCache({ cluster: 'prod' }, deps), /^removed 1 entry for cluster "prod" from /);
    const left = listing(await listCache({ json: true }, deps));
    assert.equal(left.length, 4);
    assert.ok(!left.some((e) => e.labels?.cluster === 'prod'));
  });

  test('--profile removes the entries of that profile and of every profile chained through it', async () => {
    const deps = await fill();
    await cleanCache({ profile: 'admin' }, deps);
    assert.deepEqual(
      listing(await listCache({ json: true }, deps))
        .map((e) => `${e.kind} ${e.labels?.profile}`)
        .sort(),
      ['credentials dev', 'token dev', 'token dev'],
    );
    await cleanCache({ profile: 'dev' }, deps);
    assert.deepEqual(listing(await listCache({ json: true }, deps)), []);
  });

  test('--profile and --cluster together remove what matches both', async () => {
    const deps = await fill();
    await cleanCache({ profile: 'dev', cluster: 'demo' }, deps);
    // admin's demo token goes too: admin is chained through dev.
    assert.deepEqual(
      listing(await listCache({ json: true }, deps))
        .map((e) => `${e.kind} ${e.labels?.profile} ${e.labels?.cluster ?? '-'}`)
        .sort(),
      ['credentials admin -', 'credentials dev -', 'token dev prod'],
    );
  });

  test('without a filter removes every entry, lock and temp file, and leaves foreign files', async () => {
    const deps = await fill();
    writeFileSync(join(dir, `${'a'.repeat(64)}.lock`), '{}');
    writeFileSync(join(dir, `.${'a'.repeat(64)}.1.ab.tmp`), '');
    writeFileSync(join(dir, `${'e'.repeat(64)}.json`), 'corrupt');
    writeFileSync(join(dir, 'README'), 'not ours');
    assert.match(await cleanCache({}, deps), /^removed 6 entries and 2 lock\/temp files from /);
    assert.deepEqual(readdirSync(dir), ['README']);
  });

  test('after a clean the next token call makes its STS calls again', async () => {
    const deps = await fill();
    await cleanCache({}, deps);
    const before = deps.stsFake.assumeRoleCalls().length;
    await getToken({ clusterId: 'demo', output: 'json', profile: 'dev' }, deps);
    assert.equal(deps.stsFake.assumeRoleCalls().length, before + 1);
  });
});
