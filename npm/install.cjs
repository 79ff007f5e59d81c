// postinstall of the eks-auth npm package: replaces the JavaScript shim bin/eks-auth with this
// platform's native binary from its optional dependency (@eks-auth/<os>-<arch>, installed by npm
// only on the matching os/cpu/libc), after checking its SHA-256 against the one recorded in
// package.json at build time and that it runs. Anything unexpected leaves the shim in place: it
// runs the same eks-auth on Node.js. On Windows npm's eks-auth.cmd runs `node bin/eks-auth`, so
// the shim stays there too.
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const pkg = require('./package.json');

/** @eks-auth/<os>-<arch>[-musl] for this machine, as scripts/build-npm.mjs names the packages. */
function platformPackage() {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  let libc = '';
  if (process.platform === 'linux') {
    const header = process.report?.getReport().header;
    if (header && header.glibcVersionRuntime === undefined) libc = '-musl';
  }
  return `@eks-auth/${os}-${process.arch}${libc}`;
}

function main() {
  if (process.platform === 'win32') return 'Windows: npm runs bin/eks-auth with node';
  const name = platformPackage();
  const expected = pkg.binaries?.[name];
  if (!expected) return `no native binary for ${name}`;
  let binary;
  try {
    binary = path.join(path.dirname(require.resolve(`${name}/package.json`)), 'bin', 'eks-auth');
  } catch {
    return `${name} is not installed (optional dependencies omitted?)`;
  }
  const bytes = fs.readFileSync(binary);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) return `${binary} has SHA-256 ${actual}, expected ${expected}`;
  const printed = execFileSync(binary, ['--version'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 30_000,
  }).toString();
  if (!printed.startsWith(`${pkg.version} `)) return `${binary} --version printed ${printed.trim()}`;
  // Into place atomically: a new file beside the shim, then rename over it.
  const shim = path.join(__dirname, 'bin', 'eks-auth');
  const next = `${shim}.${process.pid}.tmp`;
  fs.writeFileSync(next, bytes, { mode: 0o755 });
  fs.renameSync(next, shim);
  return undefined;
}

let reason;
try {
  reason = main();
} catch (err) {
  reason = err instanceof Error ? err.message : String(err);
}
// npm shows a postinstall's output only on failure or with --foreground-scripts; never fail the install.
if (reason !== undefined) console.error(`eks-auth: using the JavaScript bundle on Node.js (${reason})`);
