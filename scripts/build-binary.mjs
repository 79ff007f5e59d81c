// Builds the standalone eks-auth executable with Bun (`bun build --compile --bytecode`), by default
// for this machine at build/eks-auth-<os>-<arch> (build/eks-auth-linux-x64 here).
//
// The binary is src/cli/bin.ts and everything it imports, bundled, compiled to JavaScriptCore
// bytecode at build time and appended to a copy of the Bun runtime: no Node.js where it runs. Bun
// itself is a pinned devDependency; for another platform (--target) the runtime is that platform's
// `@oven/bun-<os>-<arch>` package of the same version, fetched with `npm pack` (so from the npm
// registry and npm's cache, as configured for npm) and handed to Bun with
// --compile-executable-path, so Bun downloads nothing itself.
//
// The bundle is ESM with code splitting: the `eks-auth token` hot path is one chunk, and what it
// imports lazily (yargs and the other commands, each AWS SDK client) are chunks of their own that
// Bun compiles and loads only when they are imported: less bytecode to read on every start. The
// bytecode is laid out in the order a training run of the hot paths (env keys, then a cache hit)
// touched it (--bytecode-order), so a start reads fewer pages of the binary.
//
// --floor builds, for scripts/bench.mjs only, build/floor-<os>-<arch>: a Bun executable whose
// script only writes one line, the floor under any Bun executable.
//
// Usage: node scripts/build-binary.mjs [--target linux-arm64|linux-x64-musl|darwin-arm64|…] [--out <path>] [--floor]
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { defines, root, versionString } from './build.mjs';

/** The platforms eks-auth is released for: our name → Bun's --target and the npm package of its runtime. */
export const TARGETS = {
  'linux-x64': { bun: 'bun-linux-x64', runtime: '@oven/bun-linux-x64', os: 'linux', arch: 'x64', exe: '' },
  'linux-arm64': { bun: 'bun-linux-arm64', runtime: '@oven/bun-linux-aarch64', os: 'linux', arch: 'arm64', exe: '' },
  'linux-x64-musl': {
    bun: 'bun-linux-x64-musl',
    runtime: '@oven/bun-linux-x64-musl',
    os: 'linux',
    arch: 'x64',
    libc: 'musl',
    exe: '',
  },
  'linux-arm64-musl': {
    bun: 'bun-linux-arm64-musl',
    runtime: '@oven/bun-linux-aarch64-musl',
    os: 'linux',
    arch: 'arm64',
    libc: 'musl',
    exe: '',
  },
  'darwin-x64': { bun: 'bun-darwin-x64', runtime: '@oven/bun-darwin-x64', os: 'darwin', arch: 'x64', exe: '' },
  'darwin-arm64': {
    bun: 'bun-darwin-arm64',
    runtime: '@oven/bun-darwin-aarch64',
    os: 'darwin',
    arch: 'arm64',
    exe: '',
  },
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
    const out = execFileSync(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['pack', '--json', '--pack-destination', scratch, `${runtime}@${version}`],
      {
        cwd: scratch,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ).toString();
    const [packed] = JSON.parse(out);
    execFileSync('tar', ['-xzf', join(scratch, packed.filename), '-C', scratch, `package/bin/bun${exe}`], {
      stdio: 'inherit',
    });
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
 * --format=esm --splitting: lazily imported modules are separate chunks (see above);
 * --minify: less bytecode to load (names are kept out of error output anyway: eks-auth prints
 *   `error:`/`hint:` lines, a stack trace only with --verbose);
 * no source map: it would only serve --verbose stack traces, and costs size;
 * --no-compile-autoload-dotenv/bunfig: a compiled Bun program otherwise reads `.env` and
 *   `bunfig.toml` from the working directory, so a `.env` holding AWS_* variables in whatever
 *   directory kubectl runs from would change the credentials; the AWS CLI reads no such file.
 */
export function compile({ entry, out, target, define = defines, order = [] }) {
  const args = [
    'build',
    '--compile',
    '--bytecode',
    '--format=esm',
    '--splitting',
    '--minify',
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    '--outfile',
    out,
  ];
  for (const file of order) args.push(`--bytecode-order=${file}`);
  if (target !== hostTarget())
    args.push(`--target=${TARGETS[target].bun}`, `--compile-executable-path=${runtimeFor(target)}`);
  for (const [name, value] of Object.entries(define)) args.push('--define', `${name}=${value}`);
  args.push(entry);
  mkdirSync(join(out, '..'), { recursive: true });
  rmSync(out, { force: true });
  execFileSync(BUN, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(out)) throw new Error(`bun build wrote no ${out}`);
}

/** Builds eks-auth (or the floor) for `target`; returns the path. Runs it when it is for this machine. */
export async function buildBinary({ target = hostTarget(), out, floor = false, order } = {}) {
  if (!target || !(target in TARGETS))
    throw new Error(
      `no Bun target for ${target ?? `${process.platform}-${process.arch}`}: one of ${Object.keys(TARGETS).join(', ')}`,
    );
  const output = out ?? join(root, 'build', `${floor ? 'floor' : 'eks-auth'}-${target}${TARGETS[target].exe}`);
  if (floor) {
    const scratch = mkdtempSync(join(tmpdir(), 'eks-auth-floor-'));
    try {
      const entry = join(scratch, 'floor.js');
      writeFileSync(entry, "import { writeSync } from 'node:fs';\nwriteSync(1, 'floor\\n');\n");
      compile({ entry, out: output, target, define: {} });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  } else {
    compile({ entry: ENTRY, out: output, target, order: order ?? (await bytecodeOrder()) });
  }
  if (target === hostTarget()) {
    // It must run, and say which build it is.
    const printed = execFileSync(output, ['--version'], { env: { PATH: process.env.PATH ?? '' } })
      .toString()
      .trim();
    const expected = floor ? 'floor' : versionString;
    if (printed !== expected) throw new Error(`${output} --version printed "${printed}", expected "${expected}"`);
  }
  const size = (statSync(output).size / 1024 / 1024).toFixed(1);
  console.log(`built ${output} (${size} MiB, Bun ${bunVersion()}, ${floor ? 'floor' : `eks-auth ${versionString}`})`);
  return output;
}

const ENTRY = join(root, 'src', 'cli', 'bin.ts');

/**
 * Order files for --bytecode-order: a build for this machine, run on the paths kubectl runs every
 * few seconds with BUN_BYTECODE_ORDER_OUT set: `token` with environment keys, then a role-chain
 * profile against a fake STS on 127.0.0.1 twice (the second run is the cache hit; the miss
 * before it only fills the cache and its order is not used). The order names functions by a
 * hash of their source, so it serves every target. Empty (no ordering) where this machine is no
 * target. The keys are the AWS documentation's example pair; nothing leaves this machine.
 */
export async function bytecodeOrder() {
  const host = hostTarget();
  if (!host) return [];
  const dir = join(root, 'build', 'bytecode-order');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, `eks-auth${TARGETS[host].exe}`);
  compile({ entry: ENTRY, out: binary, target: host });
  const sts = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const expiration = new Date(Date.now() + 3600_000).toISOString();
      res.writeHead(200, { 'content-type': 'text/xml', connection: 'close' });
      res.end(
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
          '<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>' +
          `<SessionToken>order-session-token</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
          '<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:order</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/order/order</Arn></AssumedRoleUser>' +
          '</AssumeRoleResult><ResponseMetadata><RequestId>order</RequestId></ResponseMetadata></AssumeRoleResponse>',
      );
    });
  });
  await new Promise((resolve) => sts.listen(0, '127.0.0.1', resolve));
  try {
    const config = join(dir, 'aws-config');
    writeFileSync(
      config,
      '[profile base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n\n' +
        '[profile chain]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/order\nsource_profile = base\nrole_session_name = order\n',
    );
    const common = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      KUBECACHEDIR: join(dir, 'cache'),
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      KUBERNETES_EXEC_INFO:
        '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}',
    };
    const envKeys = {
      ...common,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'us-east-1',
      EKS_AUTH_NO_CACHE: '1',
    };
    const chain = { ...common, AWS_PROFILE: 'chain', AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${sts.address().port}` };
    const runs = [
      ['env-keys', envKeys],
      ['miss', chain],
      ['hit', chain],
    ];
    for (const [name, env] of runs) {
      // Asynchronously: the fake STS in this process must answer.
      const { stdout } = await promisify(execFile)(binary, ['token', '--cluster', 'order'], {
        env: { ...env, BUN_BYTECODE_ORDER_OUT: join(dir, `${name}.order`) },
      });
      if (!stdout.includes('k8s-aws-v1.')) throw new Error(`the ${name} training run printed no token`);
    }
  } finally {
    sts.close();
  }
  return [join(dir, 'env-keys.order'), join(dir, 'hit.order')].filter((file) => existsSync(file));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { target: { type: 'string' }, out: { type: 'string' }, floor: { type: 'boolean', default: false } },
  });
  await buildBinary({ target: values.target, out: values.out, floor: values.floor });
}
