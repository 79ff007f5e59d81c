/**
 * The npm packages as users get them (scripts/build-npm.mjs --host): `eks-auth` with this
 * platform's `@eks-auth/<os>-<arch>` as an optional dependency. Both are packed with `npm pack` and
 * installed globally into temporary prefixes with the network off (`--offline`), then run from the
 * prefix's bin/: with install scripts, the command is the native binary (no Node.js on each call);
 * with --ignore-scripts, or without the platform package, it is the JavaScript bundle on Node.js.
 * Needs the binary (npm run build:binary); CI builds it first.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanAwsEnv, runCommand } from '../peers/peers';
import { ensureBuilt, REPO_ROOT, tokenUrl } from '../helpers/built-cli';

// Made-up keys.
const KEYS = { akid: 'AKIAEKSAUTHNPMPACKGE', secret: 'npm/package+secret=abcdefghijklmnopqrstuv' };
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const OS = process.platform === 'win32' ? 'windows' : process.platform;
const TARGET = `${OS}-${process.arch}`;
const BINARY = join(REPO_ROOT, 'build', `eks-auth-${TARGET}${process.platform === 'win32' ? '.exe' : ''}`);
const { version: VERSION } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
// kubeconfig --dry-run with --server looks nothing up; it only checks that the CA looks like PEM.
const CA_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64');

describe('the npm packages', () => {
  let dir = '';
  let npmEnv: NodeJS.ProcessEnv = {};
  let mainTarball = '';
  let platformTarball = '';
  let skipReason: string | undefined;

  before(() => {
    if (!existsSync(BINARY)) {
      skipReason = `${BINARY} is not built: run \`npm run build:binary\` first`;
      if (process.env.CI === 'true') throw new Error(skipReason);
      return;
    }
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
    const out = join(dir, 'packages');
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-npm.mjs'), '--host', '--out', out], {
      stdio: 'ignore',
    });
    mainTarball = pack(join(out, 'eks-auth'));
    platformTarball = pack(join(out, `eks-auth-${TARGET}`));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function npm(args: string[], cwd = dir) {
    const res = spawnSync(NPM, args, { cwd, env: npmEnv, encoding: 'utf8', timeout: 180_000 });
    assert.equal(res.status, 0, `npm ${args.join(' ')} failed: ${res.stderr}`);
    return res;
  }

  function pack(packageDir: string): string {
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], packageDir).stdout) as {
      filename: string;
    }[];
    assert.ok(packed?.filename);
    return join(dir, packed.filename);
  }

  /** A global install into a new prefix; returns the path of its bin/eks-auth. */
  function install(name: string, tarballs: string[], extra: string[] = []): string {
    const prefix = join(dir, name);
    mkdirSync(prefix);
    npm(['install', '--global', '--offline', '--prefix', prefix, '--allow-scripts=eks-auth', ...extra, ...tarballs]);
    return join(prefix, 'bin', 'eks-auth');
  }

  /** The environment eks-auth runs in: the Node.js running this test first on PATH (≥ 22), made-up keys. */
  function runEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return cleanAwsEnv({
      env: {
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
        AWS_ACCESS_KEY_ID: KEYS.akid,
        AWS_SECRET_ACCESS_KEY: KEYS.secret,
        EKS_AUTH_NO_CACHE: '1',
        ...extra,
      },
    });
  }

  async function assertWorks(bin: string): Promise<void> {
    const version = await runCommand(bin, ['--version'], { env: runEnv() });
    assert.equal(version.code, 0, version.stderr);
    assert.match(
      version.stdout.trim(),
      new RegExp(`^${VERSION.replace(/\./g, '\\.')} \\(commit ([0-9a-f]{7,40}|unknown)\\)$`),
    );
    const res = await runCommand(bin, ['token', '--cluster', 'demo', '--region', 'us-east-1', '--token-only'], {
      env: runEnv(),
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    assert.equal(tokenUrl(res.stdout.trim()).searchParams.get('X-Amz-Credential')?.split('/')[0], KEYS.akid);
  }

  const isNative = (path: string) => readFileSync(realpathSync(path)).subarray(0, 4).equals(ELF);

  test('eks-auth ships the bundles, the bin shim and the postinstall, and pins its platform packages with their SHA-256', (t) => {
    if (skipReason) return t.skip(skipReason);
    const listing = execFileSync('tar', ['-tzf', mainTarball]).toString().trim().split('\n').sort();
    assert.ok(
      listing.includes('package/bin/eks-auth') &&
        listing.includes('package/dist/bin.js') &&
        listing.includes('package/install.cjs'),
      listing.join(' '),
    );
    const unexpected = listing.filter(
      (f) =>
        !/^package\/(bin\/eks-auth|install\.cjs|dist\/[a-z-]+\.js|dist\/types\/[a-z0-9/-]+\.d\.ts|package\.json|README\.md|LICENSE)$/.test(
          f,
        ),
    );
    assert.deepEqual(unexpected, [], 'no sources, tests, source maps or build scripts in the package');
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', mainTarball, 'package/package.json']).toString()) as {
      dependencies?: object;
      optionalDependencies: Record<string, string>;
      binaries: Record<string, string>;
      engines: { node: string };
    };
    assert.deepEqual(manifest.dependencies ?? {}, {}, 'no runtime dependency: dist/ bundles everything');
    assert.deepEqual(manifest.optionalDependencies, { [`@eks-auth/${TARGET}`]: VERSION });
    assert.equal(manifest.engines.node, '>=22');
    const sha = execFileSync('sha256sum', [BINARY]).toString().split(' ')[0];
    assert.equal(
      manifest.binaries[`@eks-auth/${TARGET}`],
      sha,
      'the SHA-256 of build/eks-auth-<target>, as sha256sum computes it',
    );
    const platform = JSON.parse(execFileSync('tar', ['-xzOf', platformTarball, 'package/package.json']).toString()) as {
      os: string[];
      cpu: string[];
    };
    assert.deepEqual([platform.os, platform.cpu], [[process.platform], [process.arch]]);
  });

  test('installed with its platform package, bin/eks-auth is the native binary and runs without Node.js', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const bin = install('with-scripts', [mainTarball, platformTarball]);
    assert.ok(isNative(bin), 'the postinstall put the native binary in place of the shim');
    await assertWorks(bin);
    // No node anywhere on PATH: it must still run.
    const res = await runCommand(bin, ['token', '--cluster', 'demo', '--region', 'us-east-1', '--token-only'], {
      env: runEnv({ PATH: join(dir, 'no-such-dir') }),
    });
    assert.equal(res.code, 0, res.stderr);
  });

  test('--absolute-command from an npm install writes the native binary, never a .js file', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const withScripts = join(dir, 'with-scripts', 'bin', 'eks-auth');
    const noScripts = existsSync(join(dir, 'no-scripts'))
      ? join(dir, 'no-scripts', 'bin', 'eks-auth')
      : install('no-scripts', [mainTarball, platformTarball], ['--ignore-scripts']);
    for (const bin of [withScripts, noScripts]) {
      const res = await runCommand(
        bin,
        [
          'kubeconfig',
          '--cluster',
          'demo',
          '--region',
          'us-east-1',
          '--server',
          'https://127.0.0.1:1',
          '--ca-data',
          CA_DATA,
          '--absolute-command',
          '--dry-run',
        ],
        { env: runEnv() },
      );
      assert.equal(res.code, 0, res.stderr);
      const command = /^\s+command: (.+)$/m.exec(res.stdout)?.[1];
      assert.ok(command && isNative(command), `${bin}: ${command} is the native binary`);
      assert.ok(!command.endsWith('.js'));
    }
  });

  test('with install scripts disabled, bin/eks-auth runs the JavaScript bundle on Node.js', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const bin = existsSync(join(dir, 'no-scripts'))
      ? join(dir, 'no-scripts', 'bin', 'eks-auth')
      : install('no-scripts', [mainTarball, platformTarball], ['--ignore-scripts']);
    assert.ok(!isNative(bin), 'the shim stays');
    assert.match(readFileSync(realpathSync(bin), 'utf8'), /^#!\/usr\/bin\/env node\n/);
    await assertWorks(bin);
  });

  test('without a platform package (no binary for this platform), the shim runs the bundle, and --absolute-command writes node and the script', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const bin = install('no-binary', [mainTarball]);
    assert.ok(!isNative(bin));
    await assertWorks(bin);
    const res = await runCommand(
      bin,
      [
        'kubeconfig',
        '--cluster',
        'demo',
        '--region',
        'us-east-1',
        '--server',
        'https://127.0.0.1:1',
        '--ca-data',
        CA_DATA,
        '--absolute-command',
        '--dry-run',
      ],
      { env: runEnv() },
    );
    assert.equal(res.code, 0, res.stderr);
    // kubectl runs the absolute node with the shim as first argument: no `node` needed on its PATH.
    assert.equal(/^\s+command: (.+)$/m.exec(res.stdout)?.[1], realpathSync(process.execPath));
    assert.match(
      res.stdout,
      new RegExp(`args:\\n\\s+- ${realpathSync(bin).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n\\s+- token\\n`),
    );
  });
});
