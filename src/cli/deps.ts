/**
 * Builds the real ports from the process: environment, clock, files, stderr, and the lazily loaded
 * SDK adapters. The only place (with bin.ts and run.ts) that touches `process`.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { findProfile, loadAwsConfigFiles } from '../aws/config';
import { resolveHttpSettings } from '../aws/http-settings';
import { cacheDirectory, cacheDisabledByEnv } from '../cache/dir';
import { LOCK_POLL_MS, LOCK_WAIT_MS } from '../cache/lock';
import { openCache, type StoreOptions } from '../cache/store';
import { EksAuthError, ExitCode } from '../errors';
import type {
  CachePort,
  Deps,
  FilePort,
  HttpSettings,
  Logger,
  LookupCluster,
  PromptPort,
  SdkSourcesPort,
  StsPort,
} from '../ports';
import type { ClusterLookupInput, EksCluster } from '../types';
import { registerSecret, writeStderr } from './stdio';

/** The largest file eks-auth reads (AWS config, aws-auth ConfigMap, CA file); kubectl's own limit for a ConfigMap is 1 MiB. */
export const MAX_INPUT_FILE_BYTES = 16 * 1024 * 1024;

export const nodeFiles: FilePort = {
  /** Reads a regular file of at most MAX_INPUT_FILE_BYTES; a FIFO, a device or a larger file throws. */
  readText(path: string): string | undefined {
    let fd: number;
    try {
      // Non-blocking, so that a FIFO is refused instead of waited on.
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error('it is not a regular file');
      if (st.size > MAX_INPUT_FILE_BYTES)
        throw new Error(`it is ${st.size} bytes, more than the ${MAX_INPUT_FILE_BYTES} eks-auth reads`);
      const buf = Buffer.alloc(Math.min(st.size + 1, MAX_INPUT_FILE_BYTES + 1));
      let length = 0;
      while (length < buf.length) {
        const n = readSync(fd, buf, length, buf.length - length, null);
        if (n === 0) break;
        length += n;
      }
      if (length > MAX_INPUT_FILE_BYTES)
        throw new Error(`it is more than the ${MAX_INPUT_FILE_BYTES} bytes eks-auth reads`);
      return buf.subarray(0, length).toString('utf8');
    } finally {
      closeSync(fd);
    }
  },
};

export function stderrLogger(verbose: boolean): Logger {
  return {
    warn: (message) => writeStderr(`warning: ${message}`),
    verbose: verbose ? (message) => writeStderr(`debug: ${message}`) : () => {},
    protect: registerSecret,
  };
}

let stsPort: Promise<StsPort> | undefined;
let sdkSourcesPort: Promise<SdkSourcesPort> | undefined;

/** Loaded on first use only: the env-credential hot path never pays for the SDK. */
function loadSts(): Promise<StsPort> {
  stsPort ??= import('../aws/sts-client').then((m) => m.createStsPort());
  return stsPort;
}

function loadSdkSources(): Promise<SdkSourcesPort> {
  sdkSourcesPort ??= import('../aws/sdk-sources').then((m) =>
    m.createSdkSourcesPort({ env: process.env, files: nodeFiles }),
  );
  return sdkSourcesPort;
}

/** Reads a line from the terminal (MFA codes); the question goes to stderr, never stdout. */
function terminalPrompt(): PromptPort {
  return {
    async ask(question: string): Promise<string> {
      const { createInterface } = await import('node:readline');
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      try {
        return await new Promise<string>((resolve, reject) => {
          // stdin may close before an answer (kubectl killed, Ctrl-D): fail instead of hanging.
          rl.once('close', () =>
            reject(new EksAuthError(ExitCode.credentials, 'no MFA code was entered', { reason: 'mfa-invalid' })),
          );
          rl.question(question, resolve);
        });
      } finally {
        rl.close();
      }
    },
  };
}

/**
 * The home directory as os.homedir() finds it: HOME first on POSIX (libuv's uv_os_homedir, and
 * Python's expanduser for the AWS CLI), else the password database. node:os costs 0.2 ms to load,
 * so it is asked only when HOME is unset, and on Windows (USERPROFILE).
 */
function homeDirectory(): string {
  const home = process.platform === 'win32' ? undefined : process.env.HOME;
  return home || (require('node:os') as typeof import('node:os')).homedir();
}

/**
 * The user name of this uid in /etc/passwd, for when no variable names the user. Read by hand, not
 * with os.userInfo(): Node.js asks getpwuid_r but Bun answers "unknown" without USER, and the npm
 * package and the standalone binary must name (and so cache-key) a role session alike. Undefined on
 * Windows (USERNAME is always set there) and where the uid has no line (NSS-only accounts).
 */
function passwordDatabaseUser(): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[2] === String(uid) && fields[0]) return fields[0];
    }
  } catch {
    // No readable password file: the default session name falls back to plain eks-auth.
  }
  return undefined;
}

export function createDeps(options: { verbose: boolean }): Deps {
  return {
    env: process.env,
    now: () => new Date(),
    homedir: homeDirectory(),
    files: nodeFiles,
    log: stderrLogger(options.verbose),
    sts: loadSts,
    sdkSources: loadSdkSources,
    prompt: terminalPrompt(),
    // node:tty loads node:net and the streams, milliseconds a call: `token` asks only on a cache miss.
    // isatty(0) rather than process.stdin, which would also build a stream.
    stdinIsTerminal: () => (require('node:tty') as typeof import('node:tty')).isatty(0),
    userName: passwordDatabaseUser,
  };
}

/**
 * `deps` with the on-disk cache unless --no-cache (`wanted` false) or EKS_AUTH_NO_CACHE turns it
 * off; shared with every command that resolves credentials (login, whoami, explain, kubeconfig).
 */
export function withCache(wanted: boolean, deps: Deps): Deps {
  const cache = cliCache(wanted, deps);
  return cache ? { ...deps, cache } : deps;
}

function cliCache(wanted: boolean, deps: Deps): CachePort | undefined {
  const fromEnv = cacheDisabledByEnv(deps.env);
  if (fromEnv.problem) deps.log.warn(fromEnv.problem);
  if (!wanted || fromEnv.disabled) {
    deps.log.verbose(`cache: off (${wanted ? 'EKS_AUTH_NO_CACHE' : '--no-cache'})`);
    return undefined;
  }
  return openCache(deps, defaultStoreOptions(deps));
}

/** The real store options for `deps`: $KUBECACHEDIR/eks-auth, this process's uid, pid and host. */
export function defaultStoreOptions(deps: Pick<Deps, 'env' | 'homedir' | 'now'>): StoreOptions {
  return {
    dir: cacheDirectory(deps.env, deps.homedir),
    uid: process.getuid?.(),
    lock: {
      now: () => deps.now().getTime(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      isAlive: processIsAlive,
      pid: process.pid,
      // Only a cache miss takes a lock; node:os costs a hit 0.2 ms to load.
      get host() {
        return (require('node:os') as typeof import('node:os')).hostname();
      },
      maxWaitMs: LOCK_WAIT_MS,
      pollMs: LOCK_POLL_MS,
    },
    beforeFirstWrite: ignoreFileSizeSignal,
  };
}

/**
 * Under `ulimit -f`, a write past the limit raises SIGXFSZ, whose default action kills the process
 * mid-call; ignored, the write fails with EFBIG instead, and the cache turns itself off for the run
 * with a warning while the call goes on. Installed lazily: listening costs 0.1 ms, which a cache hit
 * does not pay.
 */
function ignoreFileSizeSignal(): void {
  if (process.platform === 'win32') return;
  try {
    process.on('SIGXFSZ', () => {});
  } catch {
    // a platform without the signal: nothing to ignore
  }
}

/** Whether a process of this host is alive: signal 0 checks without sending anything. */
function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** DescribeCluster with the credentials and region `eks-auth token` would use, at the configured EKS endpoint. */
export async function lookupCluster(name: string, aws: ClusterLookupInput, deps: Deps): ReturnType<LookupCluster> {
  const { resolveAwsContext } = await import('../aws/resolve');
  // An MFA prompt is fine here: a person runs this command, not kubectl.
  const context = await resolveAwsContext(aws, deps);
  const { createEksPort } = await import('../aws/eks-client');
  const region = context.region.region;
  const endpoint = context.serviceEndpointUrl('eks');
  const resolved = context.eksEndpoint();
  deps.log.verbose(`DescribeCluster ${name} in ${region} at ${resolved.url}`);
  const eks = createEksPort({
    region,
    credentials: context.credentials,
    ...(endpoint ? { endpoint } : {}),
    resolved,
    http: context.http,
  });
  let cluster: EksCluster;
  try {
    cluster = await eks.describeCluster(name);
  } finally {
    eks.close();
  }
  return { cluster, region };
}

/**
 * The HTTP settings of a command that resolves no credentials (verify, explain --token): the
 * environment and the profile AWS_PROFILE names (else default), for its ca_bundle and deadlines.
 * Certificates are always checked.
 */
export function verifierHttpSettings(deps: Deps): HttpSettings {
  const files = loadAwsConfigFiles(deps);
  const profile = findProfile(files, deps.env.AWS_PROFILE || 'default');
  return resolveHttpSettings({
    env: deps.env,
    profile,
    files: deps.files,
    homedir: deps.homedir,
    log: deps.log,
    alwaysVerify: true,
  });
}
