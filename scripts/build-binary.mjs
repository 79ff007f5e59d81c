// Builds the standalone executable: a Node.js single executable application (SEA) for this
// machine's platform, at build/eks-auth-<platform>-<arch> (build/eks-auth-linux-x64 here).
//
// A SEA runs one embedded CommonJS script whose require() loads only Node's builtins, and Node 20
// has no dynamic import() there. The build handles both: it embeds the bundles of dist/ (every npm
// dependency already inlined, only builtins left outside; buildDist checks that) as SEA assets, and
// the embedded script is a loader whose require() serves `./main.js`, `./sts-client.js` and
// `./sdk-sources.js` from those assets. So the binary keeps dist/'s lazy loading: `eks-auth token`
// with environment keys compiles 40 KB, not the 900 KB that yargs and the SDK weigh (one script with
// everything in it starts 1.5x slower than `node -e 0`; see --single-script and scripts/bench.mjs).
//
// --floor builds, for scripts/bench.mjs only, build/sea-floor-<platform>-<arch>: the same kind of
// executable whose script does nothing but write one line, the floor under any single executable.
//
// Usage: node scripts/build-binary.mjs [--out <path>] [--no-strip] [--single-script | --floor]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUNDLES, WRAP_HEAD, WRAP_TAIL, buildDist, common, root, versionString } from './build.mjs';

const require = createRequire(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    out: { type: 'string' },
    'no-strip': { type: 'boolean', default: false },
    'single-script': { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
  },
});

// The fuse Node.js looks for to know that a SEA blob was injected (Node's single-executable-applications docs).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  throw new Error(`building the single executable needs Node.js 20.12 or later (SEA assets), not ${process.version}`);
}
const platform = process.platform === 'win32' ? 'win' : process.platform;
const output =
  flags.out ??
  join(
    root,
    'build',
    `${flags.floor ? 'sea-floor' : 'eks-auth'}-${platform}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`,
  );
const work = join(root, 'build', 'sea');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// Runs dist/bin.js from the assets with its V8 code cache (made by the same node binary, so V8
// accepts it); the lazy bundles are compiled from the assets when first required. getRawAsset
// hands out the embedded bytes without a copy, and Buffer#toString() with no argument decodes
// UTF-8 directly; getAsset(name, 'utf8') would set up a TextDecoder first (0.15 ms of each start).
const SEA_MAIN = `'use strict';
const { getRawAsset } = require('node:sea');
const { Script } = require('node:vm');
const modules = new Map();
function seaRequire(id) {
  if (!id.startsWith('./')) return require(id);
  let m = modules.get(id);
  if (m === undefined) {
    const name = id.slice(2);
    m = { exports: {} };
    modules.set(id, m);
    const cachedData = name === 'bin.js' ? Buffer.from(getRawAsset('bin.js.cache')) : undefined;
    const source = ${JSON.stringify(WRAP_HEAD)} + Buffer.from(getRawAsset(name)).toString() + ${JSON.stringify(WRAP_TAIL)};
    new Script(source, { filename: name, cachedData }).runInThisContext()(m.exports, seaRequire, m, name, '.');
  }
  return m.exports;
}
seaRequire('./bin.js');
`;

const main = join(work, 'main.cjs');
const assets = {};
if (flags.floor) {
  writeFileSync(main, "require('node:fs').writeSync(1, 'floor\\n');\n");
} else if (flags['single-script']) {
  // For comparison only: everything in the one embedded script, compiled from its code cache.
  await build({ ...common, entryPoints: [join(root, 'src/cli/bin.ts')], outfile: main });
} else {
  await buildDist();
  writeFileSync(main, SEA_MAIN);
  for (const name of [...BUNDLES, 'bin.js.cache']) assets[name] = join(root, 'dist', name);
}

const blob = join(work, 'eks-auth.blob');
const config = join(work, 'sea-config.json');
writeFileSync(
  config,
  JSON.stringify(
    {
      main,
      output: blob,
      // Otherwise Node prints "Single executable applications is an experimental feature" on every run.
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets,
    },
    null,
    2,
  ),
);
execFileSync(process.execPath, ['--experimental-sea-config', config], {
  cwd: work,
  stdio: ['ignore', 'ignore', 'inherit'],
});

// A copy of this node binary with the blob injected.
mkdirSync(join(root, 'build'), { recursive: true });
rmSync(output, { force: true });
copyFileSync(process.execPath, output);
chmodSync(output, 0o755);
if (process.platform === 'darwin') {
  execFileSync('codesign', ['--remove-signature', output], { stdio: 'inherit' });
} else if (process.platform === 'linux' && !flags['no-strip']) {
  // Debian's and NodeSource's node carry debug symbols: without them the binary is ~15 MB smaller.
  try {
    execFileSync('strip', ['--strip-all', output], { stdio: 'inherit' });
  } catch {
    console.warn('strip is not available (binutils): the binary keeps its symbols');
  }
}
const { inject } = require('postject');
await inject(output, 'NODE_SEA_BLOB', readFileSync(blob), {
  sentinelFuse: SEA_FUSE,
  ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
});
if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', output], { stdio: 'inherit' });

// It must run, and say which build it is.
const printed = execFileSync(output, ['--version'], { env: { PATH: process.env.PATH ?? '' } })
  .toString()
  .trim();
const expected = flags.floor ? 'floor' : versionString;
if (printed !== expected) throw new Error(`${output} --version printed "${printed}", expected "${expected}"`);
const size = (statSync(output).size / 1024 / 1024).toFixed(1);
console.log(`built ${output} (${size} MiB, Node.js ${process.version}, eks-auth ${versionString})`);
