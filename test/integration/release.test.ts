/**
 * The release that `npm run build:release` leaves in build/release/ (CI builds it before the
 * tests; elsewhere these skip when it is missing): SHA256SUMS against the files, each binary's
 * executable format (ELF machine and interpreter, Mach-O magic and CPU type, PE machine), the
 * version string in every binary, the archives' contents, the krew manifest and the Homebrew
 * formula pinned to SHA256SUMS, and the linux-arm64 binary run under qemu-user
 * (`qemu-aarch64 -L /usr/aarch64-linux-gnu`, Debian qemu-user and libc6-arm64-cross) signing a
 * token that the local STS front accepts. The macOS and Windows binaries are not run here.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import {
  cleanAwsEnv,
  httpsRequest,
  peersAvailable,
  requirePeer,
  runCommand,
  startPeers,
  type PeerName,
  type Peers,
} from '../peers/peers';
import { REPO_ROOT } from '../helpers/built-cli';

const RELEASE = join(REPO_ROOT, 'build', 'release');
const { version: VERSION } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const PEERS: PeerName[] = ['moto_server', 'botocore', 'openssl'];
/** qemu-aarch64 by absolute path (the binary runs with an empty PATH), or '' when not installed. */
const QEMU = spawnSync('sh', ['-c', 'command -v qemu-aarch64'], { encoding: 'utf8' }).stdout.trim();
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
// Made-up keys, known to the STS front.
const ALICE = {
  akid: 'AKIAEKSAUTHRELALICE1',
  secret: 'alice/release+secret=abcdefghijklmnopqr',
  arn: 'arn:aws:iam::111122223333:user/alice',
};

/** Name → what the file must be. ELF e_machine: 62 x86-64, 183 AArch64 (ELF spec); Mach-O cputype: CPU_ARCH_ABI64 | 7 (x86) or 12 (ARM) (mach/machine.h); PE machine 0x8664 (PE format). */
const BINARIES: Record<string, { format: 'elf' | 'macho' | 'pe'; machine: number; interpreter?: string }> = {
  'eks-auth-linux-x64': { format: 'elf', machine: 62, interpreter: '/lib64/ld-linux-x86-64.so.2' },
  'eks-auth-linux-arm64': { format: 'elf', machine: 183, interpreter: '/lib/ld-linux-aarch64.so.1' },
  'eks-auth-linux-x64-musl': { format: 'elf', machine: 62, interpreter: '/lib/ld-musl-x86_64.so.1' },
  'eks-auth-linux-arm64-musl': { format: 'elf', machine: 183, interpreter: '/lib/ld-musl-aarch64.so.1' },
  'eks-auth-darwin-x64': { format: 'macho', machine: 0x01000007 },
  'eks-auth-darwin-arm64': { format: 'macho', machine: 0x0100000c },
  'eks-auth-windows-x64.exe': { format: 'pe', machine: 0x8664 },
};
const ARCHIVES = [
  ...Object.keys(BINARIES).map((b) => b.replace(/\.exe$/, '') + (b.endsWith('.exe') ? '.zip' : '.tar.gz')),
];

function requireRelease(t: TestContext): boolean {
  if (existsSync(join(RELEASE, 'SHA256SUMS'))) return true;
  const message = `${RELEASE} is not built: run \`npm run build:release\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** SHA256SUMS as a map; checks its format line by line. */
function sums(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(join(RELEASE, 'SHA256SUMS'), 'utf8').split('\n').filter(Boolean)) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    assert.ok(m, `sha256sum format: ${line}`);
    map.set(m[2] as string, m[1] as string);
  }
  return map;
}

/** The ELF program interpreter (PT_INTERP), read from the program headers of a 64-bit little-endian ELF. */
function elfInterpreter(bytes: Buffer): string | undefined {
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (bytes.readUInt32LE(at) === 3) {
      const offset = Number(bytes.readBigUInt64LE(at + 8));
      const size = Number(bytes.readBigUInt64LE(at + 32));
      return bytes
        .subarray(offset, offset + size)
        .toString('latin1')
        .replace(/\0+$/, '');
    }
  }
  return undefined;
}

describe('the release', () => {
  let peers: Peers | undefined;
  let commit = '';

  before(async () => {
    commit = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
    if (existsSync(join(RELEASE, 'eks-auth-linux-arm64')) && peersAvailable([...PEERS]) && QEMU) {
      peers = await startPeers({
        clusterId: 'demo',
        staticKeys: { [ALICE.akid]: { secret: ALICE.secret, arn: ALICE.arn } },
      });
    }
  });
  after(async () => {
    await peers?.stop();
  });

  test('SHA256SUMS lists every binary and archive, and `sha256sum -c` accepts it', (t) => {
    if (!requireRelease(t)) return;
    const listed = sums();
    assert.deepEqual([...listed.keys()].sort(), [...Object.keys(BINARIES), ...ARCHIVES].sort());
    // The tool users run checks every hash (coreutils).
    const res = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: RELEASE, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stdout + res.stderr);
  });

  test('each binary is an executable of its platform and carries the version and the commit', (t) => {
    if (!requireRelease(t)) return;
    const stamp = Buffer.from(`${VERSION} (commit `);
    for (const [name, want] of Object.entries(BINARIES)) {
      const bytes = readFileSync(join(RELEASE, name));
      if (want.format === 'elf') {
        assert.deepEqual([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${name}: ELF magic`);
        assert.equal(bytes[4], 2, `${name}: 64-bit`);
        assert.equal(bytes.readUInt16LE(0x12), want.machine, `${name}: e_machine`);
        assert.equal(elfInterpreter(bytes), want.interpreter, `${name}: interpreter`);
      } else if (want.format === 'macho') {
        assert.equal(bytes.readUInt32LE(0), 0xfeedfacf, `${name}: MH_MAGIC_64`);
        assert.equal(bytes.readUInt32LE(4), want.machine, `${name}: cputype`);
        assert.equal(bytes.readUInt32LE(12), 2, `${name}: MH_EXECUTE`);
        // macOS on Apple silicon kills unsigned arm64 code: Bun signs (ad hoc) when it writes the binary.
        const commands: number[] = [];
        for (let i = 0, at = 32; i < bytes.readUInt32LE(16); i++, at += bytes.readUInt32LE(at + 4))
          commands.push(bytes.readUInt32LE(at));
        assert.ok(commands.includes(0x1d), `${name}: LC_CODE_SIGNATURE among its load commands`);
      } else {
        assert.equal(bytes.subarray(0, 2).toString('latin1'), 'MZ', `${name}: DOS header`);
        const pe = bytes.readUInt32LE(0x3c);
        assert.equal(bytes.subarray(pe, pe + 4).toString('latin1'), 'PE\0\0', `${name}: PE signature`);
        assert.equal(bytes.readUInt16LE(pe + 4), want.machine, `${name}: machine`);
      }
      // EKS_AUTH_VERSION is defined at build time: the string --version prints is in the bundle.
      const at = bytes.indexOf(stamp);
      assert.ok(at >= 0, `${name}: no "${stamp.toString()}" in the binary`);
      if (commit)
        assert.equal(
          bytes.subarray(at, at + stamp.length + commit.length).toString(),
          `${stamp.toString()}${commit}`,
          `${name}: built from HEAD`,
        );
    }
  });

  test('the linux-x64 binary prints its version; the archives hold kubectl-eks_auth and LICENSE, byte for byte', (t) => {
    if (!requireRelease(t)) return;
    if (process.platform === 'linux' && process.arch === 'x64') {
      const printed = execFileSync(join(RELEASE, 'eks-auth-linux-x64'), ['--version'], { env: { PATH: '' } })
        .toString()
        .trim();
      assert.equal(printed, `${VERSION} (commit ${commit || 'unknown'})`);
    }
    for (const archive of ARCHIVES) {
      const binary = archive.replace(/\.tar\.gz$/, '').replace(/\.zip$/, '.exe');
      if (archive.endsWith('.tar.gz')) {
        const listing = execFileSync('tar', ['-tvzf', join(RELEASE, archive)]).toString();
        assert.match(listing, /^-rwxr-xr-x \S+ +\d+ \S+ \S+ kubectl-eks_auth$/m, `${archive}: ${listing}`);
        assert.match(listing, /^-rw-r--r-- .* LICENSE$/m);
        const inside = createHash('sha256')
          .update(execFileSync('tar', ['-xzOf', join(RELEASE, archive), 'kubectl-eks_auth'], { maxBuffer: 1 << 28 }))
          .digest('hex');
        assert.equal(inside, sha256(join(RELEASE, binary)), `${archive}: the released binary`);
      } else {
        // Python's zipfile as the independent reader of the zip.
        const out = execFileSync('python3', [
          '-c',
          [
            'import hashlib, sys, zipfile',
            'z = zipfile.ZipFile(sys.argv[1])',
            'assert z.testzip() is None',
            'print(sorted(z.namelist()))',
            "print(hashlib.sha256(z.read('kubectl-eks_auth.exe')).hexdigest())",
          ].join('\n'),
          join(RELEASE, archive),
        ])
          .toString()
          .trim()
          .split('\n');
        assert.equal(out[0], "['LICENSE', 'kubectl-eks_auth.exe']");
        assert.equal(out[1], sha256(join(RELEASE, binary)));
      }
    }
  });

  test('the krew manifest installs kubectl-eks_auth from each archive, pinned to SHA256SUMS', (t) => {
    if (!requireRelease(t)) return;
    const listed = sums();
    const manifest = parse(readFileSync(join(RELEASE, 'eks-auth.krew.yaml'), 'utf8')) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: {
        version: string;
        shortDescription: string;
        platforms: {
          selector: { matchLabels: { os: string; arch: string } };
          uri: string;
          sha256: string;
          bin: string;
        }[];
      };
    };
    assert.equal(manifest.apiVersion, 'krew.googlecontainertools.github.com/v1alpha2');
    assert.equal(manifest.kind, 'Plugin');
    assert.equal(manifest.metadata.name, 'eks-auth');
    assert.equal(manifest.spec.version, `v${VERSION}`);
    const seen = manifest.spec.platforms.map((p) => {
      const file = p.uri.split('/').pop() as string;
      assert.equal(p.sha256, listed.get(file), `${file}: sha256 as in SHA256SUMS`);
      assert.equal(p.bin, p.selector.matchLabels.os === 'windows' ? 'kubectl-eks_auth.exe' : 'kubectl-eks_auth');
      return `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch} ${file}`;
    });
    assert.deepEqual(seen.sort(), [
      'darwin/amd64 eks-auth-darwin-x64.tar.gz',
      'darwin/arm64 eks-auth-darwin-arm64.tar.gz',
      'linux/amd64 eks-auth-linux-x64.tar.gz',
      'linux/arm64 eks-auth-linux-arm64.tar.gz',
      'windows/amd64 eks-auth-windows-x64.zip',
    ]);
  });

  test('the Homebrew formula pins each macOS and Linux archive to SHA256SUMS and tests --version', (t) => {
    if (!requireRelease(t)) return;
    const listed = sums();
    const formula = readFileSync(join(RELEASE, 'eks-auth.rb'), 'utf8');
    const pairs = [...formula.matchAll(/url "([^"]+)"\n\s+sha256 "([0-9a-f]{64})"/g)].map((m) => [
      (m[1] as string).split('/').pop() as string,
      m[2] as string,
    ]);
    assert.deepEqual(pairs.map(([file]) => file).sort(), [
      'eks-auth-darwin-arm64.tar.gz',
      'eks-auth-darwin-x64.tar.gz',
      'eks-auth-linux-arm64.tar.gz',
      'eks-auth-linux-x64.tar.gz',
    ]);
    for (const [file, hash] of pairs) assert.equal(hash, listed.get(file as string), file);
    assert.match(formula, /^class EksAuth < Formula$/m);
    assert.match(formula, new RegExp(`^  version "${VERSION.replace(/\./g, '\\.')}"$`, 'm'));
    assert.match(formula, /bin\.install "kubectl-eks_auth" => "eks-auth"/);
    assert.match(
      formula,
      /test do\n\s+assert_match version\.to_s, shell_output\("#\{bin\}\/eks-auth --version"\)\n\s+end/,
    );
  });

  test('the linux-arm64 binary, run under qemu-aarch64, signs a token the local STS front accepts', async (t) => {
    if (!requireRelease(t) || !requirePeer(t, ...PEERS)) return;
    if (!QEMU || !existsSync(ARM64_SYSROOT)) {
      const message = `qemu-aarch64 or ${ARM64_SYSROOT} is missing: apt-get install qemu-user libc6-arm64-cross (scripts/setup)`;
      if (process.env.CI === 'true') throw new Error(message);
      return t.skip(message);
    }
    const p = peers as Peers;
    const binary = join(RELEASE, 'eks-auth-linux-arm64');
    const version = await runCommand(QEMU, ['-L', ARM64_SYSROOT, binary, '--version'], {
      env: { PATH: '' },
      timeoutMs: 120_000,
    });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), `${VERSION} (commit ${commit || 'unknown'})`);
    const res = await runCommand(
      QEMU,
      ['-L', ARM64_SYSROOT, binary, 'token', '--cluster', 'demo', '--region', 'us-east-1', '--token-only'],
      {
        // Presigned for the STS front's host, which the kube-api replays it to.
        env: cleanAwsEnv({
          env: {
            PATH: '',
            AWS_ACCESS_KEY_ID: ALICE.akid,
            AWS_SECRET_ACCESS_KEY: ALICE.secret,
            EKS_AUTH_NO_CACHE: '1',
            AWS_ENDPOINT_URL_STS: p.sts.url,
          },
        }),
        timeoutMs: 120_000,
      },
    );
    assert.equal(res.code, 0, res.stderr);
    const before = p.sts.calls().length;
    // The kube-api replays the token to the STS front, which checks its SigV4 with botocore.
    const replay = await httpsRequest(`${p.kube.server}/api/v1/namespaces/default/pods`, {
      ca: p.kube.caPem,
      headers: { authorization: `Bearer ${res.stdout.trim()}` },
    });
    assert.equal(replay.status, 200, replay.body);
    const calls = p.sts.calls().slice(before);
    assert.ok(
      calls.some((c) => c.ok && c.action === 'GetCallerIdentity'),
      JSON.stringify(calls),
    );
  });
});
