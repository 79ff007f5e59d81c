// Builds a release on one machine, into build/release/:
//   eks-auth-<os>-<arch>[.exe]        the standalone binaries (scripts/build-binary.mjs) for every target
//   eks-auth-<os>-<arch>.tar.gz       macOS and Linux: kubectl-eks_auth and LICENSE (krew and Homebrew install these)
//   eks-auth-windows-x64.zip          Windows: kubectl-eks_auth.exe and LICENSE (krew)
//   SHA256SUMS                        `sha256sum` format, every binary and archive
//   eks-auth.krew.yaml                krew plugin manifest (kubectl eks-auth), pinned to the archives' checksums
//   eks-auth.rb                       Homebrew formula, pinned to the archives' checksums
//
// Archives are reproducible: fixed order, owner, mode and time, gzip without a timestamp.
// The manifests point at --base-url (default: the GitHub release of this version).
//
// Usage: node scripts/build-release.mjs [--base-url URL] [--targets linux-x64,darwin-arm64,…]
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { TARGETS, buildBinary, bytecodeOrder } from './build-binary.mjs';
import { pkg, root, versionString } from './build.mjs';

const { values: flags } = parseArgs({
  options: {
    'base-url': { type: 'string', default: `https://github.com/eks-auth/eks-auth/releases/download/v${pkg.version}` },
    targets: { type: 'string', default: Object.keys(TARGETS).join(',') },
  },
});
const baseUrl = flags['base-url'].replace(/\/+$/, '');
const targets = flags.targets.split(',').filter(Boolean);
for (const t of targets)
  if (!(t in TARGETS)) throw new Error(`unknown target ${t}: one of ${Object.keys(TARGETS).join(', ')}`);

const out = join(root, 'build', 'release');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const license = readFileSync(join(root, 'LICENSE'));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// --- archives, by hand: a ustar tar (gzip) and a zip, each entry 0755 or 0644, time 0 ---

function tarHeader(name, size, mode) {
  const h = Buffer.alloc(512);
  const field = (offset, length, value) => h.write(value, offset, length, 'ascii');
  const octal = (offset, length, value) => field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, name);
  octal(100, 8, mode);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  h.fill(' ', 148, 156);
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** gzip of a tar holding `entries` ({ name, data, mode }). */
function tarGz(entries) {
  const parts = [];
  for (const { name, data, mode } of entries) {
    parts.push(tarHeader(name, data.length, mode), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  // Node's gzip header carries no file name and time 0.
  return gzipSync(Buffer.concat(parts));
}

/** A zip (deflate) holding `entries`, with Unix modes and DOS time 1980-01-01 00:00. */
function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data, mode } of entries) {
    const compressed = deflateRawSync(data);
    const crc = crc32(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below counts
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

// --- binaries and archives ---

const sums = new Map();
const archives = {};
// One training run for every target (see scripts/build-binary.mjs).
const order = await bytecodeOrder();
for (const target of targets) {
  const { exe, os } = TARGETS[target];
  const binary = join(out, `eks-auth-${target}${exe}`);
  await buildBinary({ target, out: binary, order });
  chmodSync(binary, 0o755);
  const data = readFileSync(binary);
  sums.set(basename(binary), sha256(data));
  // The name kubectl looks for: `kubectl eks-auth` runs kubectl-eks_auth from PATH.
  const entries = [
    { name: `kubectl-eks_auth${exe}`, data, mode: 0o755 },
    { name: 'LICENSE', data: license, mode: 0o644 },
  ];
  const archive = join(out, `eks-auth-${target}${os === 'windows' ? '.zip' : '.tar.gz'}`);
  const bytes = os === 'windows' ? zip(entries) : tarGz(entries);
  writeFileSync(archive, bytes);
  sums.set(basename(archive), sha256(bytes));
  archives[target] = { file: basename(archive), sha256: sha256(bytes), exe };
}

const lines = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, hash]) => `${hash}  ${name}\n`);
writeFileSync(join(out, 'SHA256SUMS'), lines.join(''));

// --- krew: glibc builds for Linux (krew has no libc selector) ---

const description = pkg.description;
const krewTargets = targets.filter((t) => !TARGETS[t].libc);
const krew = [
  'apiVersion: krew.googlecontainertools.github.com/v1alpha2',
  'kind: Plugin',
  'metadata:',
  '  name: eks-auth',
  'spec:',
  `  version: v${pkg.version}`,
  `  homepage: ${baseUrl.replace(/\/releases\/download\/.*$/, '')}`,
  '  shortDescription: Fast AWS IAM authentication to Amazon EKS',
  '  description: |',
  `    ${description}.`,
  '    Run `kubectl eks-auth kubeconfig --cluster NAME --kubectl-plugin` to write a',
  '    kubeconfig entry whose exec command is `kubectl eks-auth token`.',
  '  platforms:',
  ...krewTargets.flatMap((t) => {
    const { os, arch } = TARGETS[t];
    const a = archives[t];
    return [
      '  - selector:',
      '      matchLabels:',
      `        os: ${os}`,
      `        arch: ${arch === 'x64' ? 'amd64' : arch}`,
      `    uri: ${baseUrl}/${a.file}`,
      `    sha256: ${a.sha256}`,
      '    files:',
      `    - from: kubectl-eks_auth${a.exe}`,
      '      to: .',
      '    - from: LICENSE',
      '      to: .',
      `    bin: kubectl-eks_auth${a.exe}`,
    ];
  }),
];
writeFileSync(join(out, 'eks-auth.krew.yaml'), `${krew.join('\n')}\n`);

// --- Homebrew: macOS and glibc Linux ---

const brewArchive = (os, arch) => archives[`${os}-${arch}`];
const brewBlock = (os, arch, indent) => {
  const a = brewArchive(os, arch);
  return a ? [`${indent}url "${baseUrl}/${a.file}"`, `${indent}sha256 "${a.sha256}"`] : [];
};
const onArch = (os, indent) => {
  const rows = [];
  if (brewArchive(os, 'arm64'))
    rows.push(`${indent}on_arm do`, ...brewBlock(os, 'arm64', `${indent}  `), `${indent}end`);
  if (brewArchive(os, 'x64')) rows.push(`${indent}on_intel do`, ...brewBlock(os, 'x64', `${indent}  `), `${indent}end`);
  return rows;
};
const formula = [
  '# Homebrew formula for eks-auth: `brew install ./eks-auth.rb`, or put it in a tap.',
  'class EksAuth < Formula',
  `  desc "Fast AWS IAM authentication for kubectl and Amazon EKS"`,
  `  homepage "${baseUrl.replace(/\/releases\/download\/.*$/, '')}"`,
  `  version "${pkg.version}"`,
  `  license "${pkg.license}"`,
  '',
  '  on_macos do',
  ...onArch('darwin', '    '),
  '  end',
  '',
  '  on_linux do',
  ...onArch('linux', '    '),
  '  end',
  '',
  '  def install',
  '    bin.install "kubectl-eks_auth" => "eks-auth"',
  '    # kubectl runs `kubectl eks-auth` as kubectl-eks_auth from PATH.',
  '    bin.install_symlink "eks-auth" => "kubectl-eks_auth"',
  '  end',
  '',
  '  test do',
  `    assert_match version.to_s, shell_output("#{bin}/eks-auth --version")`,
  '  end',
  'end',
];
writeFileSync(join(out, 'eks-auth.rb'), `${formula.join('\n')}\n`);

const total = [...sums.keys()].reduce((n, name) => n + statSync(join(out, name)).size, 0);
console.log(
  `release ${versionString}: ${sums.size} files (${(total / 1024 / 1024).toFixed(0)} MiB), SHA256SUMS, eks-auth.krew.yaml, eks-auth.rb in ${out}`,
);
