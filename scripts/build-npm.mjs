// Lays out the npm packages of a release in build/npm/ (esbuild's pattern):
//   build/npm/eks-auth/              the package users install: dist/ (the JavaScript bundle), the
//                                    bin shim npm/bin/eks-auth, npm/install.cjs as postinstall, and
//                                    every platform package as an optionalDependency, pinned to this
//                                    version, with each binary's SHA-256 (`binaries`) for the postinstall
//   build/npm/eks-auth-<target>/     @eks-auth/<target>: bin/eks-auth (bin/eks-auth.exe) with os, cpu
//                                    and libc fields, so npm installs only the one that fits
// Publish each directory with `npm publish` (platform packages first).
//
// The binaries come from build/release/ (npm run build:release), or with --host only this
// machine's from build/eks-auth-<os>-<arch> (npm run build:binary), as the tests use it.
//
// Usage: node scripts/build-npm.mjs [--host] [--out DIR]
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TARGETS, hostTarget } from './build-binary.mjs';
import { buildDist, pkg, root } from './build.mjs';

const { values: flags } = parseArgs({
  options: { host: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const out = flags.out ?? join(root, 'build', 'npm');

const targets = flags.host ? [hostTarget()] : Object.keys(TARGETS);
const source = (target) =>
  flags.host
    ? join(root, 'build', `eks-auth-${target}${TARGETS[target].exe}`)
    : join(root, 'build', 'release', `eks-auth-${target}${TARGETS[target].exe}`);
for (const target of targets) {
  if (!target || !existsSync(source(target))) {
    throw new Error(
      `${target ? source(target) : 'this platform'} is missing: run ${flags.host ? 'npm run build:binary' : 'npm run build:release'} first`,
    );
  }
}
if (!existsSync(join(root, 'dist', 'bin.js'))) await buildDist();

rmSync(out, { recursive: true, force: true });
const common = {
  version: pkg.version,
  license: pkg.license,
  ...(pkg.repository ? { repository: pkg.repository } : {}),
};
const write = (dir, manifest) => writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

const binaries = {};
for (const target of targets) {
  const { os, arch, libc, exe } = TARGETS[target];
  const name = `@eks-auth/${target}`;
  const dir = join(out, `eks-auth-${target}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const binary = join(dir, 'bin', `eks-auth${exe}`);
  copyFileSync(source(target), binary);
  chmodSync(binary, 0o755);
  binaries[name] = createHash('sha256').update(readFileSync(binary)).digest('hex');
  writeFileSync(
    join(dir, 'README.md'),
    `# ${name}\n\nThe eks-auth binary for ${target}. Install \`eks-auth\`, which depends on this package where it fits.\n`,
  );
  copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
  write(dir, {
    name,
    ...common,
    description: `The eks-auth binary for ${target}`,
    os: [os === 'windows' ? 'win32' : os],
    cpu: [arch],
    ...(os === 'linux' ? { libc: [libc ?? 'glibc'] } : {}),
    files: ['bin/'],
    preferUnplugged: true,
  });
}

const main = join(out, 'eks-auth');
mkdirSync(join(main, 'bin'), { recursive: true });
cpSync(join(root, 'dist'), join(main, 'dist'), { recursive: true, filter: (path) => !path.endsWith('.map') });
copyFileSync(join(root, 'npm', 'bin', 'eks-auth'), join(main, 'bin', 'eks-auth'));
chmodSync(join(main, 'bin', 'eks-auth'), 0o755);
copyFileSync(join(root, 'npm', 'install.cjs'), join(main, 'install.cjs'));
for (const file of ['README.md', 'LICENSE']) copyFileSync(join(root, file), join(main, file));
write(main, {
  name: pkg.name,
  ...common,
  description: pkg.description,
  bin: { 'eks-auth': 'bin/eks-auth' },
  main: pkg.main,
  types: pkg.types,
  files: ['bin/', 'dist/*.js', 'dist/types/', 'install.cjs'],
  engines: pkg.engines,
  scripts: { postinstall: 'node install.cjs' },
  optionalDependencies: Object.fromEntries(Object.keys(binaries).map((name) => [name, pkg.version])),
  binaries,
});
console.log(`npm packages in ${out}: eks-auth, ${Object.keys(binaries).join(', ')}`);
