/**
 * The two shipped forms of eks-auth, for tests that run both: the Node.js bundle (dist/eks-auth.js)
 * and the standalone binary that `npm run build:binary` writes to build/eks-auth-<os>-<arch>,
 * whatever builds it (EKS_AUTH_BINARY names another file).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, type CommandResult } from '../peers/peers';
import { ensureBuilt, REPO_ROOT } from './built-cli';

export interface Build {
  name: 'bundle' | 'binary';
  /** The command and the arguments before eks-auth's own. */
  argv(): string[];
  /** True when it can run; otherwise skips the test (outside CI) or throws (CI=true). */
  ready(t: { skip(message?: string): void }): boolean;
}

const PLATFORM = process.platform === 'win32' ? 'win' : process.platform;

/** Where build:binary puts the executable for this machine. */
export function binaryPath(): string {
  return (
    process.env.EKS_AUTH_BINARY ??
    join(REPO_ROOT, 'build', `eks-auth-${PLATFORM}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`)
  );
}

export const BUNDLE: Build = {
  name: 'bundle',
  argv: () => [process.execPath, ensureBuilt()],
  ready: () => true,
};

export const BINARY: Build = {
  name: 'binary',
  argv: () => [binaryPath()],
  ready(t) {
    if (existsSync(binaryPath())) return true;
    const message = `${binaryPath()} is not built: run \`npm run build:binary\` first`;
    if (process.env.CI === 'true') throw new Error(message);
    t.skip(message);
    return false;
  },
};

export const BUILDS: readonly Build[] = [BUNDLE, BINARY];

/** Runs eks-auth of `build` with exactly `env`; `wrap` goes before it (e.g. faketime and its flags). */
export function runBuild(
  build: Build,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; timeoutMs?: number; wrap?: string[] } = {},
): Promise<CommandResult> {
  const [command, ...rest] = [...(options.wrap ?? []), ...build.argv(), ...args];
  return runCommand(command as string, rest, {
    env,
    ...(options.input !== undefined ? { input: options.input } : {}),
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

export interface TimedResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawning to exit. */
  totalMs: number;
  /** From the first stderr line matching `mark` arriving here to exit; undefined when none came. */
  sinceMarkMs?: number;
}

/**
 * Runs eks-auth like runBuild and also times, here, the part after the first stderr line matching
 * `mark` (with --verbose, the HTTP layer's first `debug: http:` line): the network call's own
 * duration, without the process start, which a busy machine stretches.
 */
export function runBuildTimed(
  build: Build,
  args: string[],
  env: NodeJS.ProcessEnv,
  mark: RegExp,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<TimedResult> {
  const [command, ...rest] = [...build.argv(), ...args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let markedAt: number | undefined;
    const child = spawn(command as string, rest, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (markedAt === undefined && stderr.split('\n').some((line) => mark.test(line))) markedAt = performance.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const now = performance.now();
      resolve({
        code,
        stdout,
        stderr,
        totalMs: now - started,
        ...(markedAt === undefined ? {} : { sinceMarkMs: now - markedAt }),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}
