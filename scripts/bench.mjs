// Start-up benchmark of `eks-auth token`, side by side with `node -e 0` and `aws eks get-token`.
//
// Goals (as ratios to `node -e 0` of the Node.js running this script, in the same run): the binary
// at most 0.30× for env keys and a cache hit, 1.5× for a role-chain miss, 30 MiB peak RSS; the
// JavaScript bundle at most 1.15× on that Node.js. Run it with `npm run bench`, which puts the
// Node.js devDependency first on PATH, or with any `node` ≥ 22.
//
// Every row runs in every round, interleaved (A B C A B C …), so a busy machine slows all rows
// alike; each run is a whole process, timed from spawn to exit with stdout on a pipe as kubectl
// reads it. Prints a markdown table (median, p90, ratio to `node -e 0`, peak RSS) for the README.
//
// NODE_EXTRA_CA_CERTS is removed from every measured process's environment: a machine that exports
// it globally pays tens of milliseconds for it on every Node.js start, which is not eks-auth's time.
//
// Usage: node scripts/bench.mjs [--runs 30] [--warmup 2] [--rss-runs 3]
//   needs dist/ (npm run build); uses build/eks-auth-<os>-<arch> when built (npm run build:binary)
//   and build/floor-<os>-<arch> (node scripts/build-binary.mjs --floor),
//   moto_server for the role-chain rows and the AWS CLI for its rows, each when present.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '2' },
    'rss-runs': { type: 'string', default: '3' },
  },
});
const RUNS = Number(opts.runs);
const WARMUP = Number(opts.warmup);
const RSS_RUNS = Number(opts['rss-runs']);
if (!(RUNS >= 1 && WARMUP >= 0 && RSS_RUNS >= 0))
  throw new Error('--runs must be at least 1, --warmup and --rss-runs at least 0');

const log = (message) => process.stderr.write(`${message}\n`);
const notes = [];

// The test peers (TypeScript, through tsx from devDependencies): which are installed, and moto_server.
const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
const { peerAvailable, startMoto } = require('../test/peers/peers.ts');

const script = join(root, 'dist', 'eks-auth.js');
if (!existsSync(script)) {
  log('dist/eks-auth.js is missing: run `npm run build` first');
  process.exit(2);
}
const platform = process.platform === 'win32' ? 'windows' : process.platform;
/** build/<name>-<os>-<arch>, as scripts/build-binary.mjs names its output. */
const built = (name) =>
  join(root, 'build', `${name}-${platform}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`);
const binary = built('eks-auth');
const haveBinary = existsSync(binary);
if (!haveBinary) notes.push('The binary is not built (`npm run build:binary`): its rows are missing.');
// A Bun executable whose script only writes a line: what any Bun executable costs at least.
const floorBinary = built('floor');
const haveFloor = haveBinary && existsSync(floorBinary);
if (haveBinary && !haveFloor)
  notes.push('The floor binary is not built (`node scripts/build-binary.mjs --floor`): its row is missing.');
const haveAws = peerAvailable('aws');
if (!haveAws) notes.push('The AWS CLI is not installed: its rows are missing.');
const haveMoto = peerAvailable('moto_server');
if (!haveMoto)
  notes.push('moto_server is not installed (`pip install "moto[server]"`): the role-chain rows are missing.');
const timeBin = ['/usr/bin/time', '/bin/time'].find((path) => existsSync(path));
if (!timeBin) notes.push('GNU time is not installed (Debian package `time`): no peak RSS.');

// One private world for every measured process: no AWS_* or CA settings from this machine.
const work = mkdtempSync(join(tmpdir(), 'eks-auth-bench-'));
const home = join(work, 'home');
mkdirSync(home, { recursive: true });
const configFile = join(work, 'aws-config');
const credentialsFile = join(work, 'aws-credentials');
writeFileSync(
  configFile,
  '[profile bench-base]\nregion = us-east-1\n\n[profile bench-chain]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/bench\nsource_profile = bench-base\nrole_session_name = bench\n',
);
// The AWS documentation's example keys: nothing here is a real credential.
writeFileSync(
  credentialsFile,
  '[bench-base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
);

const baseEnv = {
  PATH: process.env.PATH ?? '',
  HOME: home,
  ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
  AWS_CONFIG_FILE: configFile,
  AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
  AWS_EC2_METADATA_DISABLED: 'true',
  KUBECACHEDIR: join(work, 'kube-cache'),
  // What kubectl 1.2x sets for a v1beta1 exec entry run without a terminal.
  KUBERNETES_EXEC_INFO:
    '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}',
};
const envKeys = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  AWS_REGION: 'us-east-1',
};

let moto;
let cleanupDone = false;
async function cleanup() {
  if (cleanupDone) return;
  cleanupDone = true;
  await moto?.stop();
  rmSync(work, { recursive: true, force: true });
}

/** One process run: wall milliseconds, after checking that it printed a token. */
function runOnce(row, extraEnv = {}) {
  const env = { ...baseEnv, ...row.env, ...extraEnv };
  const start = process.hrtime.bigint();
  const result = spawnSync(row.command[0], row.command.slice(1), {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0 || (row.expect && !result.stdout.toString().includes(row.expect))) {
    throw new Error(`${row.label} failed (exit ${result.status}): ${result.stderr.toString().trim().slice(0, 500)}`);
  }
  return ms;
}

function peakRssMiB(row, extraEnv = {}) {
  const out = join(work, 'rss.txt');
  const env = { ...baseEnv, ...row.env, ...extraEnv };
  const result = spawnSync(timeBin, ['-f', '%M', '-o', out, ...row.command], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0)
    throw new Error(`${row.label} failed under ${timeBin}: ${result.stderr.toString().trim().slice(0, 500)}`);
  return Number(readFileSync(out, 'utf8').trim().split('\n').pop()) / 1024;
}

function cacheFiles(dir) {
  try {
    return readdirSync(join(dir, 'eks-auth')).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
}

try {
  if (haveMoto) {
    log('starting moto_server on 127.0.0.1 …');
    moto = await startMoto();
  }
  const chainEnv = moto ? { AWS_PROFILE: 'bench-chain', AWS_ENDPOINT_URL_STS: moto.url } : undefined;

  // Does this build cache tokens? Run the role chain twice in a fresh cache directory and look.
  let hasCache = false;
  if (chainEnv) {
    const probe = join(work, 'probe-cache');
    const row = {
      label: 'cache probe',
      command: [process.execPath, script, 'token', '--cluster', 'bench'],
      env: { ...chainEnv, KUBECACHEDIR: probe },
    };
    runOnce(row);
    hasCache = cacheFiles(probe).length > 0;
    if (!hasCache) notes.push('This build has no token cache (src/cache): the cache-hit rows are missing.');
  }

  const node = process.execPath;
  const flavours = [{ name: `JS bundle, Node.js ${process.versions.node}`, prefix: [node, script], js: true }];
  if (haveBinary) flavours.push({ name: 'binary', prefix: [binary], js: false });
  const token = ['token', '--cluster', 'bench'];
  const rows = [{ label: '`node -e 0`', command: [node, '-e', '0'], env: {} }];
  if (haveFloor)
    rows.push({
      label: 'Bun binary that only writes a line (the floor)',
      command: [floorBinary],
      env: {},
      expect: 'floor',
    });
  for (const f of flavours) {
    rows.push({
      label: `eks-auth token, env keys (${f.name})`,
      command: [...f.prefix, ...token],
      env: { ...envKeys, EKS_AUTH_NO_CACHE: '1' },
      expect: 'k8s-aws-v1.',
      goal: f.js ? 1.15 : 0.3,
      rssGoal: f.js ? undefined : 30,
    });
    if (chainEnv && hasCache) {
      rows.push({
        label: `eks-auth token, cache hit (${f.name})`,
        command: [...f.prefix, ...token],
        env: { ...chainEnv, KUBECACHEDIR: join(work, `hit-${rows.length}`) },
        expect: 'k8s-aws-v1.',
        prime: true,
        goal: f.js ? 1.15 : 0.3,
        rssGoal: f.js ? undefined : 30,
      });
    }
    if (chainEnv) {
      rows.push({
        label: `eks-auth token, role chain${hasCache ? ', cache miss' : ''} (${f.name})`,
        command: [...f.prefix, ...token],
        env: chainEnv,
        expect: 'k8s-aws-v1.',
        // A new empty cache directory for every run: each one assumes the role.
        freshCache: hasCache,
        ...(f.js ? {} : { goal: 1.5 }),
      });
    }
  }
  if (haveAws) {
    const aws = ['aws', 'eks', 'get-token', '--cluster-name', 'bench', '--region', 'us-east-1', '--output', 'json'];
    rows.push({ label: '`aws eks get-token`, env keys', command: aws, env: envKeys, expect: 'k8s-aws-v1.' });
    if (chainEnv) {
      rows.push({
        label: '`aws eks get-token`, role chain (its own cache warm)',
        command: aws,
        env: chainEnv,
        expect: 'k8s-aws-v1.',
        prime: true,
      });
    }
  }

  let freshCount = 0;
  const runEnv = (row) => (row.freshCache ? { KUBECACHEDIR: join(work, `miss-${freshCount++}`) } : {});
  for (const row of rows) {
    row.times = [];
    row.rss = [];
    if (row.prime) runOnce(row);
  }
  const loadBefore = loadavg()[0];
  log(`${rows.length} rows, ${WARMUP} warm-up + ${RUNS} measured rounds, interleaved`);
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const row of rows) {
      const ms = runOnce(row, runEnv(row));
      if (round >= WARMUP) row.times.push(ms);
    }
    if ((round + 1) % 10 === 0) log(`  round ${round + 1}/${WARMUP + RUNS}`);
  }
  if (timeBin) {
    for (let round = 0; round < RSS_RUNS; round++) {
      for (const row of rows) row.rss.push(peakRssMiB(row, runEnv(row)));
    }
  }
  const loadAfter = loadavg()[0];

  const sorted = (values) => [...values].sort((a, b) => a - b);
  const quantile = (values, q) => {
    const s = sorted(values);
    return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  };
  const median = (values) => {
    const s = sorted(values);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const baseline = median(rows[0].times);

  const awsVersion = haveAws
    ? (({ stdout, stderr }) => `${stdout}${stderr}`.trim().split(' ')[0])(
        spawnSync('aws', ['--version'], { env: baseEnv }),
      )
    : undefined;
  const cpu = cpus();
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu[0]?.model.trim() ?? 'unknown CPU'} (${cpu.length} cores), ` +
      `${process.platform} ${release()}, Node.js ${process.version}${awsVersion ? `, ${awsVersion}` : ''}. ` +
      `${RUNS} runs of each row, interleaved; whole-process wall time with stdout on a pipe; ` +
      `NODE_EXTRA_CA_CERTS unset for every measured process; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after. ` +
      'Env-key rows sign every time (EKS_AUTH_NO_CACHE=1)' +
      (moto
        ? '; role chains call AssumeRole on moto_server at 127.0.0.1, a cache miss in a new empty cache directory each run.'
        : '.'),
    '',
    '| command | median ms | p90 ms | × `node -e 0` | peak RSS MiB | goal |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    const m = median(row.times);
    // Judged as printed: two decimals.
    const ratio = Math.round((m / baseline) * 100) / 100;
    const peak = row.rss.length ? Math.max(...row.rss) : undefined;
    const rss = peak === undefined ? 'n/a' : peak.toFixed(1);
    const goals = [];
    if (row.goal !== undefined) goals.push(`≤ ${row.goal.toFixed(2)}× ${ratio <= row.goal ? 'met' : 'missed'}`);
    if (row.rssGoal !== undefined && peak !== undefined)
      goals.push(`≤ ${row.rssGoal} MiB ${Number(rss) <= row.rssGoal ? 'met' : 'missed'}`);
    const goal = goals.join(', ');
    lines.push(
      `| ${row.label} | ${m.toFixed(1)} | ${quantile(row.times, 0.9).toFixed(1)} | ${ratio.toFixed(2)} | ${rss} | ${goal} |`,
    );
  }
  if (notes.length) lines.push('', ...notes.map((note) => `- ${note}`));
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await cleanup();
}
