/**
 * Builds and runs the Go aws-auth oracle (main.go beside this file): the ConfigMap sections read
 * with gopkg.in/yaml.v2, sigs.k8s.io/yaml and encoding/json, as the EKS authenticator reads them.
 *
 * The build is offline: GOPATH mode over the Debian packages golang-gopkg-yaml.v2-dev and
 * golang-k8s-sigs-yaml-dev (sources under /usr/share/gocode), GOPROXY=off, with the binary cached
 * in the system temp directory under the hash of main.go and the Go version.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const SOURCE_DIR = __dirname;
export const GOCODE = '/usr/share/gocode';
const INSTALL = 'apt-get install golang-go golang-gopkg-yaml.v2-dev golang-k8s-sigs-yaml-dev (scripts/setup does)';

export interface OracleEntry {
  arn: string;
  sso: boolean;
  username: string;
  groups: string[];
}

export interface OracleSection {
  yamlError?: string;
  decodeError?: string;
  invalid: number;
}

export interface OracleResult {
  roles: OracleEntry[];
  users: OracleEntry[];
  accounts: string[];
  sections: Partial<Record<'mapRoles' | 'mapUsers' | 'mapAccounts', OracleSection>>;
  matches: Array<{ arn: string; roles: OracleEntry[]; users: OracleEntry[] }>;
  accountsAllowed: boolean[];
}

export interface OracleInput {
  data: Partial<Record<string, string>>;
  arns?: string[];
  accounts?: string[];
}

/** Why the oracle cannot be built here, or undefined when it can. */
export function oracleMissing(): string | undefined {
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0)
    return `the Go toolchain is not installed: ${INSTALL}`;
  for (const pkg of ['gopkg.in/yaml.v2', 'sigs.k8s.io/yaml']) {
    if (!existsSync(join(GOCODE, 'src', pkg))) return `the Go package ${pkg} is not under ${GOCODE}: ${INSTALL}`;
  }
  return undefined;
}

/**
 * True when the oracle can be built. Otherwise: outside CI, skips the test with what to install;
 * with CI=true, throws, so that CI without the Go toolchain fails instead of passing.
 */
export function requireOracle(t: { skip(message?: string): void }): boolean {
  const missing = oracleMissing();
  if (!missing) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true and the aws-auth oracle cannot be built: ${missing}`);
  t.skip(`aws-auth oracle unavailable: ${missing}`);
  return false;
}

function goEnv(cache: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cache,
    GO111MODULE: 'off',
    GOPATH: GOCODE,
    GOFLAGS: '',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOCACHE: join(cache, 'gocache'),
    CGO_ENABLED: '0',
  };
}

/** Builds the oracle (once per source and Go version) and returns the binary's path. */
export function buildOracle(): string {
  const source = readFileSync(join(SOURCE_DIR, 'main.go'));
  const version = spawnSync('go', ['version'], { encoding: 'utf8' }).stdout.trim();
  const hash = createHash('sha256').update(source).update(version).digest('hex').slice(0, 16);
  const cache = join(tmpdir(), `eks-auth-aws-auth-oracle-${process.getuid?.() ?? 0}`);
  const binary = join(cache, `oracle-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(cache, { recursive: true, mode: 0o700 });
  const partial = `${binary}.${process.pid}`;
  const built = spawnSync('go', ['build', '-o', partial, '.'], {
    cwd: SOURCE_DIR,
    env: goEnv(cache),
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`go build of the aws-auth oracle failed:\n${built.stderr}`);
  renameSync(partial, binary);
  return binary;
}

/** Go's unicode tables as the oracle prints them with -unicode. */
export function oracleUnicodeTables(binary: string): {
  version: string;
  lower: Record<string, number>;
  orbits: number[][];
} {
  const run = spawnSync(binary, ['-unicode'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`oracle -unicode failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { version: string; lower: Record<string, number>; orbits: number[][] };
}

/** One long-running oracle process, asked one JSON line at a time. */
export class Oracle {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(line: string) => void> = [];
  private stderr = '';

  constructor(binary: string) {
    this.child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ exited: code, stderr: this.stderr }));
    });
  }

  ask(input: OracleInput): Promise<OracleResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push((line) => {
        const parsed = JSON.parse(line) as OracleResult & { exited?: number };
        if (parsed.exited !== undefined) reject(new Error(`the oracle exited (${parsed.exited}): ${this.stderr}`));
        else resolve(parsed);
      });
      this.child.stdin.write(`${JSON.stringify({ arns: [], accounts: [], ...input })}\n`);
    });
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
