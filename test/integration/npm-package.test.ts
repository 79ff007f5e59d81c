/**
 * The npm package as users get it: `npm pack` of the built dist/, installed globally into a temp
 * prefix with the network off (`--offline`), then run from the prefix's bin/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanAwsEnv, runCommand } from '../peers/peers';
import { ensureBuilt, REPO_ROOT, tokenUrl } from '../helpers/built-cli';

// Made-up keys.
const KEYS = { akid: 'AKIAEKSAUTHNPMPACKGE', secret: 'npm/package+secret=abcdefghijklmnopqrstuv' };
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the npm package', () => {
  let dir = '';
  let npmEnv: NodeJS.ProcessEnv = {};

  before(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eks-auth-npm-'));
    // npm with a private cache and no user config: nothing from this machine, nothing from the network.
    npmEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      npm_config_cache: join(dir, 'npm-cache'),
      npm_config_userconfig: join(dir, 'npmrc'),
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function npm(args: string[]) {
    const res = spawnSync(NPM, args, { cwd: REPO_ROOT, env: npmEnv, encoding: 'utf8', timeout: 120_000 });
    assert.equal(res.status, 0, `npm ${args.join(' ')} failed: ${res.stderr}`);
    return res.stdout;
  }

  test('ships only the bundles, the code cache of the hot path and package.json', () => {
    const [pack] = JSON.parse(npm(['pack', '--dry-run', '--json'])) as { files: { path: string }[] }[];
    const files = (pack?.files ?? []).map((f) => f.path).sort();
    assert.ok(files.includes('dist/eks-auth.js') && files.includes('dist/bin.js') && files.includes('dist/bin.js.cache'), files.join(' '));
    const unexpected = files.filter((f) => !/^(dist\/[a-z-]+\.js|dist\/bin\.js\.cache|dist\/types\/[a-z0-9/-]+\.d\.ts|package\.json|README\.md|LICENSE)$/.test(f));
    assert.deepEqual(unexpected, [], 'no sources, tests, source maps or build scripts in the package');
  });

  test('declares no runtime dependency: dist/ bundles everything', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    assert.deepEqual(pkg.dependencies ?? {}, {});
  });

  test('installs globally from the tarball offline, and `eks-auth token` runs from the prefix', async () => {
    const tarball = npm(['pack', '--json', '--pack-destination', dir]);
    const [packed] = JSON.parse(tarball) as { filename: string }[];
    assert.ok(packed?.filename);
    const prefix = join(dir, 'prefix');
    npm(['install', '--global', '--offline', '--prefix', prefix, join(dir, packed.filename)]);
    const bin = join(prefix, process.platform === 'win32' ? 'eks-auth.cmd' : join('bin', 'eks-auth'));

    const version = await runCommand(bin, ['--version'], { env: cleanAwsEnv() });
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown)\)$/);

    const res = await runCommand(bin, ['token', '--cluster', 'demo', '--region', 'us-east-1', '--token-only'], {
      env: cleanAwsEnv({ env: { AWS_ACCESS_KEY_ID: KEYS.akid, AWS_SECRET_ACCESS_KEY: KEYS.secret, EKS_AUTH_NO_CACHE: '1' } }),
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    assert.equal(tokenUrl(res.stdout.trim()).searchParams.get('X-Amz-Credential')?.split('/')[0], KEYS.akid);
  });
});
