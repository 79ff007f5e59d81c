// Bundles eks-auth into dist/ with esbuild.
//
// The hot path (`eks-auth token` with environment or static credentials) must load nothing it
// does not use, so the heavy parts are separate files that it requires only when needed:
// dist/main.js (yargs and every other command), dist/sts-client.js (@aws-sdk/client-sts),
// dist/sdk-sources.js (@aws-sdk/credential-providers), dist/eks-client.js and dist/iam-client.js. A
// dynamic import() of one of those modules in the source becomes a require() of its bundle.
//
// dist/eks-auth.js (the `bin`) is a small loader that compiles dist/bin.js with a V8 code cache
// made by running the token paths that kubectl runs most (scripts/code-cache-writer.cjs writes
// dist/bin.js.cache): V8 then skips parsing and compiling them, 2-3 ms of each start. A Node.js
// with another V8 rejects the cache and compiles as usual.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { isBuiltin } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function commit() {
  if (process.env.EKS_AUTH_COMMIT) return process.env.EKS_AUTH_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

/** What `eks-auth --version` prints: `0.1.0 (commit 0123456789ab)`. */
export const versionString = `${pkg.version} (commit ${commit()})`;

/** Source module (without extension) → bundle file name. */
const LAZY = {
  'src/cli/main': 'main.js',
  'src/aws/sts-client': 'sts-client.js',
  'src/aws/sdk-sources': 'sdk-sources.js',
  'src/aws/eks-client': 'eks-client.js',
  'src/aws/iam-client': 'iam-client.js',
};

const lazyBoundaries = {
  name: 'lazy-boundaries',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = relative(root, resolve(args.resolveDir, args.path)).replace(/\.ts$/, '');
      const file = LAZY[target];
      return file ? { path: `./${file}`, external: true } : undefined;
    });
  },
};

/** esbuild options shared by dist/ and the single executable (scripts/build-binary.mjs). */
export const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  // import() of a bundle becomes require(): no ESM loader on the way (and none exists in a SEA).
  supported: { 'dynamic-import': false },
  define: {
    EKS_AUTH_VERSION: JSON.stringify(versionString),
    // On Node.js < 22 every AWS SDK client prints an 8-line NodeVersionSupportWarning to stderr once
    // per process, which kubectl shows the user on every role-chain, SSO or web-identity call. It is
    // about the SDK's future releases, for eks-auth's maintainers, not something a user can act on.
    'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED': '"true"',
  },
  logLevel: 'warning',
};

// The loader and scripts/code-cache-writer.cjs must compile byte-identical source: V8 checks the
// cache against the source length, its own version and the flags.
export const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
export const WRAP_TAIL = '\n})';

/** The bundles of dist/ (the SEA carries them as assets). */
export const BUNDLES = ['bin.js', ...Object.values(LAZY)];

const LOADER = `#!/usr/bin/env node
'use strict';
// Runs bin.js with the V8 code cache made at build time (scripts/build.mjs).
const { readFileSync } = require('node:fs');
const { Script } = require('node:vm');
const file = __dirname + '/bin.js';
let cachedData;
try {
  cachedData = readFileSync(file + '.cache');
} catch {}
const source = ${JSON.stringify(WRAP_HEAD)} + readFileSync(file, 'utf8') + ${JSON.stringify(WRAP_TAIL)};
new Script(source, { filename: file, cachedData }).runInThisContext()(exports, require, module, file, __dirname);
`;

function writeCodeCache(outdir) {
  const bin = join(outdir, 'bin.js');
  const scratch = mkdtempSync(join(tmpdir(), 'eks-auth-code-cache-'));
  try {
    execFileSync(
      process.execPath,
      [join(root, 'scripts', 'code-cache-writer.cjs'), bin, scratch, WRAP_HEAD, WRAP_TAIL],
      {
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (!existsSync(`${bin}.cache`)) throw new Error('the code-cache runs of dist/bin.js failed');
  // The loader must accept what the writer produced, else the cache is dead weight.
  const check = `const { readFileSync } = require('node:fs');
const s = new (require('node:vm').Script)(${JSON.stringify(WRAP_HEAD)} + readFileSync(${JSON.stringify(bin)}, 'utf8') + ${JSON.stringify(WRAP_TAIL)}, { cachedData: readFileSync(${JSON.stringify(`${bin}.cache`)}) });
process.exit(s.cachedDataRejected ? 1 : 0);`;
  execFileSync(process.execPath, ['-e', check], { stdio: 'inherit' });
}

/**
 * Every bundle may require only Node builtins and the other bundles: npm installs no runtime
 * dependency, and the single executable (whose require() loads builtins only) carries the bundles.
 */
function checkExternals(metafile) {
  const lazy = new Set(Object.values(LAZY).map((file) => `./${file}`));
  for (const [file, info] of Object.entries(metafile.outputs)) {
    const outside = info.imports.filter((i) => i.external && !isBuiltin(i.path) && !lazy.has(i.path));
    if (outside.length > 0)
      throw new Error(`${file} requires ${outside.map((i) => i.path).join(', ')}: bundle it or make it a builtin`);
  }
}

/** Builds dist/: the loader, the hot path with its code cache, and the lazy bundles. */
export async function buildDist() {
  const outdir = join(root, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    ...common,
    metafile: true,
    entryPoints: {
      bin: join(root, 'src/cli/bin.ts'),
      main: join(root, 'src/cli/main.ts'),
      'sts-client': join(root, 'src/aws/sts-client.ts'),
      'sdk-sources': join(root, 'src/aws/sdk-sources.ts'),
      'eks-client': join(root, 'src/aws/eks-client.ts'),
      'iam-client': join(root, 'src/aws/iam-client.ts'),
    },
    outdir,
    sourcemap: 'linked',
    plugins: [lazyBoundaries],
  });
  checkExternals(result.metafile);
  writeFileSync(join(outdir, 'eks-auth.js'), LOADER, { mode: 0o755 });
  writeCodeCache(outdir);
  // The library entry (package.json `main`): one self-contained bundle, and its type declarations.
  await build({ ...common, entryPoints: { index: join(root, 'src/index.ts') }, outdir });
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildDist();
}
