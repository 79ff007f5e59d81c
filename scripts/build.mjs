// Bundles eks-auth into dist/ with esbuild.
//
// The hot path (`eks-auth token` with environment or static credentials) must load nothing it
// does not use, so the heavy parts are separate files that it requires only when needed:
// dist/main.js (yargs and every other command), dist/sts-client.js (@aws-sdk/client-sts),
// dist/sdk-sources.js (@aws-sdk/credential-providers), dist/eks-client.js and dist/iam-client.js. A
// dynamic import() of one of those modules in the source becomes a require() of its bundle.
//
// dist/eks-auth.js runs dist/bin.js on Node.js (22 or later). The standalone binaries are built
// from the same sources by Bun (scripts/build-binary.mjs), with the same defines.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Build-time constants, for esbuild here and for `bun build --define` (scripts/build-binary.mjs). */
export const defines = {
  EKS_AUTH_VERSION: JSON.stringify(versionString),
  // On Node.js < 22 every AWS SDK client prints an 8-line NodeVersionSupportWarning to stderr once
  // per process, which kubectl shows the user on every role-chain, SSO or web-identity call. It is
  // about the SDK's future releases, for eks-auth's maintainers, not something a user can act on.
  // package.json asks for Node.js 22, but npm only warns about `engines`.
  'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED': '"true"',
};

/** esbuild options of dist/. */
export const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  // import() of a bundle becomes require(): no ESM loader on the way.
  supported: { 'dynamic-import': false },
  define: defines,
  logLevel: 'warning',
};

const LOADER = `#!/usr/bin/env node
'use strict';
require('./bin.js');
`;

/**
 * Every bundle may require only Node builtins and the other bundles: npm installs no runtime
 * dependency.
 */
function checkExternals(metafile) {
  const lazy = new Set(Object.values(LAZY).map((file) => `./${file}`));
  for (const [file, info] of Object.entries(metafile.outputs)) {
    const outside = info.imports.filter((i) => i.external && !isBuiltin(i.path) && !lazy.has(i.path));
    if (outside.length > 0)
      throw new Error(`${file} requires ${outside.map((i) => i.path).join(', ')}: bundle it or make it a builtin`);
  }
}

/** Builds dist/: the loader, the hot path and the lazy bundles. */
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
