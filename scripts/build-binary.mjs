// Builds the standalone eks-auth executable with Bun (`bun build --compile --bytecode`), by default
// for this machine at build/eks-auth-<os>-<arch> (build/eks-auth-linux-x64 here).
//
// The binary is src/cli/bin.ts and everything it imports in one bundle, compiled to JavaScriptCore
// bytecode at build time and appended to a copy of the Bun runtime: no Node.js where it runs. Bun
// itself is a pinned devDependency; for another platform (--target) the runtime is that platform's
// `@oven/bun-<os>-<arch>` package of the same version, fetched with `npm pack` (so from the npm
// registry and npm's cache, as configured for npm) and handed to Bun with
// --compile-executable-path, so Bun downloads nothing itself.
//
// --floor builds, for scripts/bench.mjs only, build/floor-<os>-<arch>: a Bun executable whose
// script only writes one line, the floor under any Bun executable.
//
// Usage: node scripts/build-binary.mjs [--target linux-arm64|linux-x64-musl|darwin-arm64|…] [--out <path>] [--floor]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { defines, root, versionString } from './build.mjs';

/** The platforms eks-auth is released for: our name → Bun's --target and the npm package of its runtime. */
export const TARGETS = {
  'linux-x64': { bun: 'bun-linux-x64', runtime: '@oven/bun-linux-x64', os: 'linux', arch: 'x64', exe: '' },
  'linux-arm64': { bun: 'bun-linux-arm64', runtime: '@oven/bun-linux-aarch64', os: 'linux', arch: 'arm64', exe: '' },
  'linux-x64-musl': { bun: 'bun-linux-x64-musl', runtime: '@oven/bun-linux-x64-musl', os: 'linux', arch: 'x64', libc: 'musl', exe: '' },
  'linux-arm64-musl': { bun: 'bun-linux-arm64-musl', runtime: '@oven/bun-linux-aarch64-musl', os: 'linux', arch: 'arm64', libc: 'musl', exe: '' },
  'darwin-x64': { bun: 'bun-darwin-x64', runtime: '@oven/bun-darwin-x64', os: 'darwin', arch: 'x64', exe: '' },
  'darwin-arm64': { bun: 'bun-darwin-arm64', runtime: '@oven/bun-darwin-aarch64', os: 'darwin', arch: 'arm64', exe: '' },
  'windows-x64': { bun: 'bun-windows-x64', runtime: '@oven/bun-windows-x64', os: 'windows', arch: 'x64', exe: '.exe' },
};

/** This machine as a TARGETS key (glibc assumed on Linux), or undefined. */
export function hostTarget() {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `${os}-${process.arch}`;
  return name in TARGETS ? name : undefined;
}

const BUN = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'bun.exe' : 'bun');

/** The version of the Bun devDependency: every target's runtime must be the same release. */
export function bunVersion() {
  return JSON.parse(readFileSync(join(root, 'node_modules', 'bun', 'package.json'), 'utf8')).version;
}

/**
 * The Bun runtime of `target` from its npm package (build/bun-runtimes/<package>-<version>/bun),
 * fetched once with `npm pack`.
 */
export function runtimeFor(target) {
  const { runtime, exe } = TARGETS[target];
  const version = bunVersion();
  const dir = join(root, 'build', 'bun-runtimes', `${runtime.replace('/', '+')}-${version}`);
  const binary = join(dir, `bun${exe}`);
  if (existsSync(binary)) return binary;
  const scratch = mkdtempSync(join(tmpdir(), 'eks-auth-bun-runtime-'));
  try {
    // npm pack ignores the package's os/cpu fields, unlike npm install.
    const out = execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['pack', '--json', '--pack-destination', scratch, `${runtime}@${version}`], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'inherit'],
    }).toString();
    const [packed] = JSON.parse(out);
    execFileSync('tar', ['-xzf', join(scratch, packed.filename), '-C', scratch, `package/bin/bun${exe}`], { stdio: 'inherit' });
    mkdirSync(dir, { recursive: true });
    renameSync(join(scratch, 'package', 'bin', `bun${exe}`), binary);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

/**
 * Compiles `entry` into an executable for `target` at `out`. Options:
 * --bytecode: JavaScriptCore parses and compiles at build time, not on every start;
 * --minify: less bytecode to load (names are kept out of error output anyway: eks-auth prints
 *   `error:`/`hint:` lines, a stack trace only with --verbose);
 * no source map: it would only serve --verbose stack traces, and costs size;
 * --no-compile-autoload-dotenv/bunfig: a compiled Bun program otherwise reads `.env` and
 *   `bunfig.toml` from the working directory, so a `.env` holding AWS_* variables in whatever
 *   directory kubectl runs from would change the credentials; the AWS CLI reads no such file.
 */
export function compile({ entry, out, target, define = defines }) {
  const args = ['build', '--compile', '--bytecode', '--minify', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--outfile', out];
  if (target !== hostTarget()) args.push(`--target=${TARGETS[target].bun}`, `--compile-executable-path=${runtimeFor(target)}`);
  for (const [name, value] of Object.entries(define)) args.push('--define', `${name}=${value}`);
  args.push(entry);
  mkdirSync(join(out, '..'), { recursive: true });
  rmSync(out, { force: true });
  execFileSync(BUN, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(out)) throw new Error(`bun build wrote no ${out}`);
}

/** Builds eks-auth (or the floor) for `target`; returns the path. Runs it when it is for this machine. */
export function buildBinary({ target = hostTarget(), out, floor = false } = {}) {
  if (!target || !(target in TARGETS)) throw new Error(`no Bun target for ${target ?? `${process.platform}-${process.arch}`}: one of ${Object.keys(TARGETS).join(', ')}`);
  const output = out ?? join(root, 'build', `${floor ? 'floor' : 'eks-auth'}-${target}${TARGETS[target].exe}`);
  if (floor) {
    const scratch = mkdtempSync(join(tmpdir(), 'eks-auth-floor-'));
    try {
      const entry = join(scratch, 'floor.js');
      writeFileSync(entry, "require('node:fs').writeSync(1, 'floor\\n');\n");
      compile({ entry, out: output, target, define: {} });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  } else {
    compile({ entry: join(root, 'src', 'cli', 'bin.ts'), out: output, target });
  }
  if (target === hostTarget()) {
    // It must run, and say which build it is.
    const printed = execFileSync(output, ['--version'], { env: { PATH: process.env.PATH ?? '' } }).toString().trim();
    const expected = floor ? 'floor' : versionString;
    if (printed !== expected) throw new Error(`${output} --version printed "${printed}", expected "${expected}"`);
  }
  const size = (statSync(output).size / 1024 / 1024).toFixed(1);
  console.log(`built ${output} (${size} MiB, Bun ${bunVersion()}, ${floor ? 'floor' : `eks-auth ${versionString}`})`);
  return output;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { target: { type: 'string' }, out: { type: 'string' }, floor: { type: 'boolean', default: false } } });
  buildBinary({ target: values.target, out: values.out, floor: values.floor });
}
