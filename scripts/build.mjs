// Bundles eks-auth into dist/ with esbuild.
//
// The hot path (dist/eks-auth.js: `eks-auth token` with environment or static credentials) must
// load nothing it does not use, so the heavy parts are separate files that it requires only when
// needed: dist/main.js (yargs and every other command), dist/sts-client.js (@aws-sdk/client-sts)
// and dist/sdk-sources.js (@aws-sdk/credential-providers). A dynamic import() of one of those
// modules in the source becomes a require() of its bundle.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function commit() {
  if (process.env.EKS_AUTH_COMMIT) return process.env.EKS_AUTH_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** Source module (without extension) → bundle file name. */
const LAZY = {
  'src/cli/main': 'main.js',
  'src/aws/sts-client': 'sts-client.js',
  'src/aws/sdk-sources': 'sdk-sources.js',
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

export const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  // import() of a bundle becomes require(): no ESM loader on the way.
  supported: { 'dynamic-import': false },
  define: { EKS_AUTH_VERSION: JSON.stringify(`${pkg.version} (commit ${commit()})`) },
  logLevel: 'warning',
};

const outdir = join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: {
    'eks-auth': join(root, 'src/cli/bin.ts'),
    main: join(root, 'src/cli/main.ts'),
    'sts-client': join(root, 'src/aws/sts-client.ts'),
    'sdk-sources': join(root, 'src/aws/sdk-sources.ts'),
  },
  outdir,
  banner: { js: '#!/usr/bin/env node' },
  plugins: [lazyBoundaries],
});
