/** `cache list` shows the region each token was made for; `--json` gains a `region` member and keeps every old one. */
import { defaultStoreOptions } from '../../../src/cli/deps';
import type { CacheDeps } from '../../../src/usecases/cache';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { listCache } from '../../../src/usecases/cache';
import { getToken } from '../../../src/usecases/token';
import { openCache } from '../../../src/cache/store';
import { fakeDeps, type FakeDeps } from '../../helpers/fake-deps';

const CONFIG = `
  [profile base]
  aws_access_key_id = AKIACACHEREGION00001
  aws_secret_access_key = base/secret+key

  [profile dev]
  role_arn = arn:aws:iam::111111111111:role/dev
  source_profile = base
`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-auth-cache-region-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function filled(): Promise<FakeDeps & CacheDeps> {
  const deps = fakeDeps({ config: CONFIG, env: { KUBECACHEDIR: root } });
  const store = defaultStoreOptions(deps);
  deps.cache = openCache(deps, store);
  Object.assign(deps, { store });
  await getToken({ clusterId: 'demo', output: 'json', profile: 'dev', region: 'eu-west-1' }, deps);
  await getToken({ clusterId: 'demo', output: 'json', profile: 'dev', region: 'us-west-2' }, deps);
  return deps as FakeDeps & CacheDeps;
}

test("the table has a REGION column: the token's region, `-` for a role session (it serves every region)", async () => {
  const table = await listCache({ json: false }, await filled());
  const lines = table.split('\n');
  assert.match(lines[1] as string, /^KEY +KIND +EXPIRES +PROFILE +CLUSTER +REGION +ROLE$/);
  const rows = lines
    .slice(2)
    .filter(Boolean)
    .map((line) => line.split(/ {2,}/));
  const regionAt = (lines[1] as string).split(/ {2,}/).indexOf('REGION');
  assert.deepEqual(rows.map((r) => `${r[1]} ${r[regionAt]}`).sort(), [
    'credentials -',
    'token eu-west-1',
    'token us-west-2',
  ]);
});

test('--json: each token gets `region`; the members it had before are all still there', async () => {
  const entries = (
    JSON.parse(await listCache({ json: true }, await filled())) as { entries: Record<string, unknown>[] }
  ).entries;
  for (const entry of entries) {
    for (const member of ['key', 'kind', 'createdAt', 'expiresAt', 'expired', 'labels'])
      assert.ok(member in entry, `${member} kept`);
    if (entry.kind === 'token') assert.equal(entry.region, (entry.labels as { region: string }).region);
    else assert.equal('region' in entry, false);
  }
  assert.deepEqual(
    entries
      .filter((e) => e.kind === 'token')
      .map((e) => e.region)
      .sort(),
    ['eu-west-1', 'us-west-2'],
  );
});
